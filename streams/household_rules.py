"""The rules judged over a household (partitioned by household_id).

`expenditure_hardship` and `property_holder` fire on a crossing (contract section 3, v2): at a
tipping record r on day d, `across(d, records before r)` is false and `across(d, records up to r)`
is true; see RULES.md. `income_shock` fires at each qualifying record of a member.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter

from streams.config import RulesConfig, Thresholds
from streams.firing import Firing, yuan
from streams.records import (ORDER, Claim, Disaster, Employment, Property, Record, RosterRow, Schooling, by_kind,
                             window_start)
from streams.roster import RosterHistory
from streams.state import MemberLog

HOUSEHOLD_FEEDS = frozenset({"roster", "medical", "education", "employment", "disaster", "property"})
NON_RESIDENTIAL = frozenset({"商业", "办公", "工业"})

Order = tuple[int, str, str]
DAY = attrgetter("day")


@dataclass(slots=True)
class Member:
    masked: str
    kinds: dict[type[Record], list[Record]]  # the member's records by type, each in order
    roster: RosterHistory
    live: list[Claim]  # claims no reversal cancels
    orders: list[Order]  # live claims and education records, in order
    running: list[int]  # running[i] = their spend before orders[i]
    cancelled: frozenset[str] = frozenset()  # settlements a reversal cancels

    @classmethod
    def build(cls, masked: str, kinds: dict[type[Record], list[Record]]) -> Member:
        claims = kinds.get(Claim, [])
        cancelled = frozenset(c.settlement for c in claims if c.reversal)
        live = [c for c in claims if not c.reversal and c.settlement not in cancelled]
        schooling = kinds.get(Schooling, [])
        spend = [(c.order, c.out_of_pocket) for c in live] + [(r.order, r.net) for r in schooling]
        if schooling and live:
            spend.sort()
        running, total = [0], 0
        for _, amount in spend:
            total += amount
            running.append(total)
        return cls(masked, kinds, RosterHistory(kinds.get(RosterRow, []), in_order=True), live,
                   [o for o, _ in spend], running, cancelled)

    def extended(self, record: Record) -> Member | None:
        """This member with one more record (None for a reversal: then build anew). An in-order record is
        appended; an earlier one inserted, the running sums after it shifted (copies at C speed, a sum per later spend)."""
        kind = type(record)
        if kind is Claim and record.reversal:
            return None
        group, order = self.kinds.get(kind, []), record.order
        if group and ORDER(group[-1]) >= order:
            group = group.copy()
            insort(group, record, key=ORDER)
        else:
            group = [*group, record]
        kinds = {**self.kinds, kind: group}
        if kind is RosterRow:
            return Member(self.masked, kinds, RosterHistory(group, in_order=True), self.live, self.orders,
                          self.running, self.cancelled)
        if kind not in (Claim, Schooling) or (kind is Claim and record.settlement in self.cancelled):
            return Member(self.masked, kinds, self.roster, self.live, self.orders, self.running, self.cancelled)
        amount = record.out_of_pocket if kind is Claim else record.net
        live = self.live
        if kind is Claim:
            live = live.copy()
            insort(live, record, key=ORDER)
        orders, running = self.orders, self.running
        if not orders or orders[-1] < order:
            return Member(self.masked, kinds, self.roster, live, [*orders, order], [*running, running[-1] + amount],
                          self.cancelled)
        at = bisect_right(orders, order)
        return Member(self.masked, kinds, self.roster, live, [*orders[:at], order, *orders[at:]],
                      [*running[:at + 1], *(r + amount for r in running[at:])], self.cancelled)

    def spend_between(self, start: Order, end: Order, inclusive: bool) -> int:
        """Sum of spend ordered in [start, end) (or [start, end] when inclusive)."""
        lo = bisect_left(self.orders, start)
        hi = (bisect_right if inclusive else bisect_left)(self.orders, end)
        return self.running[max(hi, lo)] - self.running[lo]


def member_of(log: MemberLog) -> Member:
    """The rules' view of one member, built when their records change and reused until then."""
    if log.derived is None:
        log.derived = Member.build(log.masked, by_kind(log.records.values()))
    return log.derived


def member_after(log: MemberLog, new: list[Record], records: dict[str, Record]) -> MemberLog:
    """The member's log with new records; its view extended (one record at a time) in place of rebuilt."""
    after = MemberLog(log.masked, records)
    if log.derived is not None and len(new) == 1 and new[0].eid not in log.records:
        after.derived = log.derived.extended(new[0])
    return after


@dataclass(slots=True)
class HouseholdView:
    household_id: str
    members: dict[str, Member]  # person_key -> everyone the roster ever put in this household
    since: int
    rows: RosterHistory | None = None  # the household's own rows: its figures as of a day
    until: int | None = None  # judge triggers dated up to this day (None: to the end)

    def __post_init__(self) -> None:
        if self.rows is None:
            self.rows = RosterHistory(r for m in self.members.values() for r in m.roster.rows
                                      if r.household == self.household_id)

    @classmethod
    def of(cls, household_id: str, members: dict[str, MemberLog], since: int,
           rows: RosterHistory | None = None, until: int | None = None) -> HouseholdView:
        return cls(household_id, {k: member_of(log) for k, log in members.items()}, since, rows, until)

    def members_on(self, day: int) -> list[str]:
        return [k for k, m in self.members.items() if m.roster.household_on(day) == self.household_id]

    def active_on(self, day: int, members: list[str]) -> bool:
        return any(self.members[k].roster.active_on(day) is not None for k in members)

    def household_of(self, owner: str, day: int):
        """(members, roster row) on `day` when `owner` belongs to the household then and it is active; else None."""
        members = self.members_on(day)
        row = self.rows.as_of(day)
        if owner not in members or row is None or not self.active_on(day, members):
            return None
        return members, row

    def triggers(self, kind: type[Record]) -> list[tuple[str, Record]]:
        found = []
        for k, m in self.members.items():
            group = m.live if kind is Claim else m.kinds.get(kind)
            if group and group[-1].day >= self.since:  # usually only the member whose record just came
                end = len(group) if self.until is None or group[-1].day <= self.until else \
                    bisect_right(group, self.until, key=DAY)
                found += [(k, r) for r in group[bisect_left(group, self.since, key=DAY):end]]
        return sorted(found, key=lambda kr: kr[1].order) if len(self.members) > 1 else found


def expenditure_hardship(view: HouseholdView, rules: RulesConfig) -> Iterator[Firing]:
    for owner, record in sorted(view.triggers(Claim) + view.triggers(Schooling), key=lambda kr: kr[1].order):
        day = record.day
        if (found := view.household_of(owner, day)) is None:
            continue
        members, row = found
        limits = rules.for_county(row.township)
        line_total = limits.yearly_line_fen * row.size
        if row.income < line_total:
            continue  # poor on income alone: not what this rule looks for
        start = (window_start(day, limits.window_days), "", "")
        before = sum(view.members[k].spend_between(start, record.order, inclusive=False) for k in members)
        through = sum(view.members[k].spend_between(start, record.order, inclusive=True) for k in members)
        if row.income - before < line_total or row.income - through >= line_total:
            continue  # across already before this record, or still not across after it: no crossing
        left = row.income - through
        severity = "high" if 2 * left < line_total else "medium"
        amount = record.out_of_pocket if type(record) is Claim else record.net
        ref = record.settlement if type(record) is Claim else record.ref
        yield Firing("expenditure_hardship", owner, view.members[owner].masked, record.eid, record.order, severity,
                     view.household_id, row.township,
                     ((record.feed, ref, yuan(amount)), ("roster", row.key, yuan(row.income)),
                      ("household", "365d_rigid_spend", yuan(through)),
                      ("household", "per_capita_after_spend", yuan(left // row.size))))


def held_units(view: HouseholdView, members: list[str], end: Order, inclusive: bool) -> dict[str, str]:
    """unit ref -> use, for units members hold after the records ordered before `end` (or up to it)."""
    latest: dict[tuple[str, str], Property] = {}
    for k in members:
        for r in view.members[k].kinds.get(Property, []):
            if r.order < end or (inclusive and r.order == end):
                if (k, r.ref) not in latest or latest[(k, r.ref)].order < r.order:
                    latest[(k, r.ref)] = r
    return {r.ref: r.use for r in latest.values() if r.action == "取得"}


def disqualifying(units: dict[str, str], limits: Thresholds) -> bool:
    residential = sum(1 for use in units.values() if use == "住宅")
    return residential >= limits.residential_units_threshold or any(use in NON_RESIDENTIAL for use in units.values())


def property_holder(view: HouseholdView, rules: RulesConfig) -> Iterator[Firing]:
    for owner, record in view.triggers(Property):
        if record.action != "取得":
            continue
        if (found := view.household_of(owner, record.day)) is None:
            continue
        members, row = found
        limits = rules.for_county(row.township)
        if disqualifying(held_units(view, members, record.order, inclusive=False), limits):
            continue  # already across
        units = held_units(view, members, record.order, inclusive=True)
        if not disqualifying(units, limits):
            continue
        residential = sum(1 for use in units.values() if use == "住宅")
        yield Firing("property_holder", owner, view.members[owner].masked, record.eid, record.order, "medium",
                     view.household_id, row.township,
                     (("property", record.ref, None), ("household", "residential_units", float(residential)),
                      ("household", "units_held", float(len(units)))))


def income_shock(view: HouseholdView, rules: RulesConfig) -> Iterator[Firing]:
    for owner, record in sorted(view.triggers(Employment) + view.triggers(Disaster), key=lambda kr: kr[1].order):
        if (found := view.household_of(owner, record.day)) is None:
            continue
        _, row = found
        limits = rules.for_county(row.township)
        if type(record) is Employment:
            if record.action != "失业登记":
                continue
            severity, evidence = "medium", ("employment", record.key, None)
        else:
            if record.loss < limits.disaster_fen:
                continue
            severity = "high" if record.loss >= 5 * limits.disaster_fen else "medium"
            evidence = ("disaster", record.key, yuan(record.loss))
        yield Firing("income_shock", owner, view.members[owner].masked, record.eid, record.order, severity,
                     view.household_id, row.township, (evidence,))


HouseholdRule = Callable[[HouseholdView, RulesConfig], Iterable[Firing]]
HOUSEHOLD_RULES: tuple[HouseholdRule, ...] = (expenditure_hardship, property_holder, income_shock)
HOUSEHOLD_READS: dict[str, tuple[type[Record], ...]] = {  # besides roster rows, which every rule reads
    "expenditure_hardship": (Claim, Schooling), "property_holder": (Property,), "income_shock": (Employment, Disaster)}


def judge_household(view: HouseholdView, rules: RulesConfig, only: tuple[HouseholdRule, ...] = HOUSEHOLD_RULES,
                    ) -> list[Firing]:
    """Every firing of the household rules (or of `only` these) at triggers from `view.since` on, before cooldown."""
    return [f for rule in only for f in rule(view, rules)]
