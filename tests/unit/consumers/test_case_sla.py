"""SLA per kind, working days that skip weekends, and escalation of overdue cases."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consumers.cases.lifecycle import evolve
from consumers.cases.sla import LOCAL, add_working_days, overdue, sla_for
from schemas.cases import CaseAssigned, CaseOpened, CaseState


def local(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=LOCAL)


@pytest.mark.parametrize(("start", "days", "due"), [
    (local(2026, 3, 2), 2, local(2026, 3, 4)),     # Monday -> Wednesday
    (local(2026, 3, 5), 2, local(2026, 3, 9)),     # Thursday -> Monday (weekend skipped)
    (local(2026, 3, 6), 1, local(2026, 3, 9)),     # Friday -> Monday
    (local(2026, 3, 7), 2, local(2026, 3, 10)),    # Saturday -> Tuesday
    (local(2026, 3, 8), 1, local(2026, 3, 9)),     # Sunday -> Monday
    (local(2026, 3, 2), 10, local(2026, 3, 16)),   # two full weeks
])
def test_working_days_skip_weekends(start: datetime, days: int, due: datetime) -> None:
    assert add_working_days(start, days) == due


def test_working_days_count_local_dates_not_utc() -> None:
    friday_night_local = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Saturday 01:00 in China
    assert add_working_days(friday_night_local, 1).astimezone(LOCAL).date().isoformat() == "2026-03-09"


@pytest.mark.parametrize(("kind", "category", "target", "due"), [
    ("deceased_recipient", "audit", CaseState.verified, local(2026, 3, 17)),
    ("medical_burden", "risk", CaseState.verified, local(2026, 3, 9)),
    ("hotline", "channel", CaseState.assigned, local(2026, 3, 4)),
    ("application", "channel", CaseState.verified, local(2026, 3, 16)),
    ("identify_person", "channel", CaseState.assigned, local(2026, 3, 4)),
])
def test_sla_per_kind(kind: str, category: str, target: CaseState, due: datetime) -> None:
    sla = sla_for(kind, category)
    assert (sla.target, sla.due(local(2026, 3, 2))) == (target, due)


def opened(kind: str = "hotline", category: str = "channel"):
    at = local(2026, 3, 2)
    return evolve(None, CaseOpened(case_id="C1", version=1, actor="x", at=at, kind=kind, category=category,
                                   source_id="r1", sla_due=sla_for(kind, category).due(at)))


def test_overdue_case_escalates_once() -> None:
    case = opened()
    assert overdue(case, local(2026, 3, 4, 9)) is None  # not yet due
    event = overdue(case, local(2026, 3, 4, 11))
    assert event is not None and (event.version, event.target_state) == (2, CaseState.assigned)
    assert overdue(evolve(case, event), local(2026, 3, 20)) is None  # already escalated


def test_a_case_that_reached_its_target_is_never_overdue() -> None:
    case = evolve(opened(), CaseAssigned(case_id="C1", version=2, actor="cw", at=local(2026, 3, 3), assignee="cw"))
    assert overdue(case, local(2026, 4, 1)) is None
    risk = opened("medical_burden", "risk")
    assert overdue(risk, local(2026, 3, 9, 11)) is not None
    assert overdue(risk, local(2026, 3, 9, 11) - timedelta(hours=2)) is None
