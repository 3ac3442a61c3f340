"""Analytics against real Kafka and chDB: migrations idempotent, sink inserts, views answer."""
from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta, timezone

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from consumers.analytics.migrate import applied, connect, discover, migrate
from consumers.analytics.sink import COLUMNS, Batches, serve
from schemas.alerts import Alert, AlertNotice, Evidence
from schemas.envelope import Envelope, FuneralRecord, MedicalClaim, RosterChange
from schemas.settings import Settings

NOW = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
PII = {"name", "id_number", "masked_id", "subject", "source_key", "caller_phone", "caller_name", "provider"}


@pytest.fixture
def client(settings: Settings, chdb_client, analytics_db: str):
    """A client bound to this test's database, on the one chDB path of the session, migrated."""
    bound = connect(settings.analytics_dsn, analytics_db, create=False)
    migrate(bound)
    return bound


def test_migrations_are_idempotent(client, analytics_db: str) -> None:
    versions = [m.version for m in discover()]
    assert migrate(client) == []  # the fixture applied them all already
    assert sorted(applied(client)) == versions
    assert client.query("SELECT count() FROM schema_migrations").result_rows == [(len(versions),)]
    tables = {r[0] for r in client.query(f"SELECT name FROM system.tables WHERE database = '{analytics_db}'").result_rows}
    assert {"events", "alerts", "alert_withdrawals", "case_events", "notifications", "alerts_per_week",
            "time_to_verification", "rule_precision", "audit_savings", "hotline_closure", "rule_catalog",
            "benefits_stopped", "rule_outcomes"} <= tables


def test_no_pii_columns(client, analytics_db: str) -> None:
    columns = {r[0] for r in client.query(f"SELECT name FROM system.columns WHERE database = '{analytics_db}' "
                                                 "AND table != 'schema_migrations'").result_rows}
    assert not columns & PII
    for table, names in COLUMNS.items():  # the sink writes exactly the migrated columns
        described = [r[0] for r in client.query(f"SELECT name FROM system.columns WHERE database = '{analytics_db}' "
                                                f"AND table = '{table}' ORDER BY position").result_rows]
        assert tuple(described) == names


def envelope(feed: str, n: int, payload) -> Envelope:
    return Envelope(event_id=f"{feed}-{n:014d}", feed=feed, source_key=f"K{n}", event_time=date(2026, 3, 1),
                    ingested_at=NOW, person_key=f"{n:064x}", masked_id="340403********123X",
                    household_id=f"HH{n}", township_code="340403001", payload=payload)


def alert(alert_id: str, rule: str, kind: str = "risk") -> Alert:
    return Alert(alert_id=alert_id, rule=rule, kind=kind, severity="high", subject="340403********123X",
                 person_key="a" * 64, township_code="340403001", event_time=date(2026, 3, 2), triggered_at=NOW,
                 rule_version="1", evidence=[Evidence(feed="medical", key="JS1", figure=31250.5)])


def case_events() -> list[dict]:
    """What the case tracker writes (schemas.cases), wrapped in CaseEventRecord."""
    from schemas.cases import CaseEventRecord, CaseOpened, CaseTransitioned, SurveyRecorded

    at = lambda h: NOW + timedelta(hours=h)  # noqa: E731
    due = at(24 * 7)

    def opened(case_id: str, kind: str, category: str, source_id: str, evidence=(), person=None) -> CaseOpened:
        return CaseOpened(case_id=case_id, version=1, actor="system", at=at(0), kind=kind, category=category,
                          source_id=source_id, township_code="340403001", evidence=list(evidence), sla_due=due,
                          person_key=person)

    def survey(case_id: str, version: int, verdict: str, hours: int) -> SurveyRecorded:
        return SurveyRecorded(case_id=case_id, version=version, actor="caseworker1", at=at(hours),
                              visit_date=date(2026, 3, 3), findings="visited", verdict=verdict)

    def move(case_id: str, version: int, to: str, hours: int, resolution=None) -> CaseTransitioned:
        return CaseTransitioned(case_id=case_id, version=version, actor="caseworker1", at=at(hours), to_state=to,
                                resolution=resolution)

    events = [
        opened("c1", "medical_burden", "risk", "m1"), survey("c1", 2, "confirmed", 24),
        opened("c2", "medical_burden", "risk", "m2"), survey("c2", 2, "dismissed", 48),
        opened("c3", "deceased_recipient", "audit", "d1", [Evidence(feed="funeral", key="HZ1"),
                                                          Evidence(feed="roster", key="R1", figure=750.0)],
               person=f"{2:064x}"),  # the roster row below is this person's: its 800 yuan is what stopped
        survey("c3", 2, "confirmed", 5), move("c3", 3, "resolved", 6, "benefit_stopped"),
        opened("h1", "hotline", "channel", "req1"), move("h1", 2, "closed", 3),
    ]
    return [CaseEventRecord(event=e).model_dump(mode="json") for e in events]


@pytest.mark.asyncio(loop_scope="session")
async def test_sink_inserts_and_views_answer(settings: Settings, client) -> None:
    medical = MedicalClaim(settlement_id="JS1", visit_type="住院", total_fen=5_000_000, fund_fen=1_875_000,
                           out_of_pocket_fen=3_125_000, provider="某医院")
    roster = RosterChange(household_id="HH1", township_code="340403001", category="低保", status="在保",
                          household_size=3, household_income_fen=1_000_000, monthly_benefit_fen=80_000,
                          basis_disability=False)
    funeral = FuneralRecord(record_no="HZ1", died_on=date(2026, 2, 27))
    notice = lambda action, a: AlertNotice(action=action, alert=a).model_dump_json().encode()  # noqa: E731
    async with AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap) as producer:
        sends = [(settings.topic("feed.medical"), envelope("medical", 1, medical).model_dump_json().encode())] * 2
        sends += [(settings.topic("feed.roster"), envelope("roster", 2, roster).model_dump_json().encode()),
                  (settings.topic("feed.funeral"), envelope("funeral", 3, funeral).model_dump_json().encode()),
                  (settings.topic("alerts"), notice("raised", alert("m1", "medical_burden"))),
                  (settings.topic("alerts"), notice("raised", alert("m2", "medical_burden"))),
                  (settings.topic("alerts"), notice("raised", alert("d1", "deceased_recipient", "audit").model_copy(
                      update={"event_time": date(2025, 12, 20)}))),  # died three calendar months before the stop
                  (settings.topic("alerts"), notice("withdrawn", alert("m2", "medical_burden")))]
        sends += [(settings.topic("case-events"), orjson.dumps(c)) for c in case_events()]
        sends += [(settings.topic("notifications"), orjson.dumps({
            "notification_id": "n1", "group": "east", "person_key": "a" * 64, "township_code": "340403001",
            "severity": "high", "escalated": False, "alert_ids": ["m1"], "rules": ["medical_burden"],
            "created_at": NOW.isoformat(), "delivered_at": NOW.isoformat(), "outcome": "delivered"}))]
        sends.append((settings.topic("notifications"), b"{not json"))  # skipped, counted, never blocks
        for topic, value in sends:
            await producer.send_and_wait(topic, value=value)

    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, client, stop, Batches(max_rows=10_000, max_seconds=0.2)))
    deadline = time.monotonic() + 60
    while client.query("SELECT count() FROM notifications").result_rows != [(1,)] or \
            client.query("SELECT count() FROM case_events").result_rows != [(9,)]:
        assert time.monotonic() < deadline, "the sink did not insert everything within 60 s"
        await asyncio.sleep(0.2)
    stop.set()
    sink = await asyncio.wait_for(task, 30)
    assert sink.unreadable == 1
    dead = [orjson.loads(line) for line in sink.dead_letters.read_bytes().splitlines()]
    assert [d["value"] for d in dead if d["topic"] == settings.topic("notifications")] == ["{not json"]

    q = lambda sql: client.query(sql).result_rows  # noqa: E731
    assert q("SELECT feed, amount_fen FROM events FINAL ORDER BY feed") == [("funeral", 0), ("medical", 3_125_000),
                                                                              ("roster", 80_000)]
    assert q("SELECT rule, sum(alerts) FROM alerts_per_week GROUP BY rule ORDER BY rule") == [
        ("deceased_recipient", 1), ("medical_burden", 1)]  # m2 withdrawn
    assert q("SELECT rule, kind, confirmed, verified, precision FROM rule_precision ORDER BY rule") == [
        ("deceased_recipient", "audit", 1, 1, 1.0), ("medical_burden", "risk", 1, 2, 0.5)]
    assert q("SELECT rule, verified_cases, mean_hours FROM time_to_verification ORDER BY rule") == [
        ("deceased_recipient", 1, 5.0), ("medical_burden", 2, 36.0)]
    assert q("SELECT rule, benefits_stopped, monthly_saved_yuan, months_since_evidence, overpaid_yuan "
             "FROM audit_savings") == [("deceased_recipient", 1, 800.0, 3, 2400.0)]
    assert q("SELECT case_id, evidence_date, stopped_on FROM benefits_stopped") == [
        ("c3", date(2025, 12, 20), date(2026, 3, 2))]
    outcomes = {r[0]: r[1:] for r in q("SELECT rule, kind, alerts, verified, precision, benefits_stopped "
                                        "FROM rule_outcomes")}
    assert len(outcomes) == 13 and outcomes["vehicle_owner"] == ("audit", 0, 0, None, 0)
    assert outcomes["deceased_recipient"] == ("audit", 1, 1, 1.0, 1)
    assert outcomes["medical_burden"][:4] == ("risk", 1, 2, 0.5)
    assert q("SELECT case_id, hours_to_close FROM hotline_closure") == [("h1", 3.0)]
    assert q("SELECT group_name, alert_ids FROM notifications") == [("east", ["m1"])]
