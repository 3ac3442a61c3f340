"""The rules judged from one person's own records (partitioned by person_key).

Each rule is a function `rule(view, rules) -> firings` over a `PersonView`; it judges the
triggering records dated on or after `view.since` (earlier judgements cannot have changed).
Adding a rule: write the function, add it to PERSON_RULES, give it a rules.yaml entry if it has
a threshold, and a severity in RULES.md.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter

from streams.config import RulesConfig
from streams.firing import Firing, yuan
from streams.records import (RECORD_TYPES, Business, Certificate, Claim, Funeral, Hukou, Record, RosterRow, Rural,
                             Schooling, Vehicle, ClaimLedger, by_kind, window_start)
from streams.roster import RosterHistory

MAX_EVIDENCE = 50
DAY = attrgetter("day")
DEATH_ACTION = "死亡注销"


@dataclass(slots=True)
class PersonView:
    person_key: str
    masked: str
    kinds: dict[type[Record], list[Record]]  # the person's records by type, each in order
    since: int  # judge triggers dated on or after this day
    roster: RosterHistory
    ledger: ClaimLedger | None = None  # the claims that count, with running sums (built when first asked)

    @classmethod
    def of(cls, person_key: str, masked: str, records: Iterable[Record] | dict[type[Record], list[Record]],
           since: int, ledger: ClaimLedger | None = None, roster: RosterHistory | None = None) -> PersonView:
        kinds = records if isinstance(records, dict) else by_kind(records)
        return cls(person_key, masked, kinds, since, roster or RosterHistory(kinds.get(RosterRow, []), in_order=True),
                   ledger)

    def claims(self) -> ClaimLedger:
        if self.ledger is None:
            self.ledger = ClaimLedger.build(self.kinds.get(Claim, []))
        return self.ledger

    def all(self, kind: type[Record]) -> list:
        return self.kinds.get(kind, [])

    def triggers(self, kind: type[Record]) -> list:
        group = self.kinds.get(kind)
        if not group or group[-1].day < self.since:
            return []
        return group[bisect_left(group, self.since, key=DAY):]

    def placement(self, day: int) -> tuple[str | None, str]:
        """(household, township) as of a day; off the roster: no household, the ID's county + 000."""
        row = self.roster.as_of(day)
        return (row.household, row.township) if row else (None, self.masked[:6] + "000")

    def fire(self, rule: str, trigger: Record, severity: str, household: str | None, township: str | None,
             *evidence: tuple) -> Firing:
        return Firing(rule, self.person_key, self.masked, trigger.eid, trigger.order, severity, household, township,
                      tuple(evidence))


def roster_evidence(row: RosterRow) -> tuple:
    return ("roster", row.key, yuan(row.benefit))


def medical_burden(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    ledger = view.claims()  # claims that count, in order, with running sums: each window is two bisections
    claims, days, running = ledger.live, ledger.days, ledger.running
    for i in range(bisect_left(days, view.since), len(claims)):
        claim = claims[i]
        household, township = view.placement(claim.day)
        limits = rules.for_county(township)
        lo, hi = bisect_left(days, window_start(claim.day, limits.window_days)), bisect_right(days, claim.day)
        total = running[hi] - running[lo]  # the whole of day d counts
        if total < limits.medical_fen:
            continue
        severity = "critical" if total >= 2 * limits.medical_fen else "high"
        last = claims[max(lo, hi - MAX_EVIDENCE - 1):hi]  # the claim itself is among them: one more than kept
        contributing = [("medical", c.settlement, yuan(c.out_of_pocket)) for c in last if c is not claim]
        yield view.fire("medical_burden", claim, severity, household, township,
                        ("medical", claim.settlement, yuan(total)), *contributing[-MAX_EVIDENCE:])


def new_severe_disability(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    for cert in view.triggers(Certificate):
        if cert.action in ("新办", "等级变更") and cert.grade <= 2:
            severity = "critical" if cert.grade == 1 else "high"
            yield view.fire("new_severe_disability", cert, severity, *view.placement(cert.day),
                            ("disability", cert.ref, float(cert.grade)))


def disability_mismatch(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    for cert in view.triggers(Certificate):
        row = view.roster.active_on(cert.day)
        if row is None or not row.disability_basis:
            continue
        if cert.action == "注销" or (cert.action == "等级变更" and cert.grade >= 3):
            severity = "high" if cert.action == "注销" else "medium"
            yield view.fire("disability_mismatch", cert, severity, row.household, row.township,
                            ("disability", cert.ref, float(cert.grade)), roster_evidence(row))


def death_records(records: Iterable[Record]) -> list[Record]:
    """Funeral records and hukou 死亡注销, in order: every piece of death evidence."""
    return sorted((r for r in records if type(r) is Funeral or (type(r) is Hukou and r.action == DEATH_ACTION)),
                  key=lambda r: r.order)


def deceased_recipient(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    """One alert per person, at the first death record that meets an active roster row (on its day, or
    a later 在保 row: someone put on the roster after their death). Judged over the whole history."""
    deaths = death_records([*view.all(Funeral), *view.all(Hukou)])
    for death in deaths:
        row = view.roster.active_on(death.day) or view.roster.active_after(death.day)
        if row is not None:
            evidence = [(d.feed, d.ref if type(d) is Funeral else d.key, None) for d in deaths]
            yield view.fire("deceased_recipient", death, "high", row.household, row.township,
                            *evidence, roster_evidence(row))
            return


def education_burden(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    """Records here are keyed by the guardian; the student is the subject."""
    for aid in view.triggers(Schooling):
        guardian = view.roster.active_on(aid.day)
        if guardian is None:
            continue
        limit = rules.for_county(guardian.township).education_fen
        if aid.net < limit:
            continue
        severity = "high" if aid.net >= 2 * limit else "medium"
        yield Firing("education_burden", aid.student_key, aid.student_masked, aid.eid, aid.order, severity,
                     guardian.household, guardian.township, (("education", aid.ref, yuan(aid.net)),))


def rural_unassisted(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    """Monitored by the rural revitalisation bureau (纳入), not active with us on that day."""
    for record in view.triggers(Rural):
        if record.action == "纳入" and view.roster.active_on(record.day) is None:
            row = view.roster.as_of(record.day)  # a person never on the roster: the rural record's township
            yield view.fire("rural_unassisted", record, "high", row.household if row else None,
                            row.township if row else record.township, ("rural", record.key, None))


def moved_away(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    """迁出 of an active person to a county outside their roster township's city (first 4 digits)."""
    for record in view.triggers(Hukou):
        row = view.roster.active_on(record.day)
        if record.action == "迁出" and row is not None and record.destination[:4] != row.township[:4]:
            yield view.fire("moved_away", record, "medium", row.household, row.township,
                            ("hukou", record.key, None), roster_evidence(row))


def incarcerated(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    for record in view.triggers(Hukou):
        row = view.roster.active_on(record.day)
        if record.action == "服刑" and row is not None:
            yield view.fire("incarcerated", record, "high", row.household, row.township,
                            ("hukou", record.key, None), roster_evidence(row))


def vehicle_owner(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    for car in view.triggers(Vehicle):
        row = view.roster.active_on(car.day)
        if row is None or car.action not in ("注册登记", "转入登记"):
            continue
        limits = rules.for_county(row.township)
        if car.vehicle_type in limits.vehicle_types_firing and car.price >= limits.vehicle_price_fen:
            yield view.fire("vehicle_owner", car, "medium", row.household, row.township,
                            ("vehicle", car.ref, yuan(car.price)), roster_evidence(row))


def business_owner(view: PersonView, rules: RulesConfig) -> Iterator[Firing]:
    for firm in view.triggers(Business):
        row = view.roster.active_on(firm.day)
        if row is None or firm.action != "设立":
            continue
        company = firm.entity_type in ("有限责任公司", "股份有限公司")
        if company or (firm.entity_type == "个体工商户" and firm.capital >= rules.for_county(row.township).business_capital_fen):
            yield view.fire("business_owner", firm, "medium", row.household, row.township,
                            ("business", firm.ref, yuan(firm.capital)), roster_evidence(row))


PersonRule = Callable[[PersonView, RulesConfig], Iterable[Firing]]
PERSON_RULES: tuple[PersonRule, ...] = (
    medical_burden, new_severe_disability, disability_mismatch, deceased_recipient, education_burden,
    rural_unassisted, moved_away, incarcerated, vehicle_owner, business_owner)
WHOLE_HISTORY_RULES = frozenset({"deceased_recipient"})  # judged over every record, not from `since`
READS: dict[str, tuple[type[Record], ...]] = {  # the records a rule reads besides roster rows (which every rule reads)
    "medical_burden": (Claim,), "new_severe_disability": (Certificate,), "disability_mismatch": (Certificate,),
    "deceased_recipient": (Funeral, Hukou), "education_burden": (Schooling,), "rural_unassisted": (Rural,),
    "moved_away": (Hukou,), "incarcerated": (Hukou,), "vehicle_owner": (Vehicle,), "business_owner": (Business,)}


def reading(registry: tuple, reads: dict[str, tuple[type[Record], ...]], kinds: Iterable[type[Record]],
            ) -> tuple[tuple, frozenset[str]]:
    """The rules whose judgements records of these types can change (a roster row: every rule), and their names."""
    kinds = set(kinds)
    chosen = tuple(rule for rule in registry if RosterRow in kinds or rule.__name__ not in reads
                   or not kinds.isdisjoint(reads[rule.__name__]))
    return chosen, frozenset(rule.__name__ for rule in chosen)


PERSON_READERS = {kind: reading(PERSON_RULES, READS, (kind,)) for kind in RECORD_TYPES.values()}


def judge_person(view: PersonView, rules: RulesConfig, only: tuple[PersonRule, ...] = PERSON_RULES) -> list[Firing]:
    """Every firing of the person rules (or of `only` these) at triggers from `view.since` on, before cooldown."""
    return [f for rule in only for f in rule(view, rules)]

