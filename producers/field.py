"""Field work (智慧民政): door-to-door screening (摸排) by a caseworker, of a household that has no case.

POST /api/intake/screenings   Authorization: Bearer <tracker token of a caseworker of that township>
    every screening   -> field.screenings (ScreeningRecorded: no name, phone or ID number)
    open_case = true  -> also a ChannelRequest (channel "screening"): the tracker opens a case to verify
Identity given goes to the vault like any channel's (sealed, under the request's contact key).
"""
from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse

from consumers.cases.auth import bearer_user  # the tracker's token format: one definition
from producers.intake import summary_of
from schemas.channels import Screening, ScreeningRecorded

router = APIRouter(prefix="/api/intake", tags=["field"])


@router.post("/screenings", status_code=202)
async def screening(body: Screening, request: Request, authorization: Annotated[str | None, Header()] = None,
                    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None) -> JSONResponse:
    """A 摸排 record; with open_case, a case for the township's caseworkers to verify."""
    intake = request.app.state.intake
    user = bearer_user(intake.settings, authorization)
    if user is None or user.role != "caseworker":
        raise HTTPException(401, "log in as a caseworker: Authorization: Bearer <token>")
    if user.township_code != body.township_code:
        raise HTTPException(403, "a caseworker screens households of their own township")
    receipt: dict = {}
    if body.open_case:
        response = await intake.receive("screening", body, key)
        receipt = json.loads(response.body)
    screening_id = hashlib.sha256(f"screening:{key or body.model_dump_json()}".encode()).hexdigest()
    record = ScreeningRecorded(screening_id=screening_id, township_code=body.township_code,
                               household_size=body.household_size, screened_by=user.user,
                               case_opened=body.open_case, request_id=receipt.get("request_id"),
                               summary=summary_of(body), at=intake.clock())
    await intake.publisher.send(intake.settings.topic("field.screenings"), screening_id.encode(),
                                record.model_dump_json().encode())
    return JSONResponse({"screening_id": screening_id, "case_opened": body.open_case, **receipt}, status_code=202)
