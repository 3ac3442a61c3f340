"""A rule firing before it becomes an Alert: pure data, plus the cooldown that thins repeats."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

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


@dataclass(frozen=True)
class Firing:
    rule: str
    person_key: str
    subject: str  # masked ID
    trigger_id: str  # event_id of the record the rule was judged at
    on: str  # event date, ISO
    order: tuple[str, str, str]
    severity: str
    household_id: str | None
    township_code: str | None
    evidence: tuple[tuple[str, str, float | None], ...] = field(default=())

    @property
    def alert_id(self) -> str:
        return hashlib.sha256(f"{self.rule}|{self.person_key}|{self.trigger_id}".encode()).hexdigest()[:32]

    def fingerprint(self) -> str:
        """What a consumer sees: a change here re-sends the alert under the same id."""
        parts = (self.severity, self.household_id, self.township_code, self.on, self.evidence)
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]

    def to_alert(self, rule_version: str, triggered_at: datetime) -> Alert:
        return Alert(
            alert_id=self.alert_id, rule=self.rule, kind=KIND[self.rule], severity=self.severity,
            subject=self.subject, person_key=self.person_key, household_id=self.household_id,
            township_code=self.township_code, event_time=date.fromisoformat(self.on),
            triggered_at=triggered_at, rule_version=rule_version,
            evidence=[Evidence(feed=f, key=k, figure=v) for f, k, v in self.evidence],
        )


def apply_cooldown(firings: list[Firing], cooldown_days: Callable[[Firing], int]) -> list[Firing]:
    """Keep a firing unless the same person+rule fired within the cooldown at no lower severity."""
    kept: list[Firing] = []
    last: dict[tuple[str, str], list[Firing]] = {}
    for f in sorted(firings, key=lambda f: f.order):
        earlier = last.setdefault((f.person_key, f.rule), [])
        on = date.fromisoformat(f.on)
        if any((on - date.fromisoformat(e.on)).days < cooldown_days(f)
               and SEVERITY_RANK[e.severity] >= SEVERITY_RANK[f.severity] for e in earlier):
            continue
        earlier.append(f)
        kept.append(f)
    return kept


def yuan(fen: int) -> float:
    return round(fen / 100, 2)
