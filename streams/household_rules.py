"""The rules judged over a household (partitioned by household_id): expenditure_hardship, income_shock.

A household's state is one snapshot per member, sent by the person stage whenever that member's
household-relevant records change: {"m": masked_id, "recs": [roster rows, live claims, ...]}.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date

from streams.config import RulesConfig
from streams.firing import Firing, apply_cooldown, yuan
from streams.records import Record, live_claims, order, window_start
from streams.roster import RosterHistory

HOUSEHOLD_FEEDS = ("roster", "medical", "education", "employment", "disaster")


def member_snapshot(masked: str, records: list[Record]) -> dict:
    """What the household stage needs of one person: roster rows and spend/shock records."""
    kept = [r for r in records if r["f"] in ("roster", "education", "employment", "disaster")]
    return {"m": masked, "recs": sorted(kept + live_claims(records), key=order)}


def households_of(records: list[Record]) -> set[str]:
    return {r["h"] for r in records if r["f"] == "roster"}


class Household:
    def __init__(self, household_id: str, members: dict[str, dict]) -> None:
        self.id = household_id
        self.members = members
        self.rosters = {key: RosterHistory(m["recs"]) for key, m in members.items()}
        self.rows = RosterHistory([r for m in members.values() for r in m["recs"] if r["f"] == "roster" and r["h"] == household_id])

    def is_member(self, person_key: str, on: str) -> bool:
        return self.rosters[person_key].household_on(on) == self.id

    def active_on(self, on: str) -> bool:
        return any((row := r.as_of(on)) is not None and row["h"] == self.id and row["on"] for r in self.rosters.values())

    def spend_records(self) -> list[tuple[str, str, int, Record]]:
        """(day, owner, amount, record) for every live claim and education record, by day."""
        spend = []
        for key, m in self.members.items():
            for r in m["recs"]:
                if r["f"] == "medical":
                    spend.append((r["d"], key, r["oop"], r))
                elif r["f"] == "education":
                    spend.append((r["d"], key, r["net"], r))
        return sorted(spend, key=lambda s: order(s[3]))


def judge_household(household_id: str, members: dict[str, dict], rules: RulesConfig) -> list[Firing]:
    household = Household(household_id, members)
    firings = [*expenditure_hardship(household, rules), *income_shock(household, rules)]
    return apply_cooldown(firings, lambda f: rules.for_county(f.township_code).cooldown_days)


def expenditure_hardship(household: Household, rules: RulesConfig) -> list[Firing]:
    spend = household.spend_records()
    days = [s[0] for s in spend]
    firings = []
    for on, owner, amount, record in spend:
        figures = household.rows.as_of(on)
        if figures is None or not household.is_member(owner, on) or not household.active_on(on):
            continue
        limits = rules.for_county(figures["t"])
        line_total = limits.yearly_line_fen * figures["n"]
        if figures["inc"] < line_total:
            continue  # poor on income alone: not what this rule looks for
        start = window_start(date.fromisoformat(on), limits.window_days).isoformat()
        window = spend[bisect_left(days, start):bisect_right(days, on)]
        members = {key for key in household.members if household.is_member(key, on)}
        total = sum(s[2] for s in window if s[1] in members)
        left = figures["inc"] - total
        if left >= line_total:
            continue
        severity = "high" if 2 * left < line_total else "medium"
        key = record["sid"] if record["f"] == "medical" else record["ref"]
        evidence = ((record["f"], key, yuan(amount)), ("roster", figures["k"], yuan(figures["inc"])),
                    ("household", "365d_rigid_spend", yuan(total)),
                    ("household", "per_capita_after_spend", yuan(left // figures["n"])))
        firings.append(Firing("expenditure_hardship", owner, household.members[owner]["m"], record["id"], on,
                              order(record), severity, household.id, figures["t"], evidence))
    return firings


def income_shock(household: Household, rules: RulesConfig) -> list[Firing]:
    firings = []
    for key, m in household.members.items():
        for r in m["recs"]:
            if r["f"] not in ("employment", "disaster") or not household.is_member(key, r["d"]):
                continue
            figures = household.rows.as_of(r["d"])
            if figures is None or not household.active_on(r["d"]):
                continue
            limits = rules.for_county(figures["t"])
            if r["f"] == "employment":
                if r["a"] != "失业登记":
                    continue
                severity, evidence = "medium", (("employment", r["k"], None),)
            else:
                if r["loss"] < limits.disaster_fen:
                    continue
                severity = "high" if r["loss"] >= 5 * limits.disaster_fen else "medium"
                evidence = (("disaster", r["k"], yuan(r["loss"])),)
            firings.append(Firing("income_shock", key, m["m"], r["id"], r["d"], order(r),
                                  severity, household.id, figures["t"], evidence))
    return firings
