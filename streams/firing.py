"""A rule firing before it becomes an Alert: pure data, plus the cooldown that thins repeats."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import TypeVar

from schemas.alerts import SEVERITY_RANK, Alert, Evidence

KIND = {
    "medical_burden": "risk",
    "expenditure_hardship": "risk",
    "new_severe_disability": "risk",
    "education_burden": "risk",
    "income_shock": "risk",
    "deceased_recipient": "audit",
    "disability_mismatch": "audit",
    "rural_unassisted": "risk",
    "moved_away": "audit",
    "incarcerated": "audit",
    "vehicle_owner": "audit",
    "property_holder": "audit",
    "business_owner": "audit",
}

HOUSEHOLD_SCOPED = frozenset({"expenditure_hardship", "property_holder", "income_shock"})  # judged per household
EvidenceItem = tuple[str, str, float | None]  # (feed, key, figure)


@dataclass(frozen=True, slots=True)
class Firing:
    rule: str
    person_key: str
    subject: str  # masked ID
    trigger_id: str  # event_id of the record the rule was judged at
    order: tuple[int, str, str]  # the trigger's (day, feed, natural key)
    severity: str
    household_id: str | None
    township_code: str | None
    evidence: tuple[EvidenceItem, ...] = ()

    @property
    def day(self) -> int:
        return self.order[0]

    @property
    def alert_id(self) -> str:
        """Same trigger, same id. A household rule's id names the household too: a member's record goes to
        every household they were ever in, and one household withdrawing what it judged must not undo
        what another raised for the same record."""
        scope = f"|{self.household_id}" if self.rule in HOUSEHOLD_SCOPED else ""
        return hashlib.sha256(f"{self.rule}|{self.person_key}|{self.trigger_id}{scope}".encode()).hexdigest()[:32]

    def fingerprint(self) -> str:
        """What a consumer sees: a change here re-sends the alert under the same id."""
        parts = (self.severity, self.household_id, self.township_code, self.order[0], self.evidence)
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]

    def to_alert(self, rule_version: str, triggered_at: datetime) -> Alert:
        return Alert(
            alert_id=self.alert_id, rule=self.rule, kind=KIND[self.rule], severity=self.severity,
            subject=self.subject, person_key=self.person_key, household_id=self.household_id,
            township_code=self.township_code, event_time=date.fromordinal(self.day),
            triggered_at=triggered_at, rule_version=rule_version,
            evidence=[Evidence(feed=f, key=k, figure=v) for f, k, v in self.evidence],
        )

    def encode(self) -> list:
        return [self.rule, self.person_key, self.subject, self.trigger_id, list(self.order), self.severity,
                self.household_id, self.township_code, [list(e) for e in self.evidence]]

    @classmethod
    def decode(cls, row: list) -> Firing:
        rule, person, subject, trigger, order, severity, household, township, evidence = row
        return cls(rule, person, subject, trigger, tuple(order), severity, household, township,
                   tuple(tuple(e) for e in evidence))


T = TypeVar("T")  # a Firing in the stream, an Alert at export: both carry person_key, rule, severity


def apply_cooldown(candidates: Iterable[T], cooldown_days: Callable[[T], int], earlier: Iterable[T] = (), *,
                   order: Callable[[T], object] = attrgetter("order"),
                   day: Callable[[T], int] = attrgetter("day")) -> list[T]:
    """Keep a firing (or an alert) unless the same person+rule fired within the cooldown at no lower severity.

    `earlier`: firings already kept before the first candidate (a re-judgement from a day on).
    """
    kept: list[T] = []
    last: dict[tuple[str, str], list[T]] = {}
    for f in earlier:
        last.setdefault((f.person_key, f.rule), []).append(f)
    for f in sorted(candidates, key=order):
        before = last.setdefault((f.person_key, f.rule), [])
        window = cooldown_days(f)
        if any(day(f) - day(e) < window and SEVERITY_RANK[e.severity] >= SEVERITY_RANK[f.severity] for e in before):
            continue
        before.append(f)
        kept.append(f)
    return kept


def yuan(fen: int) -> float:
    return round(fen / 100, 2)
