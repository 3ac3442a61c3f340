"""How long a case may take to reach its target state, and what happens when it does not.

| kind                          | target    | within              |
|-------------------------------|-----------|---------------------|
| audit alerts                  | verified  | 15 calendar days    |
| risk alerts                   | verified  | 7 calendar days     |
| hotline ticket                | assigned  | 2 working days      | (answered: a caseworker took it)
| application                   | verified  | 10 working days     |
| tip-off                       | verified  | 15 calendar days    | (like an audit alert)
| 我要预警 report                | verified  | 7 calendar days     | (like a risk alert)
| identify person               | assigned  | 2 working days      |
| 摸排 screening that opened one  | verified  | 7 calendar days     |
| follow-up after assistance    | verified  | 30 calendar days    | (did the assistance arrive?)

Working days skip Saturday and Sunday (public holidays are not modelled). Days are counted on
China Standard Time dates; the time of day is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.cases import IDENTIFY_PERSON, Case, CaseCategory, CaseEscalated, CaseState

LOCAL = ZoneInfo("Asia/Shanghai")
ORDER = list(CaseState)


@dataclass(frozen=True)
class Sla:
    target: CaseState
    days: int
    working_days: bool = False

    def due(self, opened_at: datetime) -> datetime:
        if not self.working_days:
            return opened_at + timedelta(days=self.days)
        return add_working_days(opened_at, self.days)


BY_CATEGORY: dict[str, Sla] = {
    "audit": Sla(CaseState.verified, 15),
    "risk": Sla(CaseState.verified, 7),
}
BY_CHANNEL: dict[str, Sla] = {
    "hotline": Sla(CaseState.assigned, 2, working_days=True),
    "application": Sla(CaseState.verified, 10, working_days=True),
    "tip_off": Sla(CaseState.verified, 15),
    "warning_report": Sla(CaseState.verified, 7),
    IDENTIFY_PERSON: Sla(CaseState.assigned, 2, working_days=True),
    "screening": Sla(CaseState.verified, 7),
    "follow_up": Sla(CaseState.verified, 30),
}


def sla_for(kind: str, category: CaseCategory) -> Sla:
    return BY_CHANNEL[kind] if category == "channel" else BY_CATEGORY[category]


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` weekdays after `start` (in local dates), at the same time of day."""
    local = start.astimezone(LOCAL)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local.astimezone(start.tzinfo)


def reached(case: Case, target: CaseState) -> bool:
    return ORDER.index(case.state) >= ORDER.index(target)


def overdue(case: Case, now: datetime, *, actor: str = "sla") -> CaseEscalated | None:
    """An escalation for a case past its due time that has not reached its target; once per case."""
    sla = sla_for(case.kind, case.category)
    if case.escalated or case.withdrawn or reached(case, sla.target) or now <= case.sla_due:
        return None
    return CaseEscalated(case_id=case.case_id, version=case.version + 1, actor=actor, at=now,
                         sla_due=case.sla_due, target_state=sla.target)
