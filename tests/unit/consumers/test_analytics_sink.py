"""Sink rows are built from named fields only, batches flush at size or age, migrations split cleanly."""
from __future__ import annotations

from datetime import date, datetime, timezone

from consumers.analytics.cli import render
from consumers.analytics.migrate import discover
from consumers.analytics.sink import COLUMNS, Batches, Topics
from schemas.alerts import Alert, AlertNotice, Evidence
from schemas.envelope import EducationAid, Envelope, MedicalClaim

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
TOPICS = Topics(feeds=("p.feed.medical", "p.feed.education"), alerts="p.alerts", cases="p.case-events",
                notifications="p.notifications")


def envelope(payload, feed: str) -> bytes:
    return Envelope(event_id="e" * 16, feed=feed, source_key="JS1|340403199001011234", event_time=date(2026, 3, 1),
                    ingested_at=T0, person_key="a" * 64, masked_id="340403********123X", household_id="HH1",
                    township_code="340403001", payload=payload).model_dump_json().encode()


def test_event_rows_carry_figures_and_no_identity() -> None:
    claim = MedicalClaim(settlement_id="JS1", visit_type="住院", total_fen=100, fund_fen=40, out_of_pocket_fen=60,
                         provider="第一人民医院")
    table, row = TOPICS.to_row("p.feed.medical", envelope(claim, "medical"))
    values = row
    assert list(row) == list(COLUMNS[table])
    assert table == "events" and values["amount_fen"] == 60
    assert values["figures"] == {"total_fen": 100, "fund_fen": 40, "out_of_pocket_fen": 60}
    assert values["attributes"] == {"visit_type": "住院", "is_reversal": "False"}
    flat = repr(row)
    assert "123X" not in flat and "340403199001011234" not in flat and "医院" not in flat


def test_education_rows_carry_net_cost() -> None:
    aid = EducationAid(student_ref="S1", student_key="b" * 64, student_masked_id="340403********5678", stage="高中",
                       school_year="2025-2026", tuition_fen=900_000, boarding_fen=100_000, aid_fen=150_000)
    _, row = TOPICS.to_row("p.feed.education", envelope(aid, "education"))
    assert row["amount_fen"] == 850_000
    assert "5678" not in repr(row)


def test_alert_notices_split_into_alerts_and_withdrawals() -> None:
    alert = Alert(alert_id="a1", rule="medical_burden", kind="risk", severity="high", subject="340403********123X",
                  person_key="a" * 64, event_time=date(2026, 3, 2), triggered_at=T0, rule_version="1",
                  evidence=[Evidence(feed="medical", key="JS1", figure=31250.5)])
    raised = AlertNotice(action="raised", alert=alert).model_dump_json().encode()
    withdrawn = AlertNotice(action="withdrawn", alert=alert).model_dump_json().encode()
    table, row = TOPICS.to_row("p.alerts", raised)
    assert table == "alerts" and row["top_figure"] == 31250.5 and list(row) == list(COLUMNS[table])
    assert "123X" not in repr(row)
    assert TOPICS.to_row("p.alerts", withdrawn)[0] == "alert_withdrawals"


def test_batches_flush_at_size_or_age() -> None:
    batches = Batches(max_rows=3, max_seconds=1.0)
    assert not batches.full(0.0)
    batches.add("events", {"n": 1}, now=10.0)
    batches.add("alerts", {"n": 2}, now=10.5)
    assert not batches.full(10.9) and batches.full(11.0)
    batches.add("events", {"n": 3}, now=10.9)
    assert batches.full(10.9)
    assert batches.take() == {"events": [{"n": 1}, {"n": 3}], "alerts": [{"n": 2}]} and batches.size() == 0


def test_migrations_are_numbered_and_split() -> None:
    migrations = discover()
    assert [m.version for m in migrations] == sorted(m.version for m in migrations)
    statements = [s for m in migrations for s in m.statements()]
    assert all(s.split()[0] in ("CREATE", "ALTER", "DROP") and not s.endswith(";") for s in statements)
    assert sum("CREATE TABLE" in s for s in statements) == 5


def test_render_formats() -> None:
    rows = [("medical_burden", 0.5, date(2026, 3, 2))]
    assert render(["rule", "precision", "week"], rows, "csv") == "rule,precision,week\r\nmedical_burden,0.5,2026-03-02\r\n"
    assert render(["rule", "precision", "week"], rows, "json") == \
        '{"rule": "medical_burden", "precision": 0.5, "week": "2026-03-02"}\n'
    assert render(["rule"], [("x",)], "table").splitlines() == ["rule", "----", "x", "(1 rows)"]


def test_a_case_closed_by_withdrawal_is_counted_apart() -> None:
    from consumers.analytics.sink import resolution_of

    assert resolution_of({"type": "transitioned", "to_state": "closed", "note": "预警撤回"}) == "withdrawn"
    assert resolution_of({"type": "transitioned", "to_state": "resolved", "resolution": "no_action"}) == "no_action"
    assert resolution_of({"type": "transitioned", "to_state": "closed", "note": ""}) == ""
