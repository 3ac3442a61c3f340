"""12345 operators: file a hotline ticket, then follow it: ticket -> case -> closure.

The intake's receipt gives the request id, and the case id follows from it (case_id_for_request);
the web remembers ticket number <-> case id in Redis so an operator can look a ticket up later:
    <prefix>web:ticket:<ticket_no> -> case_id      <prefix>web:ticket-of:<case_id> -> ticket_no
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from consumers.web.backends import BackendError
from consumers.web.console import Session
from consumers.web.forms import HOTLINE, body_of, idempotency_key, new_key, read_values
from consumers.web.labels import ORDER, field_errors
from consumers.web.public import TOO_LARGE, _rejected
from consumers.web.security import check_csrf, over_form_limit
from consumers.web.views import error_page, render
from schemas.cases import case_id_for_request

router = APIRouter()
READ_ONLY = "审计员为只读角色，可以查询工单，不能录入工单。"
TICKET_TTL_S = 400 * 24 * 3600


def _key(request: Request, *parts: str) -> str:
    return f"{request.app.state.settings.topic_prefix}web:" + ":".join(parts)


@router.get("/hotline")
async def hotline_form(request: Request, me: Session):
    return render(request, "hotline.html", form=HOTLINE, values={}, errors={}, idem=new_key(), lookup_error=None,
                  may_file=me[0].role != "auditor")


@router.post("/hotline", dependencies=[Depends(check_csrf)])
async def file_ticket(request: Request, me: Session):
    if me[0].role == "auditor":
        return error_page(request, 403, READ_ONLY)
    posted = await request.form()
    values, errors = read_values(HOTLINE, posted)
    idem = idempotency_key(posted)
    if over_form_limit(request):
        errors = {**errors, "_form": TOO_LARGE}
        return render(request, "hotline.html", status=413, form=HOTLINE, values=values, errors=errors, idem=idem,
                      lookup_error=None, may_file=True)
    if not errors:
        body = body_of(values) | {"received_at": request.app.state.clock().isoformat(), "filed_by": me[0].user}
        try:
            receipt = await request.app.state.intake.submit("hotline", body, idem)
        except BackendError as exc:
            errors = field_errors(exc.detail) if exc.status == 422 and isinstance(exc.detail, list) else _rejected(exc)
        else:
            case_id = case_id_for_request(receipt["request_id"])
            redis = request.app.state.redis
            await redis.set(_key(request, "ticket", values["ticket_no"]), case_id, ex=TICKET_TTL_S)
            await redis.set(_key(request, "ticket-of", case_id), values["ticket_no"], ex=TICKET_TTL_S)
            return RedirectResponse(f"/hotline/tickets/{case_id}", status_code=303)
    return render(request, "hotline.html", status=422, form=HOTLINE, values=values, errors=errors, idem=idem,
                  lookup_error=None, may_file=True)


@router.post("/hotline/lookup", dependencies=[Depends(check_csrf)])
async def lookup(request: Request, me: Session):
    ticket_no = str((await request.form()).get("ticket_no") or "").strip()[:64]
    case_id = await request.app.state.redis.get(_key(request, "ticket", ticket_no)) if ticket_no else None
    if case_id is None:
        return render(request, "hotline.html", status=404, form=HOTLINE, values={}, errors={}, idem=new_key(),
                      lookup_error="没有找到这个工单编号（只能查询本系统录入的工单）", may_file=me[0].role != "auditor")
    return RedirectResponse(f"/hotline/tickets/{case_id.decode()}", status_code=303)


@router.get("/hotline/tickets/{case_id}")
async def ticket(request: Request, case_id: str, me: Session):
    ticket_no = await request.app.state.redis.get(_key(request, "ticket-of", case_id[:64]))
    try:
        case = await request.app.state.cases.get(me[1], case_id)
    except BackendError as exc:
        if exc.status != 404 or ticket_no is None:
            raise
        case = None  # filed, but the tracker has not opened the case yet
    reached = ORDER.index(str(case.state)) if case else -1
    return render(request, "ticket.html", case=case, case_id=case_id, reached=reached, steps=ORDER,
                  ticket_no=ticket_no.decode() if ticket_no else "—", checked_at=request.app.state.clock())

