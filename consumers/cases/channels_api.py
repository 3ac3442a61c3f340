"""Case tracker routes for the channels: answering a 12345 ticket, and reporters following their reports.

POST /api/cases/{id}/answer   a 12345 ticket that needs only an answer: closes it (no visit), the reply
                              text goes back to the caller through the 12345 callback
GET  /api/reports             a reporter's own 我要预警 reports (status and outcome)
GET  /api/reports/{id}        one of them; 403 for anyone else's report
GET  /api/stats/ytd           the bureau's year-to-date figures by county (supervisor: own county)
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consumers.cases import lifecycle
from consumers.cases.deps import Clock, Me, Store, append, readable, require
from consumers.cases.auth import User, can_act
from consumers.cases.store import CaseNotFound
from consumers.cases.ytd import YearToDate, year_to_date
from schemas.cases import Case, CaseState

router = APIRouter(prefix="/api", tags=["channels"])


class AnswerRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    reply: str = Field(min_length=1, max_length=2000)


class ReportView(BaseModel):
    """What a reporter may know of their own report: where it stands and how it ended, no one's identity."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    case_id: str
    township_code: str | None
    state: CaseState
    opened_at: AwareDatetime
    verdict: str | None
    resolution: str | None
    closed: bool


def report_view(case: Case) -> ReportView:
    return ReportView(case_id=case.case_id, township_code=case.township_code, state=case.state,
                      opened_at=case.opened_at, verdict=case.verdict, resolution=case.resolution,
                      closed=case.state is CaseState.closed)


@router.post("/cases/{case_id}/answer", response_model=Case)
async def answer(body: AnswerRequest, case: Annotated[Case, Depends(readable)], user: Me, store: Store,
                 clock: Clock) -> Case:
    require(can_act(user, case), user, case, "答复")
    return await append(store, case.case_id, lambda current: lifecycle.answer(
        current, reply=body.reply, actor=user.user, at=clock()))


def reporter(user: Me) -> User:
    if user.role != "reporter":
        raise HTTPException(403, "only reporters follow reports here; caseworkers use /api/cases")
    return user


Reporter = Annotated[User, Depends(reporter)]


@router.get("/reports", response_model=list[ReportView])
async def my_reports(user: Reporter, store: Store, limit: int = 200) -> list[ReportView]:
    cases = await store.list("reporter", user.user, limit=max(1, min(limit, 1000)))
    return [report_view(c) for c in cases if c.reported_by == user.user]


@router.get("/reports/{case_id}", response_model=ReportView)
async def my_report(case_id: str, user: Reporter, store: Store) -> ReportView:
    try:
        case = await store.get(case_id)
    except CaseNotFound:
        raise HTTPException(404, f"no report {case_id}") from None
    if case.reported_by != user.user:
        raise HTTPException(403, "this report was made by someone else")
    return report_view(case)


@router.get("/stats/ytd", response_model=YearToDate)
async def ytd(user: Me, store: Store, clock: Clock, year: int | None = None) -> YearToDate:
    if user.role not in ("supervisor", "auditor", "admin"):
        raise HTTPException(403, "the year-to-date figures are for supervisors, auditors and administrators")
    cases = await store.list("all", "", limit=1_000_000)
    county = user.township_code if user.role == "supervisor" else None
    return year_to_date(cases, year or clock().year, county=county, at=clock())


