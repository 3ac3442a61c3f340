"""Cases: the state a caseworker sees, and the events it is folded from (the `case-events` topic).

Every change to a case is one event with the next `version`; replaying a case's events in order
through `consumers.cases.lifecycle.evolve` gives its state. Cases carry no names, phones or ID
numbers: people are `person_key` / `masked_id`, and revealing who they are is itself an event.
"""
from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.alerts import Evidence
from schemas.envelope import MASKED_ID, PERSON_KEY


class CaseState(StrEnum):
    open = "open"
    assigned = "assigned"
    visiting = "visiting"
    verified = "verified"
    resolved = "resolved"
    closed = "closed"


Verdict = Literal["confirmed", "dismissed"]
Resolution = Literal["assistance_granted", "benefit_stopped", "no_action", "answered"]  # answered: 12345, no visit
AssistanceCategory = Literal["低保", "特困", "低保边缘", "支出型困难", "防返贫监测"]  # the roster's 救助类别
CaseCategory = Literal["risk", "audit", "channel"]
IDENTIFY_PERSON = "identify_person"  # the kind of a channel case whose person nobody could match


def case_id_for_alert(alert_id: str) -> str:
    """Deterministic, so a re-delivered alert lands on the case it already opened."""
    return "CA" + hashlib.sha256(f"alert:{alert_id}".encode()).hexdigest()[:18]


def case_id_for_request(request_id: str) -> str:
    """Deterministic from the channel request; doubles as the application number people are given."""
    return "CR" + hashlib.sha256(f"request:{request_id}".encode()).hexdigest()[:18]


def projection_key(topic_prefix: str, case_id: str) -> str:
    """The Redis hash of one case in the tracker's projection (fields: json, state, township, version)."""
    return f"{topic_prefix}cases:case:{case_id}"


class CaseModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseEvent(CaseModel):
    case_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    actor: str = Field(min_length=1, max_length=64)
    at: AwareDatetime


class CaseOpened(CaseEvent):
    type: Literal["opened"] = "opened"
    kind: str = Field(min_length=1, max_length=64)  # alert rule name, channel name, or identify_person
    category: CaseCategory
    source_id: str  # alert_id or request_id
    subject: str | None = Field(default=None, pattern=MASKED_ID)
    person_key: str | None = Field(default=None, pattern=PERSON_KEY)
    contact_key: str | None = Field(default=None, pattern=PERSON_KEY)
    township_code: str | None = None
    household_id: str | None = None
    severity: str | None = None
    summary: str = ""
    evidence: list[Evidence] = []
    sla_due: AwareDatetime
    reported_by: str | None = None  # 我要预警 by a logged-in reporter: they may follow it
    event_time: date | None = None  # alerts: the date of the record that fired
    filed_by: str | None = None  # a 12345 ticket filed by a logged-in operator: they always see it


class EvidenceUpdated(CaseEvent):
    """An alert of the case was raised again (new figures) or withdrawn by late data."""

    type: Literal["evidence_updated"] = "evidence_updated"
    evidence: list[Evidence]
    severity: str | None = None
    withdrawn: bool = False
    alert_id: str | None = None  # which of the case's alerts; None (older logs): the one that opened it


class AlertJoined(CaseEvent):
    """Another alert of the same rule about the same subject while the case is open: it joins, never a second case."""

    type: Literal["alert_joined"] = "alert_joined"
    alert_id: str
    evidence: list[Evidence]
    severity: str | None = None
    event_time: date | None = None


class CaseAssigned(CaseEvent):
    type: Literal["assigned"] = "assigned"
    assignee: str = Field(min_length=1, max_length=64)


class Grant(CaseModel):
    """What a caseworker granted (resolution assistance_granted): the roster columns a decision sets.

    Household figures are the caseworker's own assessment; left out, the export takes them from the
    person's latest roster row."""

    category: AssistanceCategory
    monthly_benefit_fen: int = Field(default=0, ge=0)
    household_size: int | None = Field(default=None, ge=1, le=100)
    household_income_fen: int | None = Field(default=None, ge=0)


class CaseTransitioned(CaseEvent):
    type: Literal["transitioned"] = "transitioned"
    to_state: CaseState
    resolution: Resolution | None = None
    grant: Grant | None = None  # with resolution assistance_granted only
    note: str = Field(default="", max_length=2000)


class SurveyRecorded(CaseEvent):
    type: Literal["survey_recorded"] = "survey_recorded"
    visit_date: date
    findings: str = Field(max_length=4000)
    verdict: Verdict


class IdentityRevealed(CaseEvent):
    type: Literal["identity_revealed"] = "identity_revealed"
    reason: str = Field(min_length=1, max_length=500)


class DecisionExported(CaseEvent):
    """The case's decision went out in a `safetynet decisions` file (who: actor, when: at); no IDs here."""

    type: Literal["decision_exported"] = "decision_exported"
    export_id: str = Field(min_length=1, max_length=64)
    rows: int = Field(ge=0)  # rows in that export, all cases together


class CaseEscalated(CaseEvent):
    type: Literal["escalated"] = "escalated"
    sla_due: AwareDatetime
    target_state: CaseState


AnyCaseEvent = Annotated[
    CaseOpened | EvidenceUpdated | AlertJoined | CaseAssigned | CaseTransitioned | SurveyRecorded | IdentityRevealed
    | CaseEscalated | DecisionExported,
    Field(discriminator="type"),
]


class CaseEventRecord(CaseModel):
    """The value on `case-events`: one wrapper so any event decodes with one model."""

    event: AnyCaseEvent


class HistoryEntry(CaseModel):
    version: int
    type: str
    actor: str
    at: AwareDatetime
    note: str = ""


class Case(CaseModel):
    case_id: str
    kind: str
    category: CaseCategory
    source_id: str
    subject: str | None = None  # masked ID
    person_key: str | None = None
    contact_key: str | None = None
    township_code: str | None = None
    household_id: str | None = None
    severity: str | None = None
    summary: str = ""
    state: CaseState = CaseState.open
    version: int = 0
    opened_at: AwareDatetime
    sla_due: AwareDatetime
    escalated: bool = False
    withdrawn: bool = False
    assignee: str | None = None
    evidence: list[Evidence] = []
    survey: SurveyRecorded | None = None
    verdict: Verdict | None = None
    resolution: Resolution | None = None
    grant: Grant | None = None
    resolved_at: AwareDatetime | None = None  # when the resolution was decided: the decision's date
    exports: int = 0  # decisions files this case's outcome went out in
    history: list[HistoryEntry] = []
    reported_by: str | None = None  # 我要预警 by a logged-in reporter
    closed_at: AwareDatetime | None = None
    channel: str | None = None  # channel cases: hotline / application / tip_off / warning_report
    event_time: date | None = None
    filed_by: str | None = None
    alert_ids: list[str] = []  # alerts standing behind the case (the first opened it, later ones joined)
    withdrawn_alerts: list[str] = []

    @property
    def closed_as_withdrawn(self) -> bool:
        """Closed because every alert behind it was withdrawn before anyone found it true (预警撤回)."""
        return self.state is CaseState.closed and self.withdrawn and self.verdict is None


HOUSEHOLD_RULES = frozenset({"expenditure_hardship", "property_holder"})


def subject_key(kind: str, person_key: str | None, household_id: str | None) -> str | None:
    """Who a rule's case is about: the household for household rules, else the person."""
    if kind in HOUSEHOLD_RULES and household_id:
        return f"household:{household_id}"
    return f"person:{person_key}" if person_key else None
