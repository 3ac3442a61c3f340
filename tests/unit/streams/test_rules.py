"""The version-1 rules through the step functions (no Kafka): one table per rule, edge cases included."""
from __future__ import annotations

import random

import pytest

from streams.config import RulesConfig, Thresholds
from streams.direct import DirectPipeline
from tests import factories as f

RULES = RulesConfig()
A, B, KID = f.resident_id(1), f.resident_id(2), f.resident_id(3, born="20070101")


def standing(*events, rules=RULES, lateness=100_000) -> list[tuple]:
    pipeline = DirectPipeline.of(rules, lateness).put_all(events)
    return sorted((a.rule, a.subject, a.event_time.isoformat(), a.severity) for a in pipeline.alerts())


def person_alerts(*events, rules=RULES):
    return [(rule, on, severity) for rule, _, on, severity in standing(*events, rules=rules)]


@pytest.mark.parametrize(("amounts", "expected"), [
    ([29999.99], []),
    ([30000], [("medical_burden", "2025-03-01", "high")]),
    ([20000, 10000], [("medical_burden", "2025-03-01", "high")]),
    ([60000], [("medical_burden", "2025-03-01", "critical")]),
])
def test_medical_burden_threshold(amounts, expected):
    claims = [f.claim(A, "2025-03-01", f"JS{i}", a) for i, a in enumerate(amounts)]
    assert person_alerts(*claims) == expected


def test_medical_window_is_365_days_of_event_time():
    inside = person_alerts(f.claim(A, "2025-01-01", "JS1", 15000), f.claim(A, "2025-12-31", "JS2", 15000))
    outside = person_alerts(f.claim(A, "2025-01-01", "JS1", 15000), f.claim(A, "2026-01-01", "JS2", 15000))
    assert inside == [("medical_burden", "2025-12-31", "high")]
    assert outside == []


def test_reversal_cancels_its_original_whatever_the_order():
    events = [f.claim(A, "2025-03-01", "JS1", 20000), f.claim(A, "2025-03-05", "JS2", 15000),
              f.claim(A, "2025-03-09", "JS2", 15000, reversal=True)]
    assert person_alerts(*events) == []
    assert person_alerts(*reversed(events)) == []


def test_cooldown_and_severity_escalation():
    events = [f.claim(A, "2025-01-01", "JS1", 30000), f.claim(A, "2025-02-01", "JS2", 100),
              f.claim(A, "2025-03-01", "JS3", 30000), f.claim(A, "2025-06-01", "JS4", 100)]
    assert person_alerts(*events) == [("medical_burden", "2025-01-01", "high"),
                                      ("medical_burden", "2025-03-01", "critical"),
                                      ("medical_burden", "2025-06-01", "critical")]


def test_arrival_order_never_changes_the_result():
    events = [f.roster(A, "2025-01-01"), f.claim(A, "2025-03-01", "JS1", 31000), f.funeral(A, "2025-05-01"),
              f.certificate(A, "2025-04-01", "新办", 1), f.claim(A, "2025-04-01", "JS2", 1, reversal=True)]
    expected = person_alerts(*events)
    assert {r for r, _, _ in expected} == {"medical_burden", "expenditure_hardship", "new_severe_disability",
                                           "deceased_recipient"}
    for seed in range(5):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        assert person_alerts(*shuffled) == expected


@pytest.mark.parametrize(("action", "grade", "rule"), [
    ("新办", 1, "new_severe_disability"), ("新办", 2, "new_severe_disability"), ("新办", 3, None),
    ("等级变更", 2, "new_severe_disability"), ("换领", 1, None), ("注销", 1, None),
])
def test_new_severe_disability(action, grade, rule):
    got = person_alerts(f.certificate(A, "2025-04-01", action, grade))
    assert [r for r, _, _ in got] == ([rule] if rule else [])


@pytest.mark.parametrize(("basis", "status", "action", "grade", "fires"), [
    (True, "在保", "注销", 2, True), (True, "在保", "等级变更", 3, True), (True, "在保", "等级变更", 4, True),
    (True, "在保", "等级变更", 2, False), (False, "在保", "注销", 2, False), (True, "退出", "注销", 2, False),
])
def test_disability_mismatch(basis, status, action, grade, fires):
    got = person_alerts(f.roster(A, "2025-01-01", status=status, basis=basis), f.certificate(A, "2025-04-01", action, grade))
    assert ("disability_mismatch" in {r for r, _, _ in got}) is fires


@pytest.mark.parametrize(("rows", "fires"), [
    ([("2025-01-01", "在保")], True),
    ([("2025-01-01", "退出")], False),
    ([("2025-06-01", "在保")], True),  # put on the roster after death
    ([("2025-01-01", "在保"), ("2025-04-01", "退出")], False),
    ([], False),
])
def test_deceased_recipient_either_order(rows, fires):
    events = [f.roster(A, on, status=status) for on, status in rows] + [f.funeral(A, "2025-05-01")]
    for order in (events, events[::-1]):
        assert (("deceased_recipient", "2025-05-01", "high") in person_alerts(*order)) is fires


@pytest.mark.parametrize(("guardian_status", "tuition", "expected"), [
    ("在保", 8000, "medium"), ("在保", 16000, "high"), ("在保", 7999.99, None), ("退出", 9000, None),
])
def test_education_burden_needs_an_active_guardian(guardian_status, tuition, expected):
    got = standing(f.roster(A, "2025-01-01", status=guardian_status, income=100000),
                   f.education(A, KID, "2025-2026", tuition))
    assert [(r, s, sev) for r, s, _, sev in got] == ([("education_burden", f.masked(KID), expected)] if expected else [])


def test_income_shock_for_member_of_active_household():
    events = [f.roster(A, "2025-01-01"), f.unemployment(A, "2025-03-01"), f.disaster(A, "2025-05-01", 9999),
              f.disaster(A, "2025-08-01", 60000), f.roster(B, "2025-01-01", status="退出"), f.unemployment(B, "2025-03-02")]
    assert standing(*events) == [("income_shock", f.masked(A), "2025-03-01", "medium"),
                                 ("income_shock", f.masked(A), "2025-08-01", "high"),
                                 ("income_shock", f.masked(B), "2025-03-02", "medium")]


def test_income_shock_needs_an_active_household():
    assert standing(f.roster(A, "2025-01-01", status="退出"), f.unemployment(A, "2025-03-01")) == []
    assert standing(f.unemployment(A, "2025-03-01")) == []  # not on the roster at all


def test_county_overrides_change_thresholds():
    rules = RulesConfig(counties={"340403": {"medical_burden_threshold": 10000}})
    assert person_alerts(f.roster(A, "2025-01-01", income=100000), f.claim(A, "2025-03-01", "JS1", 12000), rules=rules)
    assert rules.version != RULES.version
    assert rules.for_county("340404") == Thresholds()
