"""The person stage as one pure step: `step_person(state, event, rules, reach) -> (state, outputs)`.

    envelope (key person_key)
      -> record, dedup on event_id, lateness check
      -> person rules re-judged from the record's day      -> raised / withdrawn firings
      -> the record, to every household the member belongs to (a backlog to a household just joined)
"""
from __future__ import annotations

from bisect import insort

from schemas.envelope import Envelope
from streams.config import RulesConfig
from streams.horizon import Reach, all_kept, keep, keep_standing, too_late
from streams.household_rules import HOUSEHOLD_FEEDS
from streams.person_rules import PERSON_READERS, WHOLE_HISTORY_RULES, PersonView, judge_person
from streams.records import ORDER, Claim, Record, RosterRow, by_kind, to_record
from streams.standing import Outputs, settle
from streams.state import MemberDelta, PersonState


def rejudge_from(record: Record, records: dict[str, Record]) -> int:
    """The first day whose judgements `record` can change: its own, or its original's for a reversal."""
    if type(record) is Claim and record.reversal:
        return min((r.day for r in records.values() if type(r) is Claim and r.settlement == record.settlement),
                   default=record.day)
    return record.day


def step_person(state: PersonState | None, event: Envelope, rules: RulesConfig, reach: Reach) -> tuple[PersonState, Outputs]:
    state = state or PersonState(event.person_key, event.masked_id)
    record = to_record(event)
    if state.records.get(record.eid) == record:  # a re-export, or a redelivery after a crash
        # the sends of the first delivery may have been lost with the process: send them again, the backlog too
        # if this row is how the member joined (the household keeps records by event_id, so a repeat is free)
        rejoined = record.household if type(record) is RosterRow else None
        return state, Outputs(deltas=forward(state, record, rejoined), repeat=list(state.standing.values()))
    if reason := too_late(record, state.newest, reach, "this person's"):
        return state, Outputs(late=reason)
    horizon = reach.horizon(state.newest)
    records = {**state.records, record.eid: record}
    since = max(rejudge_from(record, records), horizon)
    joined = record.household if type(record) is RosterRow and record.household not in state.households else None
    households = sorted({*state.households, joined}) if joined else state.households
    kinds = with_record(state, record, records)
    rebuilt = state.kinds is None or record.eid in state.records  # then with_record grouped them anew
    ledger, roster = (None, None) if rebuilt else (state.ledger, state.roster)
    if type(record) is Claim and ledger is not None:
        ledger = ledger.extended(record)  # None when it cannot: built anew when medical_burden asks
    elif type(record) is RosterRow:
        roster = None
    view = PersonView.of(state.person_key, state.masked, kinds, since, ledger, roster)
    only, names = PERSON_READERS[type(record)]  # rules that do not read this kind of record cannot change
    standing, changes = settle(state.standing, judge_person(view, rules, only), since, rules, WHOLE_HISTORY_RULES,
                               judged=names)
    newest = max(state.newest, record.day)
    new = PersonState(state.person_key, state.masked, newest, records, households, standing, kinds, view.ledger,
                      view.roster)
    if reach.prune_due(state.newest, newest):
        new = prune(new, reach)
    out = Outputs(changes.raised, changes.withdrawn, forward(new, record, joined, records))
    return new, out


def with_record(state: PersonState, record: Record, records: dict[str, Record]) -> dict[type[Record], list[Record]]:
    """The records by type after adding one: the previous grouping copied where it changes, else built."""
    if state.kinds is None or record.eid in state.records:
        return by_kind(records.values())
    kinds = dict(state.kinds)
    group = list(kinds.get(type(record), ()))
    insort(group, record, key=ORDER)
    kinds[type(record)] = group
    return kinds


def forward(state: PersonState, record: Record, joined: str | None, everything: dict[str, Record] | None = None,
            ) -> list[MemberDelta]:
    """The record for every household of the member; a household just joined gets the whole backlog."""
    if record.feed not in HOUSEHOLD_FEEDS:
        return []
    deltas = []
    for household in state.households:
        if household == joined:
            backlog = sorted((r for r in (everything or state.records).values() if r.feed in HOUSEHOLD_FEEDS),
                             key=lambda r: r.order)
            deltas.append(MemberDelta(household, state.person_key, state.masked, tuple(backlog), backlog=True))
        else:
            deltas.append(MemberDelta(household, state.person_key, state.masked, (record,)))
    return deltas


def prune(state: PersonState, reach: Reach) -> PersonState:
    """Forget what no judgement at or after the frozen horizon can ask for."""
    horizon = reach.horizon(state.newest)
    if all_kept(state.kinds and state.kinds.values(), horizon, reach):
        wanted = state.records
    else:
        wanted = keep((("", r) for r in state.records.values()), horizon, reach)
    if len(wanted) < len(state.records):
        state.records = {eid: r for eid, r in state.records.items() if eid in wanted}
        state.kinds = state.ledger = state.roster = None
    state.standing = keep_standing(state.standing, horizon, reach, WHOLE_HISTORY_RULES)
    return state
