"""Allowed lateness and what state must keep for it.

A stage's state has seen records up to `newest`. A record dated before `newest - lateness` (the
frozen horizon) is too late: it is dead-lettered, never judged on partial state. Every record
at or after the horizon is judged exactly, so state keeps all that a judgement on a day at or
after the horizon can ask for: window records inside the window that ends there, the latest
roster row (and property record per unit) at the horizon and all later ones, every death record,
and the standing firings whose cooldown reaches past it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from streams.config import RulesConfig
from streams.firing import Firing
from streams.records import Claim, Funeral, Hukou, Property, Record, RosterRow, days_before, iso

PRUNE_EVERY = 30  # days
STATEFUL = (RosterRow, Property)  # the latest one at the horizon still answers later days


@dataclass(frozen=True, slots=True)
class Reach:
    lateness_days: int
    window_days: int  # the longest window of any county
    cooldown_days: int  # the longest cooldown of any county

    @classmethod
    def of(cls, rules: RulesConfig, lateness_days: int) -> Reach:
        every = [rules.defaults, *(rules.for_county(c) for c in rules.counties)]
        return cls(lateness_days, max(t.window_days for t in every), max(t.cooldown_days for t in every))

    def horizon(self, newest: int) -> int:
        """The first day a record may still carry when the state has seen `newest`."""
        return days_before(newest, self.lateness_days) if newest else 0

    def prune_due(self, before: int, after: int) -> bool:
        """Prune when the horizon passes a multiple of PRUNE_EVERY days: state keeps at most that much
        extra (keeping more never changes a judgement), and in-order input rarely pays for pruning."""
        return self.horizon(before) // PRUNE_EVERY != self.horizon(after) // PRUNE_EVERY


def too_late(record: Record, newest: int, reach: Reach, subject: str) -> str | None:
    """The dead letter's reason when `record` is later than allowed, else None."""
    horizon = reach.horizon(newest)
    if record.day >= horizon:
        return None
    return (f"{record.feed} record dated {iso(record.day)} arrived after {subject} records up to {iso(newest)}: "
            f"more than the allowed lateness of {reach.lateness_days} days (back-test such history with replay)")


def all_kept(groups: Iterable[list[Record]] | None, horizon: int, reach: Reach) -> bool:
    """Whether `keep` would keep every record, known from the oldest of each ordered group alone (no
    record older than the window ending at the horizon): pruning then costs O(groups), not O(records).
    None (groups not at hand): not known."""
    if groups is None:
        return False
    window_from = horizon - reach.window_days
    return all(group[0].day >= window_from for group in groups if group)


def keep(records: Iterable[tuple[str, Record]], horizon: int, reach: Reach) -> set[str]:
    """event_ids of (owner, record) pairs a judgement on or after `horizon` may still need."""
    pairs = list(records)
    window_from = horizon - reach.window_days
    kept = {r.eid for _, r in pairs if r.day >= window_from or type(r) is Funeral
            or (type(r) is Hukou and r.action == "死亡注销")}
    latest: dict[tuple, Record] = {}
    for owner, r in pairs:
        if isinstance(r, STATEFUL) and r.day <= horizon:
            slot = (owner, r.feed, r.ref if type(r) is Property else "")
            if slot not in latest or latest[slot].order < r.order:
                latest[slot] = r
    kept.update(r.eid for r in latest.values())
    dead = {owner for owner, r in pairs if type(r) is Funeral or (type(r) is Hukou and r.action == "死亡注销")}
    kept.update(r.eid for owner, r in pairs if owner in dead and type(r) is RosterRow)  # deaths judge whole rosters
    live = {(owner, r.settlement) for owner, r in pairs if type(r) is Claim and r.eid in kept}
    kept.update(r.eid for owner, r in pairs if type(r) is Claim and (owner, r.settlement) in live)  # reversal pairs
    return kept


def keep_standing(standing: dict[str, Firing], horizon: int, reach: Reach, whole_history: frozenset[str]) -> dict[str, Firing]:
    """Firings a later judgement can still withdraw, or whose cooldown still reaches a judgeable day."""
    since = horizon - reach.cooldown_days
    return {aid: f for aid, f in standing.items() if f.day >= since or f.rule in whole_history}
