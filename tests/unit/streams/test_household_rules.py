"""Household rules fire on a crossing (contract section 3, v2): one crossing, one alert, on the member who tipped it."""
from __future__ import annotations

import itertools

from streams.config import RulesConfig
from streams.direct import DirectPipeline
from tests import factories as f

A, B, C, KID = f.resident_id(1), f.resident_id(2), f.resident_id(4), f.resident_id(3, born="20070101")
FAMILY = [f.roster(A, "2025-01-01"), f.roster(B, "2025-01-01"), f.roster(C, "2025-01-01")]  # 40,000 / 4: margin 1,600


def standing(*events, rules=RulesConfig()) -> list[tuple]:
    pipeline = DirectPipeline.of(rules, 100_000).put_all(events)
    return sorted((a.rule, a.subject, a.event_time.isoformat(), a.severity) for a in pipeline.alerts()
                  if a.rule in ("expenditure_hardship", "property_holder"))


def in_every_order(*events) -> list[tuple]:
    results = {tuple(standing(*order)) for order in itertools.permutations(events)}
    assert len(results) == 1, results
    return list(results.pop())


def test_crossing_fires_once_on_the_member_whose_record_tipped_it():
    got = standing(*FAMILY, f.claim(A, "2025-03-01", "JS1", 1000), f.claim(B, "2025-04-01", "JS2", 700),
                   f.claim(C, "2025-05-01", "JS3", 500), f.claim(A, "2025-06-01", "JS4", 100))
    assert got == [("expenditure_hardship", f.masked(B), "2025-04-01", "medium")]


def test_a_new_crossing_after_the_household_is_back():
    first = [f.claim(A, "2025-03-01", "JS1", 1000), f.claim(B, "2025-04-01", "JS2", 700)]
    # a year on, both claims have left the window: the household is back; C's claim alone crosses again
    again = [f.claim(C, "2026-05-01", "JS3", 1700)]
    assert standing(*FAMILY, *first, *again) == [("expenditure_hardship", f.masked(B), "2025-04-01", "medium"),
                                                 ("expenditure_hardship", f.masked(C), "2026-05-01", "medium")]


def test_an_income_change_brings_the_household_back_and_the_next_record_crosses_again():
    events = [*FAMILY, f.claim(A, "2025-03-01", "JS1", 2000),
              f.roster(A, "2025-05-01", income=45000), f.claim(B, "2025-08-01", "JS2", 5000)]
    assert standing(*events) == [("expenditure_hardship", f.masked(A), "2025-03-01", "medium"),
                                 ("expenditure_hardship", f.masked(B), "2025-08-01", "medium")]


def test_a_late_earlier_claim_moves_the_crossing_to_another_member_and_day():
    in_time = [*FAMILY, f.claim(A, "2025-03-01", "JS1", 1000), f.claim(B, "2025-04-01", "JS2", 700)]
    pipeline = DirectPipeline.of(RulesConfig(), 730).put_all(in_time)
    assert [(a.subject, a.event_time.isoformat()) for a in pipeline.alerts()] == [(f.masked(B), "2025-04-01")]
    pipeline.put(f.claim(C, "2025-02-01", "JS0", 900))  # arrives last, dated first
    assert [(a.subject, a.event_time.isoformat()) for a in pipeline.alerts()] == [(f.masked(A), "2025-03-01")]


def test_the_crossing_is_the_same_in_every_arrival_order():
    got = in_every_order(f.roster(A, "2025-01-01"), f.roster(B, "2025-01-01"), f.claim(A, "2025-03-01", "JS1", 1000),
                         f.claim(B, "2025-04-01", "JS2", 700), f.claim(A, "2025-04-02", "JS3", 50, reversal=False))
    assert got == [("expenditure_hardship", f.masked(B), "2025-04-01", "medium")]


def test_a_reversal_undoes_the_crossing_it_made():
    events = [*FAMILY, f.claim(A, "2025-03-01", "JS1", 1000), f.claim(B, "2025-04-01", "JS2", 700),
              f.claim(B, "2025-04-20", "JS2", 700, reversal=True), f.claim(C, "2025-05-01", "JS3", 800)]
    assert standing(*events) == [("expenditure_hardship", f.masked(C), "2025-05-01", "medium")]


def test_education_of_a_member_guardian_tips_the_household():
    events = [*FAMILY, f.claim(A, "2025-03-01", "JS1", 1000), f.education(B, KID, "2025-2026", 700)]
    assert standing(*events) == [("expenditure_hardship", f.masked(B), "2025-09-01", "medium")]


def test_a_former_member_counts_no_more_and_tips_nothing():
    events = [*FAMILY, f.roster(C, "2025-02-01", household="H2"), f.claim(C, "2025-03-01", "JS1", 1000),
              f.claim(B, "2025-04-01", "JS2", 700)]
    assert standing(*events) == []


def test_a_household_poor_on_income_alone_or_inactive_never_crosses():
    poor = [f.roster(A, "2025-01-01", income=30000), f.claim(A, "2025-03-01", "JS1", 5000)]
    inactive = [f.roster(A, "2025-01-01", status="退出"), f.claim(A, "2025-03-01", "JS1", 5000)]
    assert standing(*poor) == [] and standing(*inactive) == []


def test_severity_high_below_half_the_line():
    assert standing(f.roster(A, "2025-01-01"), f.claim(A, "2025-03-01", "JS1", 25000)) == [
        ("expenditure_hardship", f.masked(A), "2025-03-01", "high")]


# ---------------------------------------------------------------- property_holder


def test_property_holder_crosses_at_the_second_residential_unit():
    events = [*FAMILY, f.unit(A, "2025-03-01", "U1"), f.unit(B, "2025-04-01", "U2"), f.unit(C, "2025-05-01", "U3")]
    assert standing(*events) == [("property_holder", f.masked(B), "2025-04-01", "medium")]


def test_property_holder_any_commercial_unit():
    assert standing(*FAMILY, f.unit(A, "2025-03-01", "U1", use="商业")) == [
        ("property_holder", f.masked(A), "2025-03-01", "medium")]


def test_a_unit_two_members_own_together_is_one_unit():
    assert standing(*FAMILY, f.unit(A, "2025-03-01", "U1"), f.unit(B, "2025-03-01", "U1")) == []


def test_a_unit_disposed_of_is_no_longer_held_and_a_new_crossing_fires():
    events = [*FAMILY, f.unit(A, "2025-03-01", "U1"), f.unit(B, "2025-04-01", "U2"),
              f.unit(A, "2025-05-01", "U1", action="注销"), f.unit(C, "2025-09-01", "U3")]
    assert standing(*events) == [("property_holder", f.masked(B), "2025-04-01", "medium"),
                                 ("property_holder", f.masked(C), "2025-09-01", "medium")]


def test_property_holder_needs_an_active_household_and_members():
    assert standing(f.roster(A, "2025-01-01", status="退出"), f.unit(A, "2025-03-01", "U1", use="办公")) == []
    assert standing(f.unit(A, "2025-03-01", "U1", use="办公")) == []  # on no roster


def test_property_crossing_in_every_arrival_order():
    got = in_every_order(f.roster(A, "2025-01-01"), f.roster(B, "2025-01-01"), f.unit(A, "2025-03-01", "U1"),
                         f.unit(B, "2025-04-01", "U2"), f.unit(A, "2025-02-01", "U0", action="注销"))
    assert got == [("property_holder", f.masked(B), "2025-04-01", "medium")]
