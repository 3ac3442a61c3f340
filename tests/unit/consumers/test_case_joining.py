"""One open case per subject and rule: later alerts join it; withdrawal closes what nobody accepted."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from consumers.cases import lifecycle
from consumers.cases.lifecycle import evolve, join_alert, replay, take_notice
from consumers.cases.service import open_for_alert
from schemas.alerts import Alert, Evidence
from schemas.cases import CaseState, subject_key

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PERSON = "b" * 64


def alert(alert_id: str, figure: float, severity: str = "high", key: str = "JS1") -> Alert:
    return Alert(alert_id=alert_id, rule="medical_burden", kind="risk", severity=severity,
                 subject="340403********123X", person_key=PERSON, household_id="H1", township_code="340403001",
                 event_time=date(2026, 3, 1), triggered_at=T0, rule_version="1",
                 evidence=[Evidence(feed="medical", key=key, figure=figure)])


def opened(a: Alert):
    return evolve(None, open_for_alert(a, T0))


def test_a_second_alert_joins_with_its_evidence_and_keeps_the_deadline():
    case = opened(alert("A1", 31000.0))
    later = T0 + timedelta(days=3)
    joined = evolve(case, join_alert(case, alert("A2", 45000.0, "critical", key="JS2"), at=later))
    assert joined.alert_ids == ["A1", "A2"]
    assert joined.sla_due == case.sla_due
    assert [e.key for e in joined.evidence] == ["JS2", "JS1"]
    assert joined.severity == "critical"
    assert joined.history[-1].type == "alert_joined"
    assert join_alert(joined, alert("A2", 45000.0, key="JS2"), at=later) is None  # re-delivered: nothing


def test_withdrawing_the_only_alert_of_an_unaccepted_case_closes_it():
    case = opened(alert("A1", 31000.0))
    events = take_notice(case, alert("A1", 31000.0), withdrawn=True, at=T0)
    closed = replay([open_for_alert(alert("A1", 31000.0), T0), *events])[case.case_id]
    assert closed.state is CaseState.closed and closed.withdrawn and closed.closed_as_withdrawn
    assert closed.history[-1].note == "预警撤回"
    assert take_notice(closed, alert("A1", 31000.0), withdrawn=True, at=T0) == []


def test_an_accepted_case_keeps_its_owner_and_may_be_closed_in_one_click():
    case = opened(alert("A1", 31000.0))
    case = evolve(case, lifecycle.transition(case, CaseState.assigned, actor="cw1", at=T0))
    for event in take_notice(case, alert("A1", 31000.0), withdrawn=True, at=T0):
        case = evolve(case, event)
    assert (case.state, case.assignee, case.withdrawn) == (CaseState.assigned, "cw1", True)
    closed = evolve(case, lifecycle.transition(case, CaseState.closed, actor="cw1", at=T0))
    assert closed.closed_as_withdrawn


def test_a_case_stays_while_one_of_its_alerts_stands():
    case = opened(alert("A1", 31000.0))
    case = evolve(case, join_alert(case, alert("A2", 40000.0, key="JS2"), at=T0))
    for event in take_notice(case, alert("A1", 31000.0), withdrawn=True, at=T0):
        case = evolve(case, event)
    assert (case.state, case.withdrawn, case.alert_ids) == (CaseState.open, False, ["A2"])


def test_household_rules_share_a_case_per_household():
    assert subject_key("expenditure_hardship", "p1", "H1") == "household:H1"
    assert subject_key("medical_burden", "p1", "H1") == "person:p1"
    assert subject_key("property_holder", "p1", None) == "person:p1"
