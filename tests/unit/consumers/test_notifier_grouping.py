"""Grouping: one notification per (group, person) per window; offsets held back while pending."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from consumers.notifier.grouping import GroupWindow, commit_positions, notification_id
from consumers.notifier.routing import Route
from schemas.alerts import Alert

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
EAST = Route(group="east", members=("e1",))
TP = ("alerts", 0)


def alert(alert_id: str, person: str = "a", rule: str = "medical_burden", severity: str = "high") -> Alert:
    return Alert(alert_id=alert_id, rule=rule, kind="risk", severity=severity, subject="340403********123X",
                 person_key=person * 64, township_code="340403001", event_time=date(2026, 3, 2),
                 triggered_at=T0, rule_version="1", evidence=[])


def test_notification_id_ignores_order_and_repeats() -> None:
    assert notification_id(["b", "a"]) == notification_id(["a", "b", "a"]) != notification_id(["a"])


def test_alerts_about_one_person_within_the_window_become_one_notification() -> None:
    window = GroupWindow(timedelta(minutes=10))
    window.add(alert("a1"), EAST, T0, (TP, 5))
    window.add(alert("a2", rule="income_shock", severity="critical"), EAST, T0 + timedelta(minutes=9), (TP, 6))
    window.add(alert("b1", person="b"), EAST, T0 + timedelta(minutes=5), (TP, 7))
    assert window.due(T0 + timedelta(minutes=9, seconds=59)) == []
    [due] = window.due(T0 + timedelta(minutes=10))
    assert due.alert_ids == ["a1", "a2"] and due.severity == "critical"
    assert due.notification_id == notification_id(["a1", "a2"])
    assert [n.person_key for n in window.due(T0 + timedelta(minutes=15))] == ["a" * 64, "b" * 64]


def test_the_same_alert_twice_is_held_once() -> None:
    window = GroupWindow(timedelta(0))
    window.add(alert("a1"), EAST, T0, (TP, 5))
    window.add(alert("a1"), EAST, T0, (TP, 9))
    [due] = window.due(T0)
    assert due.alert_ids == ["a1"] and window.pending_offsets() == {TP: 5}


def test_offsets_are_held_back_to_the_oldest_pending_alert() -> None:
    window = GroupWindow(timedelta(minutes=10))
    window.add(alert("a1"), EAST, T0, (TP, 5))
    window.add(alert("b1", person="b"), EAST, T0 + timedelta(minutes=5), (TP, 8))
    assert commit_positions({TP: 12, ("alerts", 1): 3}, window.pending_offsets()) == {TP: 5, ("alerts", 1): 3}
    [first] = window.due(T0 + timedelta(minutes=10))
    window.done(first)
    assert window.pending_offsets() == {TP: 8}
    window.done(window.due(T0 + timedelta(hours=1))[0])
    assert window.buckets == {} and commit_positions({TP: 12}, window.pending_offsets()) == {TP: 12}


def test_a_withdrawn_pending_alert_is_never_notified() -> None:
    window = GroupWindow(timedelta(0))
    window.add(alert("a1"), EAST, T0, (TP, 5))
    assert window.withdraw("a1") and not window.withdraw("a1")
    assert window.due(T0) == [] and window.pending_offsets() == {}


def test_a_critical_alert_escalates_the_bucket() -> None:
    window = GroupWindow(timedelta(0))
    window.add(alert("a1"), EAST, T0, (TP, 1))
    window.add(alert("a2", severity="critical"), Route(group="east", members=("e1",), escalate_to=("sup",)), T0, (TP, 2))
    assert window.due(T0)[0].escalate_to == ("sup",)
