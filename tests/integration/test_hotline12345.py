"""12345 end to end: the platform pushes signed tickets over HTTP, our callbacks reach a fake platform.

The other side is faked only by its protocol (tests/fakes.py), on loopback; our side runs for real:
intake (uvicorn), Kafka, the case tracker, the replies service.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr
from redis.asyncio import Redis

from consumers.analytics.sink import case_values
from consumers.notifier.channels import Retry
from consumers.replies.service import serve as serve_replies
from producers.hotline12345 import sign, signed_headers
from producers.intake import KafkaPublisher, create_intake_app
from schemas.settings import Settings
from test_cases import api, case_at_version, case_events, case_settings, login, tracker, wait_for  # noqa: F401
from test_intake import channel_requests
from tests.fakes import FakeHotlinePlatform
from tests.loopback import serving

SECRET = b"city-12345-shared-secret"
TICKET = {"ticket_no": "HN12345-20261203-0001", "caller_name": "钱七", "caller_phone": "13955550000",
          "township_code": "340403001", "content": "咨询临时救助怎么申请", "received_at": "2026-12-03T09:00:00+08:00",
          "ticket_type": "咨询"}


def with_secret(settings: Settings, **more) -> Settings:
    return settings.model_copy(update={"hotline_secret": SecretStr(SECRET.decode()), **more})


@asynccontextmanager
async def intake_server(settings: Settings) -> AsyncIterator[str]:
    redis = Redis.from_url(settings.redis_url)
    async with KafkaPublisher(settings) as publisher:
        async with serving(create_intake_app(settings, publisher, redis=redis)) as url:
            yield url
    await redis.aclose()


def push(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]):
    return client.post("/api/12345/tickets", content=body, headers=headers)


async def test_pushes_are_refused_unless_signed_fresh_and_new(case_settings: Settings) -> None:
    settings = with_secret(case_settings)
    body = json.dumps(TICKET, ensure_ascii=False).encode()
    now = datetime.now(UTC)
    async with intake_server(settings) as url, httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        first = await push(client, body, signed_headers(SECRET, body, now))
        assert first.status_code == 200 and first.json()["code"] == 0, first.text
        replay = await push(client, body, signed_headers(SECRET, body, now))
        assert replay.status_code == 409 and "replay" in replay.json()["message"]
        stale_ts = str(int((now - timedelta(minutes=6)).timestamp()))
        stale = await push(client, body, {"X-12345-Timestamp": stale_ts, "X-12345-Signature": sign(SECRET, stale_ts, body)})
        assert stale.status_code == 401 and "minutes" in stale.json()["message"]
        forged = await push(client, body, signed_headers(b"another secret", body, now))
        assert forged.status_code == 401 and "signature" in forged.json()["message"]
        tampered = await push(client, body.replace("咨询".encode(), "求助".encode()), signed_headers(SECRET, body, now))
        assert tampered.status_code == 401
        unsigned = await client.post("/api/12345/tickets", content=body)
        assert unsigned.status_code == 401
        # the platform re-pushing the same ticket later (a new signature) is the same ticket, not a new case
        again = await push(client, body, signed_headers(SECRET, body, now + timedelta(seconds=30)))
        assert again.status_code == 200 and again.json()["case_id"] == first.json()["case_id"]
        bad = json.dumps({**TICKET, "caller_phone": "not a phone"}).encode()
        assert (await push(client, bad, signed_headers(SECRET, bad, now))).status_code == 422
    requests = await channel_requests(settings)
    assert len(requests) == 1 and "钱七" not in requests[0].model_dump_json()
    assert "[咨询（仅需答复）] 咨询临时救助怎么申请" in requests[0].summary


async def test_an_unmatched_callers_question_is_answered_closed_and_counted(case_settings: Settings) -> None:
    platform = FakeHotlinePlatform(SECRET, fail=["503", "code"])  # the platform is down twice, then answers
    async with serving(platform.app()) as platform_url:
        settings = with_secret(case_settings, hotline_callback_url=f"{platform_url}/status")
        redis, stop = Redis.from_url(settings.redis_url), asyncio.Event()
        body = json.dumps(TICKET, ensure_ascii=False).encode()
        async with tracker(settings) as store, intake_server(settings) as url, httpx.AsyncClient(timeout=30.0) as http:
            replies = asyncio.create_task(serve_replies(settings, redis=redis, http=http, stop=stop,
                                                        retry=Retry(attempts=50, base_delay=0.05, max_delay=0.2)))
            pushed = await http.post(f"{url}/api/12345/tickets", content=body,
                                     headers=signed_headers(SECRET, body, datetime.now(UTC)))
            case_id = pushed.json()["case_id"]
            case = await wait_for(lambda: case_at_version(store, case_id, 1), "the ticket's case")
            assert case.kind == "identify_person"  # nobody matched the caller
            async with api(settings, store) as cases:
                me = await login(cases, "caseworker1")
                visit = await cases.post(f"/api/cases/{case_id}/answer", json={"reply": "x"}, headers=me)
                assert visit.status_code == 409  # answer once it is assigned
                assert (await cases.post(f"/api/cases/{case_id}/transition", json={"to": "assigned"},
                                         headers=me)).status_code == 200
                reply = "临时救助可向户籍所在地乡镇（街道）申请，携带身份证和困难情况说明。"
                answered = await cases.post(f"/api/cases/{case_id}/answer", json={"reply": reply}, headers=me)
                assert answered.status_code == 200, answered.text
                assert (answered.json()["state"], answered.json()["resolution"]) == ("closed", "answered")
            await wait_for(lambda: _at_least(platform.callbacks, 2), "两次回调 (已受理, 已办结)")
            stop.set()
            await replies
        await redis.aclose()
    assert [(c["ticket_no"], c["status"]) for c in platform.callbacks] == [
        (TICKET["ticket_no"], "已受理"), (TICKET["ticket_no"], "已办结")]
    assert platform.callbacks[1]["reply"] == reply and platform.attempts == 4 and platform.refused == 0
    events = await case_events(settings)
    opened = [case_values({"event": e.model_dump(mode="json")}) for e in events if e.type == "opened"]
    assert opened[0][4] == "hotline"  # the closure statistics count the unmatched caller's ticket


async def _at_least(items: list, n: int) -> bool:
    return len(items) >= n
