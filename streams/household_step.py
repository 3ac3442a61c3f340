"""The household stage as one pure step: `step_household(state, delta, rules, reach) -> (state, outputs)`.

    member delta (key household_id): one new record of a member, or the backlog of one who joined
      -> stored by event_id (a re-delivered delta changes nothing), lateness check
      -> household rules re-judged from the earliest day the new records can change
"""
from __future__ import annotations

from streams.config import RulesConfig
from streams.horizon import Reach, keep, keep_standing, too_late
from streams.household_rules import HouseholdView, judge_household
from streams.person_step import rejudge_from
from streams.records import Record
from streams.standing import Outputs, settle
from streams.state import HouseholdState, MemberDelta


def step_household(state: HouseholdState | None, delta: MemberDelta, rules: RulesConfig, reach: Reach,
                   ) -> tuple[HouseholdState, Outputs]:
    state = state or HouseholdState()
    new = [r for r in delta.records if state.records.get(r.eid) != (delta.person_key, r)]
    if not new:
        return state, Outputs(repeat=list(state.standing.values()))
    horizon = reach.horizon(state.newest)
    if not delta.backlog and (reason := too_late(min(new, key=lambda r: r.day), state.newest, reach, "the household's")):
        return state, Outputs(late=reason)
    records = {**state.records, **{r.eid: (delta.person_key, r) for r in new}}
    own = {eid: r for eid, (person, r) in records.items() if person == delta.person_key}
    since = max(min(rejudge_from(r, own) for r in new), horizon)
    masked = state.masked if delta.person_key in state.masked else {**state.masked, delta.person_key: delta.masked}
    view = HouseholdView.of(delta.household, members_of(masked, records), since)
    standing, changes = settle(state.standing, judge_household(view, rules), since, rules)
    newest = max(state.newest, max(r.day for r in new))
    pruned = prune(HouseholdState(newest, masked, records, standing), reach)
    return pruned, Outputs(changes.raised, changes.withdrawn)


def members_of(masked: dict[str, str], records: dict[str, tuple[str, Record]]) -> dict[str, tuple[str, list[Record]]]:
    members: dict[str, tuple[str, list[Record]]] = {}
    for person, r in records.values():
        members.setdefault(person, (masked[person], []))[1].append(r)
    return members


def prune(state: HouseholdState, reach: Reach) -> HouseholdState:
    horizon = reach.horizon(state.newest)
    wanted = keep(state.records.values(), horizon, reach)
    if len(wanted) < len(state.records):
        state.records = {eid: pair for eid, pair in state.records.items() if eid in wanted}
        present = {person for person, _ in state.records.values()}
        state.masked = {k: m for k, m in state.masked.items() if k in present}
    state.standing = keep_standing(state.standing, horizon, reach, frozenset())
    return state
