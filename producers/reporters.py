"""我要预警 by registered reporters (officials 公职人员 and volunteers) with their own accounts.

POST /api/intake/reports   Authorization: Bearer <case tracker token of a user with role reporter>
    the report is a WarningReport whose reporter is the logged-in account; the ChannelRequest and
    the case it opens record `reported_by`, so the reporter can follow it (GET /api/reports on the
    case tracker) and nobody else's. The public form (/api/intake/warnings) stays for citizens.
"""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from consumers.cases.auth import bearer_user  # the tracker's token format: one definition
from schemas.channels import PHONE, TOWNSHIP, ChannelModel, IdNumberText, Name, Text, WarningReport

router = APIRouter(prefix="/api/intake", tags=["intake"])


class ReporterReport(ChannelModel):
    subject_name: Name
    subject_phone: str | None = Field(default=None, pattern=PHONE)
    subject_id_number: IdNumberText | None = None
    township_code: str = Field(pattern=TOWNSHIP)
    situation: Text


@router.post("/reports", status_code=202, responses={401: {"description": "not logged in as a reporter"}})
async def report(body: ReporterReport, request: Request,
                 authorization: Annotated[str | None, Header()] = None,
                 key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None) -> JSONResponse:
    """我要预警 by a logged-in reporter; the case records who made it."""
    intake = request.app.state.intake
    user = bearer_user(intake.settings, authorization)
    if user is None or user.role != "reporter":
        raise HTTPException(401, "log in with a reporter account: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    warning = WarningReport(reporter=user.user, **body.model_dump())
    response = await intake.receive("warning_report", warning, key, reported_by=user.user)
    receipt = json.loads(response.body)  # no `match`: the answer never tells whether the person is known
    return JSONResponse({"request_id": receipt["request_id"], "receipt_no": receipt["receipt_no"],
                         "status": receipt["status"]},
                        status_code=response.status_code)
