"""The intake API on real Kafka and Redis, with the case tracker behind it."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from redis.asyncio import Redis

from consumers.cases.store import read_to_end
from producers.identity import check_char
from producers.intake import KafkaPublisher, create_intake_app
from schemas.cases import case_id_for_request
from schemas.channels import ChannelRequest
from schemas.settings import Settings
from test_cases import (  # noqa: F401 (fixture)
    api, case_at_version, case_settings, login, seal_identity, tracker, wait_for,
)
from producers.identity import Pseudonymizer
from producers.vault import TOPIC as VAULT_TOPIC

ID_NUMBER = "34040319800101123" + check_char("34040319800101123")
WRONG_CHECK = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
WARNING = {"reporter": "网格员王五", "subject_name": "李四", "township_code": "340403001",
           "situation": "李四独居，近日摔伤无人照料，电话13912345678"}
APPLICATION = {"applicant_name": "赵六", "id_number": ID_NUMBER, "phone": "13800001111",
               "township_code": "340403001", "category": "低保", "household_size": 3,
               "household_annual_income": "12000.50", "reason": "丈夫重病，无力负担医药费"}


@asynccontextmanager
async def intake(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    redis = Redis.from_url(settings.redis_url)
    async with KafkaPublisher(settings) as publisher:
        app = create_intake_app(settings, publisher, redis=redis)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
            yield client
    await redis.aclose()


async def channel_requests(settings: Settings) -> list[ChannelRequest]:
    return [ChannelRequest.model_validate_json(r.value)
            for r in await read_to_end(settings, settings.topic("channel.requests"))]


async def test_a_warning_without_id_number_opens_an_unidentified_case(case_settings: Settings) -> None:
    async with tracker(case_settings) as store, intake(case_settings) as client:
        response = await client.post("/api/intake/warnings", json=WARNING)
        assert response.status_code == 202, response.text
        assert set(response.json()) == {"request_id", "receipt_no", "application_no", "status"}  # no "match"
        case_id = case_id_for_request(response.json()["request_id"])
        case = await wait_for(lambda: case_at_version(store, case_id, 1), "the identify-person case")
        assert (case.kind, case.person_key, case.township_code) == ("identify_person", None, "340403001")

        async with api(case_settings, store) as cases:
            revealed = await cases.post(f"/api/cases/{case_id}/reveal", json={"reason": "find the person"},
                                        headers=await login(cases, "caseworker1"))
        assert revealed.status_code == 200, revealed.text
        assert (revealed.json()["name"], revealed.json()["id_number"]) == ("李四", None)

    [request] = await channel_requests(case_settings)
    on_kafka = request.model_dump_json()
    assert "李四" not in on_kafka and "王五" not in on_kafka and "13912345678" not in on_kafka
    assert "[姓名]" in request.summary and "[号码]" in request.summary


async def test_a_bad_id_number_is_422_naming_the_field_without_echoing_it(case_settings: Settings) -> None:
    async with intake(case_settings) as client:
        response = await client.post("/api/intake/applications", json={**APPLICATION, "id_number": WRONG_CHECK})
        assert response.status_code == 422
        assert response.json()["detail"] == [{"loc": ["body", "id_number"], "type": "id_number",
                                              "msg": "invalid ID number: check digit mismatch"}]
        short = await client.post("/api/intake/applications",
                                  json={**APPLICATION, "id_number": "3404031980", "township_code": "3404"})
        assert short.status_code == 422
        assert WRONG_CHECK not in response.text and "3404031980" not in short.text
        assert [e["loc"][-1] for e in short.json()["detail"]] == ["township_code"]  # shape first, then the ID
    assert await channel_requests(case_settings) == []


async def test_same_idempotency_key_and_body_gets_the_same_response_once(case_settings: Settings) -> None:
    async with intake(case_settings) as client:
        headers = {"Idempotency-Key": "apply-0001"}
        first = await client.post("/api/intake/applications", json=APPLICATION, headers=headers)
        again = await client.post("/api/intake/applications", json=APPLICATION, headers=headers)
        assert first.status_code == again.status_code == 202
        assert first.json() == again.json()
        other = await client.post("/api/intake/applications", json={**APPLICATION, "household_size": 4},
                                  headers=headers)
        assert other.status_code == 422 and "different body" in other.json()["detail"]
        big = await client.post("/api/intake/warnings", json={**WARNING, "situation": "很" * 30_000})
        assert big.status_code == 413
    assert len(await channel_requests(case_settings)) == 1


async def test_application_status_and_a_later_match_by_name_phone_township(case_settings: Settings) -> None:
    async with tracker(case_settings) as store, intake(case_settings) as client:
        receipt = (await client.post("/api/intake/applications", json=APPLICATION)).json()
        number = receipt["application_no"]
        await wait_for(lambda: case_at_version(store, number, 1), "the application case")
        status = await client.post("/api/intake/applications/status",
                                   json={"application_no": number, "id_number": ID_NUMBER})
        assert (status.json()["application_no"], status.json()["state"]) == (number, "open")
        stranger = await client.post("/api/intake/applications/status",
                                     json={"application_no": number, "id_number": "11010519491231002X"})
        assert stranger.status_code == 404
        # the receipt number: case-insensitive, dashes and spaces optional; stage, date, next step, deadline
        spoken = receipt["receipt_no"].lower().replace("-", " ")
        by_receipt = (await client.post("/api/intake/applications/status",
                                        json={"application_no": spoken, "id_number": ID_NUMBER})).json()
        assert by_receipt["stage"] == "已受理，等待社工接案" and by_receipt["expected_by"] and by_receipt["next_step"]
        assert (await client.post("/api/intake/applications/status",
                                  json={"application_no": spoken})).status_code == 404  # an application needs its ID

        ticket = {"ticket_no": "12345-0001", "caller_name": "赵六", "caller_phone": "13800001111",
                  "township_code": "340403001", "content": "询问低保申请进度", "received_at": "2026-03-02T09:00:00+08:00"}
        matched = await client.post("/api/intake/hotline", json=ticket)
        assert matched.status_code == 202 and "match" not in matched.json()
    requests = await channel_requests(case_settings)
    assert [r.match for r in requests] == ["id", "name_phone_township"]
    assert len({r.person_key for r in requests}) == 1 and requests[0].masked_id == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]


async def test_a_stranger_with_someones_id_number_does_not_replace_their_identity(case_settings: Settings) -> None:
    """Issue 12 item 3: an application with another person's valid ID number leaves the vault record alone."""
    person_key = Pseudonymizer(case_settings.pseudonym_secret.get_secret_value()).key(ID_NUMBER)
    await seal_identity(case_settings, person_key, ID_NUMBER, "赵六")  # the department's record, phone 13800000000
    async with tracker(case_settings) as store, intake(case_settings) as client:
        forged = {**APPLICATION, "applicant_name": "冒名者", "phone": "13999999999"}
        receipt = (await client.post("/api/intake/applications", json=forged)).json()
        case_id = receipt["application_no"]
        await wait_for(lambda: case_at_version(store, case_id, 1), "the application case")
        async with api(case_settings, store) as cases:
            revealed = await cases.post(f"/api/cases/{case_id}/reveal", json={"reason": "check the applicant"},
                                        headers=await login(cases, "caseworker1"))
        assert revealed.status_code == 200, revealed.text
        assert (revealed.json()["name"], revealed.json()["phone"]) == ("赵六", "13800000000")
    under_person = [r for r in await read_to_end(case_settings, case_settings.topic(VAULT_TOPIC))
                    if r.key.decode() == person_key]
    assert len(under_person) == 1  # only the department's own record


async def test_the_receipt_does_not_say_whether_a_person_is_known(case_settings: Settings) -> None:
    """Issue 12 item 4: known and unknown people get receipts of the same shape and content."""
    async with intake(case_settings) as client:
        await client.post("/api/intake/applications", json=APPLICATION)  # 赵六 becomes findable by name and phone
        ticket = {"ticket_no": "12345-0002", "caller_name": "赵六", "caller_phone": "13800001111",
                  "township_code": "340403001", "content": "询问", "received_at": "2026-03-02T09:00:00+08:00"}
        known = await client.post("/api/intake/hotline", json=ticket)
        unknown = await client.post("/api/intake/hotline", json={**ticket, "ticket_no": "12345-0003",
                                                                 "caller_name": "无名氏", "caller_phone": "13700000000"})
    assert known.status_code == unknown.status_code == 202
    strip = lambda r: {k: v for k, v in r.json().items() if k not in ("request_id", "receipt_no")}  # noqa: E731
    assert strip(known) == strip(unknown) and set(known.json()) == set(unknown.json())
    assert known.headers.keys() == unknown.headers.keys()
    assert sorted(r.match for r in await channel_requests(case_settings))[-2:] == ["name_phone_township",
                                                                                   "unidentified"]
async def test_the_api_docs_are_served_without_internet(case_settings: Settings) -> None:
    """Swagger UI comes from this server (no CDN): its page and every asset it loads answer here."""
    async with intake(case_settings) as client:
        page = (await client.get("/docs")).text
        assets = re.findall(r'(?:href|src)="(/docs-assets/[^"]+)"', page)
        assert len(assets) >= 2 and "cdn" not in page.lower()
        for asset in assets:
            assert (await client.get(asset)).status_code == 200, asset
