"""Alerts as the contract exports them (spec section 4), and the notices that carry them on Kafka."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.envelope import MASKED_ID, PERSON_KEY

RuleName = Literal[
    "medical_burden",
    "expenditure_hardship",
    "new_severe_disability",
    "education_burden",
    "income_shock",
    "deceased_recipient",
    "disability_mismatch",
    # version 2
    "rural_unassisted",
    "moved_away",
    "incarcerated",
    "vehicle_owner",
    "property_holder",
    "business_owner",
]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    feed: str
    key: str
    figure: float | None = None


class Alert(BaseModel):
    """Exactly the export fields of spec section 4, in its order."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    alert_id: str
    rule: RuleName
    kind: Literal["risk", "audit"]
    severity: Severity
    subject: str = Field(pattern=MASKED_ID)
    person_key: str = Field(pattern=PERSON_KEY)
    household_id: str | None = None
    township_code: str | None = None
    event_time: date
    triggered_at: AwareDatetime
    rule_version: str
    evidence: list[Evidence]


class AlertNotice(BaseModel):
    """What the `alerts` topic carries: an alert raised, or withdrawn when late data undoes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    action: Literal["raised", "withdrawn"]
    alert: Alert
