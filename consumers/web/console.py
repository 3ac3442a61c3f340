"""The caseworker console: log in, the inbox, a case with its evidence and timeline, and the actions on it.

Every action is a POST with a CSRF token, forwarded to the tracker API with the user's token; the
tracker decides (403 another township, 409 a wrong step) and the page shows its answer in Chinese.
"""
from __future__ import annotations

import time
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse

from consumers.cases.auth import User, can_act, can_reveal, read_token
from consumers.cases.inbox import OPEN_STATES, source_of
from consumers.web import visits
from consumers.web.backends import BackendError
from consumers.web.evidence import evidence_lines, summary_text
from consumers.web.labels import KINDS, RESOLUTIONS, SOURCES, STATES, VERDICTS, sla_view
from consumers.web.photos import PhotoRejected, check_photos
from consumers.web.security import check_csrf, clear_session, session_user, set_session
from consumers.web.views import error_page, render
from schemas.cases import AssistanceCategory

router = APIRouter()
NEXT_STEP = {"open": ("assigned", "接案（由我办理）"), "assigned": ("visiting", "开始入户走访"),
             "verified": ("resolved", "提交处理结果"), "resolved": ("closed", "结案")}
CATEGORIES = get_args(AssistanceCategory)  # 救助类别 of a grant


class LoginRequired(Exception):
    pass


def session(request: Request) -> tuple[User, str]:
    found = session_user(request)
    if found is None:
        raise LoginRequired()
    return found


Session = Annotated[tuple[User, str], Depends(session)]


def home_of(user: User) -> str:
    return {"supervisor": "/overview", "reporter": "/reporter"}.get(user.role, "/console")


# ---------------------------------------------------------------- login


@router.get("/login")
async def login_form(request: Request):
    return render(request, "login.html", error=None, name="")


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login(request: Request):
    posted = await request.form()
    name, password = str(posted.get("user") or "")[:64], str(posted.get("password") or "")[:256]
    client = request.client.host if request.client else None
    token = await request.app.state.cases.login(name, password, client) if name and password else None
    if token is None:
        return render(request, "login.html", status=401, error="用户名或密码不正确", name=name)
    user = read_token(request.app.state.settings, token)
    response = RedirectResponse(home_of(user), status_code=303)
    set_session(response, token, secure=request.app.state.secure)
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
async def logout(request: Request):
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


# ---------------------------------------------------------------- inbox


def inbox_rows(rows: list[dict], now, state: str = "", rule: str = "") -> list[dict]:
    """The rows the filters keep, each with its SLA countdown; overdue and soonest due first."""
    kept = [dict(row, sla=sla_view(row, now)) for row in rows
            if (not state or row["state"] == state) and (not rule or row["kind"] == rule)]
    return sorted(kept, key=lambda r: (r["state"] == "closed", r["sla"]["due"] is None, r["sla"]["due"] or ""))


STATE_FILTERS = {OPEN_STATES: "未办结", **STATES, "all": "全部"}


@router.get("/console")
async def inbox(request: Request, me: Session, state: str = OPEN_STATES, source: str = "", rule: str = "",
                page: int = 1):
    """One page of the user's cases in urgency order (severity, then deadline), with the true totals."""
    user, token = me
    state = state if state in STATE_FILTERS else OPEN_STATES
    source, rule = (source if source in SOURCES else ""), (rule if rule in KINDS else "")
    rendered_at = time.time()  # before the rows are read: the live feed sends what opens after it
    found = await request.app.state.cases.inbox(token, state="" if state == "all" else state, source=source,
                                                rule=rule, page=max(1, min(page, 100_000)))
    now = request.app.state.clock()
    rows = [dict(row, sla=sla_view(row, now)) for row in found["items"]]
    return render(request, "inbox.html", rows=rows, found=found, state=state, source=source, rule=rule,
                  state_filters=STATE_FILTERS, rendered_at=f"{rendered_at:.3f}")


@router.get("/console/alerts/{alert_id}")
async def alert_case(request: Request, alert_id: str, me: Session):
    """A notification names alerts; the case is the one the alert opened or joined."""
    case = await request.app.state.cases.of_alert(me[1], alert_id[:64])
    return RedirectResponse(f"/console/cases/{case['case_id']}", status_code=303)


# ---------------------------------------------------------------- one case


async def case_page(request: Request, me: tuple[User, str], case_id: str, *, status: int = 200, **extra):
    user, token = me
    case = await request.app.state.cases.get(token, case_id)
    row = case.model_dump(mode="json")
    related = await request.app.state.cases.related(token, case_id)
    now = request.app.state.clock()
    return render(request, "case.html", status=status, case=case, source=source_of(case), sla=sla_view(row, now),
                  next_step=NEXT_STEP.get(str(case.state)), photos=request.app.state.photos.names(case.case_id),
                  may_act=can_act(user, case), may_reveal=can_reveal(user, case),
                  facts=evidence_lines(case.kind, case.evidence), summary=summary_text(case.summary),
                  related=[dict(r, sla=sla_view(r, now)) for r in related], verdicts=VERDICTS,
                  resolutions=RESOLUTIONS, categories=CATEGORIES, today=request.app.state.clock().date().isoformat(),
                  **({"error": None, "identity": None, "done": request.query_params.get("done", "")[:20]} | extra))


@router.get("/console/cases/{case_id}")
async def show_case(request: Request, case_id: str, me: Session):
    return await case_page(request, me, case_id)


@router.post("/console/cases/{case_id}/transition", dependencies=[Depends(check_csrf)])
async def transition(request: Request, case_id: str, me: Session):
    posted = await request.form()
    to, resolution = str(posted.get("to") or ""), str(posted.get("resolution") or "") or None
    note = str(posted.get("note") or "")[:500]
    if to not in STATES or (resolution and resolution not in RESOLUTIONS):
        return await case_page(request, me, case_id, status=422, error="请选择要进行的操作")
    grant = granted(posted) if resolution == "assistance_granted" else None
    if resolution == "assistance_granted" and grant is None:
        return await case_page(request, me, case_id, status=422, error="给予救助请选择救助类别，金额填写数字")
    try:
        await request.app.state.cases.transition(me[1], case_id, to, resolution=resolution, grant=grant, note=note)
    except BackendError as exc:
        return await _refused(request, me, case_id, exc)
    return RedirectResponse(f"/console/cases/{case_id}?done={to}", status_code=303)


def granted(posted) -> dict | None:
    """The grant of an assistance_granted resolution: 救助类别 and the monthly amount in yuan (optional)."""
    category, amount = str(posted.get("category") or ""), str(posted.get("monthly_benefit") or "").strip() or "0"
    try:
        fen = round(Decimal(amount) * 100)
    except InvalidOperation:
        return None
    return {"category": category, "monthly_benefit_fen": fen} if category in CATEGORIES and fen >= 0 else None


@router.post("/console/cases/{case_id}/survey", dependencies=[Depends(check_csrf)])
async def survey(request: Request, case_id: str, me: Session):
    posted = await request.form()
    findings, verdict = str(posted.get("findings") or "").strip(), str(posted.get("verdict") or "")
    try:
        visit = date.fromisoformat(str(posted.get("visit_date") or ""))
        photos = check_photos([(f.content_type, await f.read()) for f in posted.getlist("photos")
                               if hasattr(f, "read")])
    except ValueError as exc:  # PhotoRejected is a ValueError too
        message = str(exc) if isinstance(exc, PhotoRejected) else "请填写走访日期"
        return await case_page(request, me, case_id, status=422, error=message)
    if not findings or len(findings) > 3800 or verdict not in VERDICTS:
        return await case_page(request, me, case_id, status=422, error="请填写走访情况（最多 3800 字）并选择核实结论")
    names = [p.name for p in photos]
    text = findings + (f"\n照片：{'、'.join(names)}" if names else "")
    visit_id = str(posted.get("visit_id") or "")
    if not await visits.claim_visit(request, visit_id):  # sent again (offline queue, double tap): recorded once
        return RedirectResponse(f"/console/cases/{case_id}?done=survey", status_code=303)
    try:
        await request.app.state.cases.survey(me[1], case_id, visit, text, verdict)
    except BackendError as exc:
        await visits.release_visit(request, visit_id)
        return await _refused(request, me, case_id, exc)
    request.app.state.photos.save(case_id, photos)
    return RedirectResponse(f"/console/cases/{case_id}?done=survey", status_code=303)


@router.post("/console/cases/{case_id}/reveal", dependencies=[Depends(check_csrf)])
async def reveal(request: Request, case_id: str, me: Session):
    """Name and ID number, shown once in this response (never in a URL); the tracker logs the reveal."""
    reason = str((await request.form()).get("reason") or "").strip()
    if not reason or len(reason) > 200:
        return await case_page(request, me, case_id, status=422, error="查看身份须填写事由（最多 200 字）")
    try:
        identity = await request.app.state.cases.reveal(me[1], case_id, reason)
    except BackendError as exc:
        if exc.status == 404:
            return await case_page(request, me, case_id, status=404, error="身份库中暂无此人的信息，请联系上报人核实")
        return await _refused(request, me, case_id, exc)
    return await case_page(request, me, case_id, identity=identity)


@router.get("/console/cases/{case_id}/photos/{name}")
async def photo(request: Request, case_id: str, name: str, me: Session):
    await request.app.state.cases.get(me[1], case_id)  # 403/404 from the tracker before any file is touched
    try:
        path = request.app.state.photos.path(case_id, name)
    except PhotoRejected:
        path = None
    if path is None:
        return error_page(request, 404)
    return FileResponse(path, headers={"Cache-Control": "private, no-store"})


async def _refused(request: Request, me, case_id: str, exc: BackendError):
    if exc.status in (409, 422):
        return await case_page(request, me, case_id, status=409, error=f"操作未完成：{_explain(exc.detail)}")
    if exc.status == 403:
        return await case_page(request, me, case_id, status=403, error=f"无权操作：{exc.detail}")
    raise exc


def _explain(detail: object) -> str:
    text = str(detail)
    if "record a field survey" in text:
        return "请先填写入户走访记录，再确认核实"
    if "dismissed case" in text:
        return "走访结论为“不属实”的案件只能选择“无需处理”"
    if "needs a resolution" in text:
        return "请选择处理结果"
    if "surveys are recorded while visiting" in text:
        return "只有在“走访中”才能填写走访记录"
    if "identity" in text:
        return "身份库中暂无此人的信息"
    return "案件状态已变化，请刷新页面后再试"
