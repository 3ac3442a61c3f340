"""The case tracker API's request and response bodies (pydantic, frozen, no extra fields)."""
from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consumers.cases.auth import User
from consumers.cases.inbox import source_of
from schemas.cases import Case, CaseState, Grant, Resolution


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Login(Body):
    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Session(Body):
    token: str
    user: User


class TransitionRequest(Body):
    to: CaseState
    assignee: str | None = Field(default=None, max_length=64)
    resolution: Resolution | None = None
    grant: Grant | None = None  # with resolution assistance_granted: 救助类别, monthly amount, household figures
    note: str = Field(default="", max_length=2000)


class RevealRequest(Body):
    reason: str = Field(min_length=1, max_length=500)


class ErasureRequest(Body):
    reason: str = Field(min_length=4, max_length=500, description="why (a request of the person, a court order...)")


class CaseSummary(Body):
    case_id: str
    kind: str
    category: str
    subject: str | None
    township_code: str | None
    state: CaseState
    severity: str | None
    opened_at: AwareDatetime
    sla_due: AwareDatetime
    escalated: bool
    version: int
    withdrawn: bool = False
    channel: str | None = None
    assignee: str | None = None
    source: str = "alert"  # 系统预警, or the channel: hotline / application / tip_off / warning_report


def summarize(case: Case) -> CaseSummary:
    return CaseSummary(**case.model_dump(include=set(CaseSummary.model_fields)), source=source_of(case))


class RevealedIdentity(Body):
    case_id: str
    name: str
    id_number: str | None
    phone: str | None
