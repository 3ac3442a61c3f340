"""The case tracker on real Kafka and Redis: one case per alert, restarts, and who may see what."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from consumers.cases.api import create_cases_app
from consumers.cases.service import open_store, run
from consumers.cases.sealing import ERASED, load_event
from consumers.cases.store import CaseKeys, CaseStore, VaultIndex, read_to_end
from producers.vault import TOPIC as VAULT_TOPIC
from producers.vault import IdentityRecord, seal, vault_keys
from schemas.alerts import Alert, AlertNotice, Evidence
from schemas.cases import CaseEventRecord, CaseState, case_id_for_alert
from schemas.codec import loads
from pydantic import SecretStr

from schemas.settings import Settings

DEADLINE_S = 60.0
PERSON = "a" * 64


async def wait_for(condition: Callable[[], Awaitable[object]], what: str, timeout: float = DEADLINE_S) -> object:
    """Poll `condition` until it returns something truthy; fail with `what` at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await condition()):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)
    return result


@pytest.fixture
def case_settings(settings: Settings, redis_client) -> Settings:
    """This test's topics and this test's Redis database."""
    db = redis_client.connection_pool.connection_kwargs["db"]
    return settings.model_copy(update={"redis_url": urlunsplit(urlsplit(settings.redis_url)._replace(path=f"/{db}"))})


@asynccontextmanager
async def tracker(settings: Settings) -> AsyncIterator[CaseStore]:
    """A case tracker as `safetynet cases serve` runs it: rebuild, then the loop; stopped on exit."""
    async with open_store(settings) as store:
        task = store.task = asyncio.create_task(run(settings, store))  # case_at_version re-raises its crash
        try:
            yield store
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def alert(alert_id: str = "AL-1", township: str = "340403001", figure: float = 31250.5, person: str = PERSON,
          key: str = "JS2026-1") -> Alert:
    return Alert(alert_id=alert_id, rule="medical_burden", kind="risk", severity="high", subject="340403********123X",
                 person_key=person, household_id="H1", township_code=township, event_time=date(2026, 3, 2),
                 triggered_at=datetime(2026, 3, 2, 12, tzinfo=UTC), rule_version="1",
                 evidence=[Evidence(feed="medical", key=key, figure=figure)])


async def send_alerts(settings: Settings, *alerts: Alert, action: str = "raised") -> None:
    async with AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True) as producer:
        for a in alerts:
            notice = AlertNotice(action=action, alert=a)
            await producer.send_and_wait(settings.topic("alerts"), key=a.alert_id.encode(),
                                         value=notice.model_dump_json().encode())


async def case_events(settings: Settings) -> list:
    """The log as the tracker reads it: free text opened with each case's data key."""
    keys = CaseKeys(settings, producer=None)
    await keys.refresh()
    return [load_event(r.value, keys.get) for r in await read_to_end(settings, settings.topic("case-events"))]


async def case_at_version(store: CaseStore, case_id: str, version: int):
    if store.task.done():
        store.task.result()  # the tracker died: show why instead of timing out
    case = await store.find(case_id)
    return case if case is not None and case.version >= version else None


async def test_an_alert_delivered_twice_opens_one_case_and_a_new_figure_updates_it(case_settings: Settings) -> None:
    case_id = case_id_for_alert("AL-1")
    async with tracker(case_settings) as store:
        # Same partition (key alert_id), so the duplicate is handled before the update we wait for.
        await send_alerts(case_settings, alert(), alert(), alert(figure=40000.0))
        case = await wait_for(lambda: case_at_version(store, case_id, 2), "the evidence update")
        assert case.evidence[0].figure == 40000.0 and case.state is CaseState.open
        assert [c.case_id for c in await store.list("all")] == [case_id]
    events = await case_events(case_settings)
    assert [(e.case_id, e.type) for e in events] == [(case_id, "opened"), (case_id, "evidence_updated")]


async def test_a_restarted_tracker_rebuilds_its_state_and_doubles_nothing(case_settings: Settings,
                                                                           redis_client) -> None:
    first, second = case_id_for_alert("AL-1"), case_id_for_alert("AL-2")
    async with tracker(case_settings) as store:
        await send_alerts(case_settings, alert())
        await wait_for(lambda: case_at_version(store, first, 1), "the first case")
    redis_client.flushdb()  # lose the projection entirely: the log must bring it back
    await send_alerts(case_settings, alert(), alert("AL-2", person="c" * 64))  # a re-delivery and a new alert
    async with tracker(case_settings) as store:
        await wait_for(lambda: case_at_version(store, second, 1), "the second case after restart")
        rebuilt = await store.get(first)
        assert (rebuilt.version, rebuilt.state) == (1, CaseState.open)
        assert sorted(c.case_id for c in await store.list("all")) == sorted([first, second])
        assert [c.case_id for c in await store.list("township", "340403001")] != []
    assert sorted(e.case_id for e in await case_events(case_settings)) == sorted([first, second])


@asynccontextmanager
async def api(settings: Settings, store: CaseStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_cases_app(settings, store=store, vault=VaultIndex(settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cases") as client:
        yield client


async def login(client: httpx.AsyncClient, user: str) -> dict[str, str]:
    response = await client.post("/api/login", json={"user": user, "password": f"{user}-demo"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def seal_identity(settings: Settings, person_key: str, id_number: str, name: str) -> None:
    record = IdentityRecord(person_key=person_key, id_number=id_number, name=name, phone="13800000000")
    async with AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True) as producer:
        await producer.send_and_wait(settings.topic(VAULT_TOPIC), key=person_key.encode(),
                                     value=seal(record, vault_keys(settings)[0]))


async def test_other_townships_get_403_and_the_owner_reveals_with_an_audit_event(case_settings: Settings) -> None:
    case_id = case_id_for_alert("AL-1")
    await seal_identity(case_settings, PERSON, "34040319800101123X", "张三")
    async with tracker(case_settings) as store, api(case_settings, store) as client:
        await send_alerts(case_settings, alert())
        await wait_for(lambda: case_at_version(store, case_id, 1), "the case")
        other, owner = await login(client, "caseworker2"), await login(client, "caseworker1")

        assert (await client.get(f"/api/cases/{case_id}", headers=other)).status_code == 403
        denied = await client.post(f"/api/cases/{case_id}/reveal", json={"reason": "curious"}, headers=other)
        assert denied.status_code == 403
        assert (await client.get("/api/cases", headers=other)).json() == []
        auditor = await login(client, "auditor1")
        assert (await client.post(f"/api/cases/{case_id}/reveal", json={"reason": "x"},
                                  headers=auditor)).status_code == 403
        assert (await client.get("/api/cases/CA-none", headers=owner)).status_code == 404
        assert (await client.get("/api/cases")).status_code == 401
        assert (await client.get("/api/cases", headers={"Authorization": owner["Authorization"] + "x"})
                ).status_code == 401

        detail = await client.get(f"/api/cases/{case_id}", headers=owner)
        assert detail.status_code == 200 and detail.json()["evidence"][0]["key"] == "JS2026-1"
        revealed = await client.post(f"/api/cases/{case_id}/reveal", json={"reason": "home visit"}, headers=owner)
        assert revealed.status_code == 200, revealed.text
        assert (revealed.json()["name"], revealed.json()["id_number"]) == ("张三", "34040319800101123X")
        history = (await client.get(f"/api/cases/{case_id}", headers=owner)).json()["history"]
        assert (history[-1]["type"], history[-1]["actor"]) == ("identity_revealed", "caseworker1")
    assert [e.type for e in await case_events(case_settings)][-1] == "identity_revealed"


async def test_a_case_is_worked_to_closure_and_a_wrong_step_is_409(case_settings: Settings) -> None:
    case_id = case_id_for_alert("AL-1")
    async with tracker(case_settings) as store, api(case_settings, store) as client:
        await send_alerts(case_settings, alert())
        await wait_for(lambda: case_at_version(store, case_id, 1), "the case")
        me, url = await login(client, "caseworker1"), f"/api/cases/{case_id}"
        skip = await client.post(f"{url}/transition", json={"to": "resolved"}, headers=me)
        assert skip.status_code == 409 and "open -> resolved" in skip.json()["detail"]
        for to in ("assigned", "visiting"):
            assert (await client.post(f"{url}/transition", json={"to": to}, headers=me)).status_code == 200
        survey = {"case_id": case_id, "visit_date": "2026-03-05", "findings": "bills seen", "verdict": "confirmed"}
        assert (await client.post(f"{url}/survey", json=survey, headers=me)).status_code == 200
        ungranted = await client.post(f"{url}/transition", json={"to": "verified"}, headers=me)
        assert ungranted.status_code == 200, ungranted.text
        no_category = {"to": "resolved", "resolution": "assistance_granted"}
        assert (await client.post(f"{url}/transition", json=no_category, headers=me)).status_code == 409
        grant = {"category": "低保", "monthly_benefit_fen": 80000}
        for body in ({**no_category, "grant": grant}, {"to": "closed"}):
            response = await client.post(f"{url}/transition", json=body, headers=me)
            assert response.status_code == 200, response.text
        final = response.json()
        assert (final["state"], final["resolution"], final["verdict"], final["version"]) == (
            "closed", "assistance_granted", "confirmed", 7)
        assert final["grant"]["category"] == "低保" and final["resolved_at"]


async def test_case_gauges_follow_the_projection(case_settings: Settings) -> None:
    from prometheus_client import REGISTRY

    from consumers.cases import metrics

    async with tracker(case_settings) as store:
        await send_alerts(case_settings, alert("AL-G1"), alert("AL-G2", township="340403002", person="d" * 64))
        for alert_id in ("AL-G1", "AL-G2"):  # different partitions: either may come first
            await wait_for(lambda: case_at_version(store, case_id_for_alert(alert_id), 1), "two cases")
        await metrics.refresh(store, datetime(2100, 1, 1, tzinfo=UTC))  # far future: both are past their SLA
    assert REGISTRY.get_sample_value("safetynet_cases", {"state": "open"}) == 2
    assert REGISTRY.get_sample_value("safetynet_cases_sla_overdue") == 2


async def test_a_second_alert_joins_the_open_case_and_survives_a_rebuild(case_settings: Settings,
                                                                          redis_client) -> None:
    first = case_id_for_alert("AL-1")
    async with tracker(case_settings) as store:
        await send_alerts(case_settings, alert())
        await wait_for(lambda: case_at_version(store, first, 1), "the first case")
        await send_alerts(case_settings, alert("AL-2", figure=45000.0, key="JS2026-2"))
        joined = await wait_for(lambda: case_at_version(store, first, 2), "the second alert joining")
        assert joined.alert_ids == ["AL-1", "AL-2"] and [e.key for e in joined.evidence] == ["JS2026-2", "JS2026-1"]
        assert await store.find(case_id_for_alert("AL-2")) is None
    redis_client.flushdb()
    await send_alerts(case_settings, alert("AL-2", figure=45000.0, key="JS2026-2"), alert("AL-3", key="JS2026-3"))
    async with tracker(case_settings) as store:
        await wait_for(lambda: case_at_version(store, first, 3), "the third alert joining after a rebuild")
        assert [c.case_id for c in await store.list("all")] == [first]


async def test_a_withdrawn_alert_closes_its_unaccepted_case_and_leaves_the_inbox(case_settings: Settings) -> None:
    case_id = case_id_for_alert("AL-1")
    async with tracker(case_settings) as store, api(case_settings, store) as client:
        await send_alerts(case_settings, alert())
        await wait_for(lambda: case_at_version(store, case_id, 1), "the case")
        me = await login(client, "caseworker1")
        assert (await client.get("/api/inbox", headers=me)).json()["total"] == 1
        await send_alerts(case_settings, alert(), action="withdrawn")
        closed = await wait_for(lambda: case_at_version(store, case_id, 3), "the withdrawal closing the case")
        assert closed.state is CaseState.closed and closed.closed_as_withdrawn
        assert (await client.get("/api/inbox", headers=me)).json()["total"] == 0
        assert await store.count("withdrawn") == 1
        # a new alert of the same rule about the same person opens a new case: the old one is closed
        await send_alerts(case_settings, alert("AL-9", key="JS2026-9"))
        await wait_for(lambda: case_at_version(store, case_id_for_alert("AL-9"), 1), "a fresh case")


async def test_a_county_level_case_is_the_county_queue(case_settings: Settings) -> None:
    case_id = case_id_for_alert("AL-Q")
    async with tracker(case_settings) as store, api(case_settings, store) as client:
        await send_alerts(case_settings, alert("AL-Q", township="340403000"))
        await wait_for(lambda: case_at_version(store, case_id, 1), "the county-level case")
        county_cw, sup = await login(client, "caseworker2"), await login(client, "supervisor1")
        page = (await client.get("/api/inbox", headers=county_cw)).json()
        assert [i["case_id"] for i in page["items"]] == [case_id] and page["items"][0]["source"] == "alert"
        taken = await client.post(f"/api/cases/{case_id}/transition", json={"to": "assigned"}, headers=county_cw)
        assert taken.status_code == 200, taken.text
        assert (await client.get(f"/api/cases/{case_id}", headers=sup)).status_code == 200
        auditor = await login(client, "auditor1")
        refused = await client.post(f"/api/cases/{case_id}/transition", json={"to": "visiting"}, headers=auditor)
        assert refused.status_code == 403 and "只读" in refused.json()["detail"]
async def test_vault_reseal_moves_every_record_to_the_new_key(case_settings: Settings) -> None:
    """Rotation: records sealed with OLD open with NEW only after `safetynet vault reseal`."""
    import base64
    import os

    from producers.vault import VaultError, open_sealed
    from producers.vault_cli import reseal

    old, new = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    before = case_settings.model_copy(update={"vault_key": SecretStr(old)})
    await seal_identity(before, PERSON, "34040319800101123X", "张三")
    rotated = case_settings.model_copy(update={"vault_key": SecretStr(f"{new},{old}")})
    assert await reseal(rotated) == (1, 1)
    assert await reseal(rotated) == (1, 0)
    latest = (await read_to_end(case_settings, case_settings.topic(VAULT_TOPIC)))[-1].value
    new_only = vault_keys(case_settings.model_copy(update={"vault_key": SecretStr(new)}))
    assert open_sealed(latest, new_only, PERSON).name == "张三"
    with pytest.raises(VaultError):
        open_sealed(latest, vault_keys(before), PERSON)


async def test_free_text_is_sealed_per_case_and_erased_with_its_key(case_settings: Settings) -> None:
    """Issue 12 item 5: findings, notes and reveal reasons never sit in clear on case-events."""
    case_id = case_id_for_alert("AL-1")
    findings, note, reason = "王大妈独居，左腿骨折", "电话13912345678联系其女儿", "核实身份证340403"
    await seal_identity(case_settings, PERSON, "34040319800101123X", "张三")
    async with tracker(case_settings) as store, api(case_settings, store) as client:
        await send_alerts(case_settings, alert())
        await wait_for(lambda: case_at_version(store, case_id, 1), "the case")
        me, url = await login(client, "caseworker1"), f"/api/cases/{case_id}"
        assert (await client.post(f"{url}/transition", json={"to": "assigned", "note": note}, headers=me)
                ).status_code == 200
        assert (await client.post(f"{url}/transition", json={"to": "visiting", "note": note}, headers=me)
                ).status_code == 200
        survey = {"case_id": case_id, "visit_date": "2026-03-05", "findings": findings, "verdict": "confirmed"}
        assert (await client.post(f"{url}/survey", json=survey, headers=me)).status_code == 200
        assert (await client.post(f"{url}/reveal", json={"reason": reason}, headers=me)).status_code == 200
        raw = b"".join(r.value for r in await read_to_end(case_settings, case_settings.topic("case-events")))
        for text in (findings, note, reason, "13912345678"):
            assert text.encode() not in raw
        assert (await store.get(case_id)).survey.findings == findings  # the tracker reads it back
        await store.rebuild()
        assert (await store.get(case_id)).survey.findings == findings

        await store.keys.forget(case_id)  # erasure: drop the key
        await store.rebuild()
        erased = await store.get(case_id)
        assert erased.survey.findings == ERASED and erased.history[-1].note == ERASED
        assert erased.verdict == "confirmed" and erased.state is CaseState.visiting  # the facts remain


async def test_a_dead_tracker_loop_fails_health_and_stops_the_service(case_settings: Settings, monkeypatch) -> None:
    """Issue 12 item 6: the API must not stay up, taking requests, without its loop."""
    from consumers.cases import api as cases_api

    async def crash(*args, **kwargs):
        raise RuntimeError("lost the consumer")

    monkeypatch.setattr(cases_api, "run", crash)
    stopped = asyncio.Event()
    app = create_cases_app(case_settings, on_tracker_death=stopped.set)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cases") as client:
            await asyncio.wait_for(stopped.wait(), DEADLINE_S)
            health = await client.get("/api/health")
    assert health.status_code == 503 and "lost the consumer" in health.json()["detail"]
    assert isinstance(app.state.tracker_error, RuntimeError)


async def test_the_case_lock_outlives_a_writer_that_waits_on_kafka(case_settings: Settings, monkeypatch) -> None:
    """Issue 12 item 6: a writer gives up (CaseBusy) before its lock can expire, and frees the lock."""
    from consumers.cases import store as store_module
    from redis.asyncio import Redis

    assert store_module.LOCK_TTL_MS / 1000 > store_module.LOCK_HOLD_S >= 2 * store_module.REQUEST_TIMEOUT_MS / 1000

    class SilentKafka:
        async def send_and_wait(self, *args, **kwargs):
            await asyncio.Event().wait()  # never acknowledged

    monkeypatch.setattr(store_module, "LOCK_HOLD_S", 0.5)
    redis = Redis.from_url(case_settings.redis_url)
    try:
        store = CaseStore(case_settings, redis, SilentKafka())
        store.keys.keys["CA-1"] = b"k" * 32
        with pytest.raises(store_module.CaseBusy, match="did not acknowledge"):
            await store.append("CA-1", lambda case: lifecycle_open("CA-1"))
        assert await redis.exists(store._key("lock", "CA-1")) == 0
        assert await store.find("CA-1") is None  # nothing projected without the log's acknowledgement
    finally:
        await redis.aclose()


def lifecycle_open(case_id: str):
    from schemas.cases import CaseOpened

    now = datetime(2026, 3, 2, tzinfo=UTC)
    return CaseOpened(case_id=case_id, version=1, actor="t", at=now, kind="medical_burden", category="risk",
                      source_id="AL-1", sla_due=now)
