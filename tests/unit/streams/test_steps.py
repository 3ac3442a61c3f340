"""The step functions themselves: re-deliveries, lateness, pruning, deltas and the state codec."""
from __future__ import annotations

from datetime import date, timedelta

from streams.config import RulesConfig
from streams.direct import DirectPipeline
from streams.horizon import Reach
from streams.person_step import step_person
from streams.state import dumps, loads
from tests import factories as f

RULES = RulesConfig()
A, B, KID = f.resident_id(1), f.resident_id(2), f.resident_id(3, born="20070101")


def alerts(pipeline: DirectPipeline) -> list[tuple]:
    return sorted((a.rule, a.subject, a.event_time.isoformat(), a.severity) for a in pipeline.alerts())


def test_a_redelivered_event_changes_nothing_and_repeats_what_stands():
    reach = Reach.of(RULES, 730)
    state, out = step_person(None, f.roster(A, "2025-01-01"), RULES, reach)
    state, out = step_person(state, f.claim(A, "2025-03-01", "JS1", 31000), RULES, reach)
    assert [x.rule for x in out.raised] == ["medical_burden", ] and len(out.deltas) == 1
    again, repeat = step_person(state, f.claim(A, "2025-03-01", "JS1", 31000), RULES, reach)
    assert again is state and not repeat.raised and [x.rule for x in repeat.repeat] == ["medical_burden"]
    assert [d.household for d in repeat.deltas] == ["H1"]  # the household may have missed it


def test_a_record_later_than_allowed_is_dead_lettered_not_judged():
    reach = Reach.of(RULES, 30)
    state, _ = step_person(None, f.claim(A, "2025-06-01", "JS1", 100), RULES, reach)
    after, out = step_person(state, f.claim(A, "2025-04-01", "JS0", 31000), RULES, reach)
    assert after is state and not out.raised
    assert "2025-04-01" in out.late and "allowed lateness of 30 days" in out.late
    within, out = step_person(state, f.claim(A, "2025-05-15", "JS2", 31000), RULES, reach)
    assert out.late is None and [x.rule for x in out.raised] == ["medical_burden"]


def test_the_household_stage_dead_letters_what_is_late_for_the_household():
    pipeline = DirectPipeline.of(RULES, 30).put_all([f.roster(A, "2025-01-01"), f.roster(B, "2025-01-01"),
                                                      f.claim(A, "2025-06-01", "JS1", 100)])
    pipeline.put(f.claim(B, "2025-04-01", "JS2", 5000))  # B's newest is January: late only for the household
    assert [stage for stage, _ in pipeline.late] == ["households"]


def test_a_late_record_is_judged_with_everything_its_window_needs():
    """Issue 10's case: school costs of 2024-09, a claim of 2026-10, then a claim of 2025-04 arrives."""
    events = [f.roster(A, "2024-01-01"), f.roster(B, "2024-01-01"), f.education(A, KID, "2024-2025", 1000),
              f.claim(B, "2026-10-01", "JS9", 10)]
    late = f.claim(B, "2025-04-01", "JS1", 700)
    pipeline = DirectPipeline.of(RULES, 730).put_all([*events, late])
    assert alerts(pipeline) == [("expenditure_hardship", f.masked(B), "2025-04-01", "medium")]
    assert alerts(DirectPipeline.of(RULES, 730).put_all([late, *events])) == alerts(pipeline)


def history(years: int = 4) -> list:
    """A claim a fortnight for each of two members, roster changes, reversals: years of it."""
    start, events = date(2022, 1, 1), [f.roster(A, "2022-01-01"), f.roster(B, "2022-01-01")]
    for n in range(years * 26):
        on = (start + timedelta(days=14 * n)).isoformat()
        amount = 31000 if n == 40 else 50 + 15 * (n % 7)
        events.append(f.claim(A if n % 2 else B, on, f"JS{n}", amount))
        if n % 9 == 0:
            events.append(f.claim(A if n % 2 else B, on, f"JS{n}", amount, reversal=True))
        if n % 10 == 0:
            events.append(f.roster(A, on, income=40000 + 1000 * (n % 4)))
        if n % 11 == 0:
            events.append(f.unit(B, on, f"U{n}"))
        if n % 22 == 0 and n:
            events.append(f.unit(B, on, f"U{n - 11}", action="注销"))
    return events


def test_pruning_never_changes_the_standing_set_and_state_stays_small():
    events = history()
    bounded = DirectPipeline.of(RULES, 200).put_all(events)
    unbounded = DirectPipeline.of(RULES, 100_000).put_all(events)
    assert alerts(bounded) == alerts(unbounded) and len(alerts(bounded)) >= 4
    assert len(bounded.people[f.key(A)].records) < len(unbounded.people[f.key(A)].records) / 2
    kept = lambda state: sum(len(log.records) for log in state.members.values())  # noqa: E731
    assert kept(bounded.households["H1"]) < kept(unbounded.households["H1"]) / 2


def test_a_member_joining_a_household_brings_their_backlog():
    reach = Reach.of(RULES, 730)
    state, _ = step_person(None, f.claim(A, "2025-02-01", "JS1", 900), RULES, reach)
    state, out = step_person(state, f.roster(A, "2025-03-01", household="H7"), RULES, reach)
    assert [(d.household, d.backlog, [r.feed for r in d.records]) for d in out.deltas] == [
        ("H7", True, ["medical", "roster"])]
    state, out = step_person(state, f.roster(A, "2025-04-01", household="H8"), RULES, reach)
    assert [(d.household, d.backlog, len(d.records)) for d in out.deltas] == [("H7", False, 1), ("H8", True, 3)]


def test_a_redelivered_joining_row_sends_the_backlog_again():
    """A crash after the person's state was stored but before the backlog reached the household: the
    redelivered roster row must bring the backlog again, or the household never sees the member's past."""
    reach = Reach.of(RULES, 730)
    state, _ = step_person(None, f.claim(A, "2025-02-01", "JS1", 900), RULES, reach)
    state, first = step_person(state, f.roster(A, "2025-03-01", household="H7"), RULES, reach)
    again, out = step_person(state, f.roster(A, "2025-03-01", household="H7"), RULES, reach)
    assert again is state
    assert [(d.household, d.backlog, [r.feed for r in d.records]) for d in out.deltas] == [
        ("H7", True, ["medical", "roster"])]
    pipeline = DirectPipeline.of(RULES, 730)
    lost_backlog = [f.roster(B, "2025-01-01", household="H7"), f.claim(B, "2025-02-01", "JS2", 20000),
                    f.claim(A, "2025-02-01", "JS1", 20000)]
    pipeline.put_all(lost_backlog)
    person, _ = step_person(pipeline.people[f.key(A)], f.roster(A, "2025-03-01", household="H7"), RULES, reach)
    pipeline.people[f.key(A)] = person  # stored, but its backlog delta was lost with the process
    pipeline.put(f.roster(A, "2025-03-01", household="H7"))  # the redelivery
    whole = DirectPipeline.of(RULES, 730).put_all([*lost_backlog, f.roster(A, "2025-03-01", household="H7")])
    assert alerts(pipeline) == alerts(whole) and alerts(whole)


def test_one_codec_for_person_state_household_state_and_deltas():
    pipeline = DirectPipeline.of(RULES, 730).put_all(history(1))
    reach = Reach.of(RULES, 730)
    _, out = step_person(pipeline.people[f.key(A)], f.roster(A, "2023-01-01", household="H2"), RULES, reach)
    values = [pipeline.people[f.key(A)], pipeline.households["H1"], *out.deltas]
    assert all(loads(dumps(v)) == v for v in values)
    assert all(pipeline.households["H1"].standing.values())  # firings survive the codec too
