"""`POST /api/decisions` on real Kafka and Redis: administrators only, rows from the vault and the
pipeline's roster, and every exported case audited on case-events without its ID number."""
from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from consumers.cases.api import create_cases_app
from consumers.cases.service import open_store, run
from consumers.cases.store import VaultIndex, read_to_end
from producers.vault import TOPIC as VAULT_TOPIC
from producers.vault import IdentityRecord, seal, vault_keys
from schemas.alerts import Alert, AlertNotice, Evidence
from schemas.cases import CaseEventRecord, case_id_for_alert
from schemas.codec import loads
from schemas.settings import Settings
from tests.factories import key, resident_id, roster

ID = resident_id(42)
PERSON = key(ID)
DECIDED_AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def case_settings(settings: Settings, redis_client) -> Settings:
    db = redis_client.connection_pool.connection_kwargs["db"]
    return settings.model_copy(update={"redis_url": urlunsplit(urlsplit(settings.redis_url)._replace(path=f"/{db}"))})


async def publish(settings: Settings) -> None:
    """The person's identity in the vault, two roster rows on feed.roster, and their audit alert."""
    record = IdentityRecord(person_key=PERSON, id_number=ID, name="李四")
    alert = Alert(alert_id="AL-D1", rule="deceased_recipient", kind="audit", severity="high",
                  subject=ID[:6] + "********" + ID[-4:], person_key=PERSON, household_id="H9",
                  township_code="340403001", event_time=date(2026, 6, 15), triggered_at=DECIDED_AT,
                  rule_version="1", evidence=[Evidence(feed="funeral", key="F1"), Evidence(feed="roster", key="R1", figure=800.0)])
    async with AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True) as producer:
        await producer.send_and_wait(settings.topic(VAULT_TOPIC), key=PERSON.encode(), value=seal(record, vault_keys(settings)[0]))
        for row in (roster(ID, "2024-01-01", household="H9", size=2), roster(ID, "2025-03-01", household="H9", size=3)):
            await producer.send_and_wait(settings.topic("feed.roster"), key=PERSON.encode(), value=row.model_dump_json().encode())
        await producer.send_and_wait(settings.topic("alerts"), key=b"AL-D1",
                                     value=AlertNotice(action="raised", alert=alert).model_dump_json().encode())


async def login(client: httpx.AsyncClient, user: str) -> dict[str, str]:
    response = await client.post("/api/login", json={"user": user, "password": f"{user}-demo"})
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_an_admin_exports_a_stopped_benefit_and_each_export_is_audited(case_settings: Settings) -> None:
    case_id = case_id_for_alert("AL-D1")
    await publish(case_settings)
    async with open_store(case_settings) as store:
        tracker = asyncio.create_task(run(case_settings, store))
        app = create_cases_app(case_settings, store=store, vault=VaultIndex(case_settings), clock=lambda: DECIDED_AT)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cases") as client:
                deadline = asyncio.get_running_loop().time() + 60
                while await store.find(case_id) is None:
                    assert asyncio.get_running_loop().time() < deadline and not tracker.done(), "no case opened"
                    await asyncio.sleep(0.1)
                me, url = await login(client, "caseworker1"), f"/api/cases/{case_id}"
                steps = [("transition", {"to": "assigned"}), ("transition", {"to": "visiting"}),
                         ("survey", {"case_id": case_id, "visit_date": "2026-11-19", "findings": "died in June",
                                     "verdict": "confirmed"}),
                         ("transition", {"to": "verified"}),
                         ("transition", {"to": "resolved", "resolution": "benefit_stopped"})]
                for path, body in steps:
                    assert (await client.post(f"{url}/{path}", json=body, headers=me)).status_code == 200
                admin = await login(client, "admin1")
                assert (await client.post("/api/decisions", json={}, headers=admin)).json()["rows"] == []  # not closed
                assert (await client.post(f"{url}/transition", json={"to": "closed"}, headers=me)).status_code == 200

                for user in ("caseworker1", "supervisor1", "auditor1"):
                    denied = await client.post("/api/decisions", json={}, headers=await login(client, user))
                    assert denied.status_code == 403, user
                assert (await client.post("/api/decisions", json={})).status_code == 401
                later = await client.post("/api/decisions", json={"since": "2026-11-21"}, headers=admin)
                assert later.json()["rows"] == []

                export = (await client.post("/api/decisions", json={"since": "2026-11-20"}, headers=admin)).json()
                [row] = export["rows"]
                assert (row["id_number"], row["name"], row["status"], row["effective_date"]) == (ID, "李四", "退出", "2026-11-20")
                assert (row["household_id"], row["household_size"], row["category"]) == ("H9", 3, "低保")  # latest row
                case = (await client.get(url, headers=admin)).json()
                assert (case["exports"], case["history"][-1]["type"], case["history"][-1]["actor"]) == (
                    1, "decision_exported", "admin1")
        finally:
            tracker.cancel()
            await asyncio.gather(tracker, return_exceptions=True)
    records = await read_to_end(case_settings, case_settings.topic("case-events"))
    assert not [r for r in records if ID.encode() in r.value or "李四".encode() in r.value]
    exported = [e for e in (loads(CaseEventRecord, r.value).event for r in records) if e.type == "decision_exported"]
    assert [(e.case_id, e.actor, e.rows) for e in exported] == [(case_id, "admin1", 1)]
    assert exported[0].export_id == export["export_id"]
