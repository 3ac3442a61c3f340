"""The contract's cooldown is per person and rule: a move between households does not reset it."""
from __future__ import annotations

from datetime import date, timedelta

from tests.browser.alerts import make_alert
from streams.config import RulesConfig
from streams.export import cooled

MOVER = "c" * 64
START = date(2023, 5, 25)


def hardship(alert_id: str, household: str, days: int, severity: str = "medium", person: str = MOVER):
    return make_alert(alert_id, "expenditure_hardship", person=person, household=household, severity=severity,
                      event_time=START + timedelta(days=days), evidence=[("medical", "JS1", 1.0)])


def test_a_second_household_within_the_cooldown_raises_nothing_more():
    first, moved = hardship("a", "H1", 0), hardship("b", "H2", 84)
    assert [a.alert_id for a in cooled([moved, first], RulesConfig())] == ["a"]


def test_after_the_cooldown_or_with_higher_severity_it_stands():
    first, later, worse = hardship("a", "H1", 0), hardship("b", "H2", 100), hardship("c", "H2", 10, "high")
    assert [a.alert_id for a in cooled([later, worse, first], RulesConfig())] == ["a", "c", "b"]


def test_other_people_and_rules_are_untouched_and_the_pass_is_idempotent():
    alerts = [hardship("a", "H1", 0), hardship("b", "H1", 5, person="d" * 64),
              make_alert("m", "medical_burden", person=MOVER, event_time=START + timedelta(days=3))]
    once = cooled(alerts, RulesConfig())
    assert {a.alert_id for a in once} == {"a", "b", "m"}
    assert cooled(once, RulesConfig()) == once


def test_a_county_cooldown_applies_by_the_alerts_township():
    rules = RulesConfig(counties={"340403": {"cooldown_days": 30}})
    first, moved = hardship("a", "H1", 0), hardship("b", "H2", 40)
    assert [a.alert_id for a in cooled([first, moved], rules)] == ["a", "b"]
