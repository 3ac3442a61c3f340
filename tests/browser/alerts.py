"""Alerts as the stream processor publishes them, sent from a thread of their own (Playwright's sync API
owns the main thread's event loop)."""
from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaProducer

from schemas.alerts import Alert, AlertNotice, Evidence
from schemas.settings import Settings

TOKEN = "P2860aaa28602fe6c"
# Evidence as each rule's processor writes it: (feed, key, figure)
EVIDENCE: dict[str, list[tuple[str, str, float | None]]] = {
    "medical_burden": [("medical", "JS2026-0301", 31250.5), ("medical", "JS2026-0102", 18000.0)],
    "expenditure_hardship": [("medical", "JS2026-0302", 4200.5), ("roster", f"{TOKEN}|2025-01-01", 36000.0),
                             ("household", "365d_rigid_spend", 13961.46),
                             ("household", "per_capita_after_spend", 7346.18)],
    "new_severe_disability": [("disability", TOKEN, 1.0)],
    "education_burden": [("education", f"{TOKEN}|2025-2026", 9800.0)],
    "income_shock": [("employment", f"{TOKEN}|失业登记|2026-02-11", None)],
    "deceased_recipient": [("funeral", "HZ2026-000123", None), ("hukou", f"{TOKEN}|死亡注销|2026-02-20", None),
                           ("roster", f"{TOKEN}|2024-05-01", 860.0)],
    "disability_mismatch": [("disability", TOKEN, 4.0), ("roster", f"{TOKEN}|2024-05-01", 860.0)],
    "rural_unassisted": [("rural", f"{TOKEN}|纳入|2026-02-01", None)],
    "moved_away": [("hukou", f"{TOKEN}|迁出|2026-02-03", None), ("roster", f"{TOKEN}|2024-05-01", 860.0)],
    "incarcerated": [("hukou", f"{TOKEN}|服刑|2026-01-15", None), ("roster", f"{TOKEN}|2024-05-01", 860.0)],
    "vehicle_owner": [("vehicle", f"{TOKEN}|注册登记|2026-01-20", 168000.0), ("roster", f"{TOKEN}|2024-05-01", 860.0)],
    "property_holder": [("property", f"{TOKEN}|取得|2026-01-05", 89.5), ("property", f"{TOKEN}|取得|2019-07-01", 120.0)],
    "business_owner": [("business", f"{TOKEN}|设立|2026-01-08", 500000.0)],
}
AUDIT = {"deceased_recipient", "disability_mismatch", "moved_away", "incarcerated", "vehicle_owner", "property_holder",
         "business_owner"}


def make_alert(alert_id: str, rule: str = "medical_burden", *, person: str = "a" * 64, township: str = "340403001",
               severity: str = "high", evidence: list[tuple[str, str, float | None]] | None = None,
               household: str | None = "HH340403001000001", event_time: date = date(2026, 3, 1)) -> Alert:
    return Alert(alert_id=alert_id, rule=rule, kind="audit" if rule in AUDIT else "risk", severity=severity,
                 subject=f"{township[:6]}********123X", person_key=person, household_id=household,
                 township_code=township, event_time=event_time, triggered_at=datetime(2026, 3, 2, tzinfo=UTC),
                 rule_version="2", evidence=[Evidence(feed=f, key=k, figure=v)
                                             for f, k, v in (evidence or EVIDENCE[rule])])


def send(settings: Settings, *alerts: Alert, action: str = "raised") -> None:
    async def go() -> None:
        async with AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True) as producer:
            for a in alerts:
                await producer.send_and_wait(settings.topic("alerts"), key=a.person_key.encode(),
                                             value=AlertNotice(action=action, alert=a).model_dump_json().encode())

    failure: list[BaseException] = []
    thread = threading.Thread(target=lambda: _run(go, failure))
    thread.start()
    thread.join(60)
    if failure:
        raise failure[0]


def _run(go, failure: list[BaseException]) -> None:
    try:
        asyncio.run(go())
    except BaseException as exc:  # noqa: BLE001 (re-raised in the caller's thread)
        failure.append(exc)
