"""Decisions as roster rows: what each outcome writes, formula cells, encodings, and the file read back
by the roster feed's own adapter."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from consumers.cases import lifecycle
from consumers.cases.decisions import (HEADER, DecisionRow, decided_on, decision_row, exportable, latest_rows,
                                       neutralise, one_per_person_day, roster_envelope, to_csv)
from consumers.cases.lifecycle import InvalidTransition, evolve
from producers.identity import Pseudonymizer
from producers.reader import read_feed
from producers.vault import IdentityRecord
from schemas.cases import Case, CaseOpened, CaseState, Grant
from schemas.envelope import DeadLetter, Envelope
from tests.factories import key, resident_id, roster

T0 = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # 01:30 on 21 November in China
ID = resident_id(7)
PERSON = key(ID)


def decided(resolution: str, grant: Grant | None = None, verdict: str = "confirmed", close: bool = True) -> Case:
    case = evolve(None, CaseOpened(case_id="CA1", version=1, actor="alerts", at=T0 - timedelta(days=9),
                                   kind="deceased_recipient", category="audit", source_id="a1", person_key=PERSON,
                                   subject="340403********" + ID[-4:], township_code="340403001",
                                   household_id="H1", sla_due=T0))
    for step in (CaseState.assigned, CaseState.visiting):
        case = evolve(case, lifecycle.transition(case, step, actor="cw", at=T0))
    case = evolve(case, lifecycle.record_survey(case, visit_date=date(2026, 11, 19), findings="seen", verdict=verdict,
                                                actor="cw", at=T0))
    case = evolve(case, lifecycle.transition(case, CaseState.verified, actor="cw", at=T0))
    case = evolve(case, lifecycle.transition(case, CaseState.resolved, actor="cw", at=T0, resolution=resolution,
                                             grant=grant))
    return evolve(case, lifecycle.transition(case, CaseState.closed, actor="cw", at=T0 + timedelta(days=1))) \
        if close else case


IDENTITY = IdentityRecord(person_key=PERSON, id_number=ID, name="张三")
LAST = roster(ID, "2026-01-05", household="H1", income=30000, size=3, basis=True)


def test_a_stopped_benefit_is_a_withdrawal_on_the_decision_day_with_the_roster_figures() -> None:
    row = decision_row(decided("benefit_stopped"), IDENTITY, LAST)
    assert (row.status, row.effective_date, row.category, row.monthly_benefit_fen) == ("退出", date(2026, 11, 21), "低保", 0)
    assert (row.household_id, row.household_size, row.household_annual_income_fen) == ("H1", 3, 3_000_000)
    assert (row.id_number, row.name, row.township_code) == (ID, "张三", "340403001")
    assert "残疾" in row.basis and row.complete


def test_assistance_granted_is_in_care_with_its_category_and_the_grants_figures() -> None:
    grant = Grant(category="特困", monthly_benefit_fen=95_000, household_size=1)
    row = decision_row(decided("assistance_granted", grant), IDENTITY, LAST)
    assert (row.status, row.category, row.monthly_benefit_fen, row.household_size) == ("在保", "特困", 95_000, 1)
    assert row.household_annual_income_fen == 3_000_000  # not assessed: the roster's


def test_someone_never_on_the_roster_gets_a_provisional_household_and_is_incomplete_without_figures() -> None:
    row = decision_row(decided("assistance_granted", Grant(category="低保")), IDENTITY, None)
    assert row.household_id == "H1"  # the alert's household
    bare = decided("assistance_granted", Grant(category="低保")).model_copy(update={"household_id": None})
    row = decision_row(bare, IDENTITY, None)
    assert row.household_id == "NCA1" and not row.complete
    full = Grant(category="低保", household_size=2, household_income_fen=1_000_000)
    assert decision_row(decided("assistance_granted", full), IDENTITY, None).complete


def test_granting_needs_a_category_and_only_granting_takes_one() -> None:
    verified = decided("no_action", close=False)
    case = verified.model_copy(update={"state": CaseState.verified, "version": verified.version - 1})
    with pytest.raises(InvalidTransition, match="救助类别"):
        lifecycle.transition(case, CaseState.resolved, actor="cw", at=T0, resolution="assistance_granted")
    with pytest.raises(InvalidTransition, match="grant goes with assistance_granted"):
        lifecycle.transition(case, CaseState.resolved, actor="cw", at=T0, resolution="benefit_stopped",
                             grant=Grant(category="低保"))


@pytest.mark.parametrize(("resolution", "grant", "close", "since", "expected"), [
    ("benefit_stopped", None, True, None, True),
    ("assistance_granted", Grant(category="低保"), True, date(2026, 11, 21), True),
    ("benefit_stopped", None, True, date(2026, 11, 22), False),  # decided before --since
    ("benefit_stopped", None, False, None, False),  # resolved, not yet closed
    ("no_action", None, True, None, False),
])
def test_which_cases_are_exported(resolution, grant, close, since, expected) -> None:
    assert exportable(decided(resolution, grant, close=close), since) is expected


def test_the_export_event_is_audited_and_only_for_decided_cases() -> None:
    case = decided("benefit_stopped")
    after = evolve(case, lifecycle.export_decision(case, export_id="DX1", rows=3, actor="admin1", at=T0))
    assert (after.exports, after.history[-1].type, after.history[-1].actor) == (1, "decision_exported", "admin1")
    assert ID not in after.model_dump_json() and decided_on(after) == date(2026, 11, 21)
    with pytest.raises(InvalidTransition):
        lifecycle.export_decision(decided("benefit_stopped", close=False), export_id="DX1", rows=1, actor="a", at=T0)


@pytest.mark.parametrize(("cell", "safe"), [("=1+2", "'=1+2"), ("+86", "'+86"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("\t=x", "'\t=x"), ("张三", "张三"), ("340403001", "340403001")])
def test_formula_cells_are_neutralised(cell: str, safe: str) -> None:
    assert neutralise(cell) == safe


def test_latest_roster_row_wins_and_foreign_records_are_ignored() -> None:
    older, newer = roster(ID, "2025-01-01"), roster(ID, "2026-02-01", status="退出")
    assert latest_rows([newer, older])[PERSON] is newer
    assert roster_envelope(newer.model_dump_json().encode(), {PERSON}) == newer
    assert roster_envelope(newer.model_dump_json().encode(), {"0" * 64}) is None
    assert roster_envelope(b"{not json", {PERSON}) is None


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_the_file_reads_back_through_the_roster_adapter(tmp_path, encoding: str) -> None:
    """The loop's other half: civil affairs' import is our own roster feed, in either encoding."""
    granted = decided("assistance_granted", Grant(category="特困", monthly_benefit_fen=95_050))
    rows = [decision_row(decided("benefit_stopped"), IDENTITY.model_copy(update={"name": "=HYPERLINK(\"x\")"}), LAST),
            decision_row(granted, IDENTITY, LAST).model_copy(update={"case_id": "CA2"})]
    data = to_csv(rows, encoding)
    assert data.decode("gb18030" if encoding == "gbk" else "utf-8-sig").splitlines()[0] == ",".join(HEADER)
    if encoding == "gbk":
        assert data.decode("gbk")  # plain GBK bytes for every character we wrote
    path = tmp_path / f"roster_decisions_{encoding}.csv"
    path.write_bytes(data)
    events = list(read_feed(path, "roster", Pseudonymizer(b"test-secret"), T0))
    assert not [e for e in events if isinstance(e, DeadLetter)]
    stopped, back = events
    assert isinstance(stopped, Envelope) and stopped.person_key == PERSON
    assert (stopped.payload.status, stopped.event_time, stopped.payload.monthly_benefit_fen) == ("退出", date(2026, 11, 21), 0)
    assert (back.payload.status, back.payload.category, back.payload.monthly_benefit_fen) == ("在保", "特困", 95_050)
    assert back.payload.basis_disability and back.household_id == "H1"
    assert "'=HYPERLINK" in data.decode("gb18030" if encoding == "gbk" else "utf-8-sig")


def test_a_row_model_never_takes_an_unknown_column() -> None:
    with pytest.raises(ValueError):
        DecisionRow.model_validate({"case_id": "x", "phone": "1"})


def test_one_row_per_person_and_day_the_last_resolved_speaks() -> None:
    first = decided("benefit_stopped")
    second = first.model_copy(update={"case_id": "CA2", "resolved_at": T0 + timedelta(hours=1)})
    other_day = first.model_copy(update={"case_id": "CA3", "resolved_at": T0 + timedelta(days=2)})
    assert [c.case_id for c in one_per_person_day([second, other_day, first])] == ["CA2", "CA3"]
