"""The household stage as one pure step: `step_household(state, delta, rules, reach) -> (state, outputs)`.

    member delta (key household_id): one new record of a member, or the backlog of one who joined
      -> stored by event_id (a re-delivered delta changes nothing), lateness check
      -> household rules re-judged from the earliest day the new records can change
"""
from __future__ import annotations

from functools import cache

from streams.config import RulesConfig
from streams.horizon import Reach, all_kept, keep, keep_standing, too_late
from streams.household_rules import HOUSEHOLD_READS, HOUSEHOLD_RULES, HouseholdView, judge_household, member_after
from streams.person_rules import reading
from streams.person_step import rejudge_from
from streams.records import Claim, Property, Record, RosterRow
from streams.standing import Outputs, settle, tail_agrees
from streams.state import HouseholdState, MemberDelta, MemberLog

UNBOUNDED = (RosterRow, Property)  # records whose effect on the household rules never expires


def step_household(state: HouseholdState | None, delta: MemberDelta, rules: RulesConfig, reach: Reach,
                   ) -> tuple[HouseholdState, Outputs]:
    state = state or HouseholdState()
    log = state.members.get(delta.person_key) or MemberLog(delta.masked)
    new = [r for r in delta.records if log.records.get(r.eid) != r]
    if not new:
        return state, Outputs(repeat=list(state.standing.values()))
    horizon = reach.horizon(state.newest)
    if not delta.backlog and (reason := too_late(min(new, key=lambda r: r.day), state.newest, reach, "the household's")):
        return state, Outputs(late=reason)
    records = {**log.records, **{r.eid: r for r in new}}
    members = {**state.members, delta.person_key: member_after(log, new, records)}  # the others' views are reused
    since = max(min(rejudge_from(r, records) for r in new), horizon)
    rows = None if any(type(r) is RosterRow for r in new) else state.rows
    newest = max(state.newest, max(r.day for r in new))
    until = reach_of(new, records, since, reach)
    only, names = readers({type(r) for r in new})  # the others cannot change
    while True:
        view = HouseholdView.of(delta.household, members, since, rows, until)
        standing, changes = settle(state.standing, judge_household(view, rules, only), since, rules, until=until,
                                   judged=names)
        if until is None or tail_agrees(state.standing, standing, until, reach.cooldown_days):
            break
        until += 2 * reach.cooldown_days  # a changed alert moved later cooldown decisions: judge further
        if until >= newest:
            until = None
    new_state = HouseholdState(newest, members, standing, view.rows)
    if reach.prune_due(state.newest, newest):
        new_state = prune(new_state, reach)
    return new_state, Outputs(changes.raised, changes.withdrawn)


@cache
def readers_of(kinds: frozenset[type[Record]]) -> tuple[tuple, frozenset[str]]:
    return reading(HOUSEHOLD_RULES, HOUSEHOLD_READS, kinds)


def readers(kinds: set[type[Record]]) -> tuple[tuple, frozenset[str]]:
    """The household rules that read records of these kinds, and their names."""
    return readers_of(frozenset(kinds))


def reach_of(new: list[Record], records: dict[str, Record], since: int, reach: Reach) -> int | None:
    """The last day whose household candidates the new records can change (None: any later day).

    A claim or an education record counts in the windows that hold its day (a reversal: also its
    original's, from `since`); an employment or disaster record judges only its own day. A roster row
    changes membership and figures, a property record holdings, on every later day."""
    if any(isinstance(r, UNBOUNDED) for r in new):
        return None
    reversed_ = {r.settlement for r in new if type(r) is Claim and r.reversal}
    originals = (r.day for r in records.values() if type(r) is Claim and r.settlement in reversed_) if reversed_ else ()
    return max(since, *(r.day for r in new), *originals) + reach.window_days  # an original may postdate its reversal


def prune(state: HouseholdState, reach: Reach) -> HouseholdState:
    horizon = reach.horizon(state.newest)
    if all(log.derived is not None and all_kept(log.derived.kinds.values(), horizon, reach)
           for log in state.members.values()):
        state.standing = keep_standing(state.standing, horizon, reach, frozenset())
        return state  # no record is old enough to forget
    wanted = keep(((k, r) for k, log in state.members.items() for r in log.records.values()), horizon, reach)
    members = {}
    for person, log in state.members.items():
        kept = {eid: r for eid, r in log.records.items() if eid in wanted}
        if len(kept) == len(log.records):
            members[person] = log
        elif kept:
            members[person] = MemberLog(log.masked, kept)
    if len(members) != len(state.members) or any(members[k] is not state.members[k] for k in members):
        state.members, state.rows = members, None
    state.standing = keep_standing(state.standing, horizon, reach, frozenset())
    return state
