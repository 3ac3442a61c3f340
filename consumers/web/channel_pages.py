"""Pages for the channels: WeChat H5 forms, reporters' own reports, answering a 12345 ticket, the bureau's year.

    /wechat/h5/apply?f=<link>, /wechat/h5/tip-off?f=<link>   H5 forms opened from the official account
    /reporter, /reporter/new, /reporter/reports/{id}          我要预警 by a logged-in reporter, and its outcome
    /console/cases/{id}/answer                                a 12345 ticket closed by its answer alone
    /bureau/ytd                                               year-to-date figures by county

They call the intake and the tracker over HTTP like every other page; the tracker decides who sees what.
"""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from consumers.web.backends import BackendError, _bearer, _ok
from consumers.web.console import Session
from consumers.web.forms import FORMS, TOWNSHIP, ChannelForm, Input, body_of, idempotency_key, new_key, read_values
from consumers.web.public import _rejected
from consumers.web.security import check_csrf
from consumers.web.views import error_page, render
from schemas.townships import places

router = APIRouter()
H5 = {"apply": ("application", "/api/wechat/applications"), "tip-off": ("tip_off", "/api/wechat/tip-offs")}
REPORT = ChannelForm("reporter", "/reporter/new", "我要预警", "发现有人可能需要帮助，一键上报；上报后可在“我的预警”查看办理进度和结果。",
                     "立即上报", (
    Input("subject_name", "需要帮助的人的姓名"),
    Input("subject_phone", "对方电话", "tel", required=False, maxlength=20, inputmode="tel"),
    Input("subject_id_number", "对方身份证号", required=False, maxlength=32, hint="选填，不清楚可不填"),
    TOWNSHIP,
    Input("situation", "情况说明", "textarea", maxlength=2000, hint="例如：独居老人摔伤无人照料"),
))
FIGURES = (("warnings_pushed", "推送预警"), ("verified", "核实属实"), ("dismissed", "核实不属实"),
           ("benefits_stopped", "停发待遇"), ("assistance_granted", "给予救助"), ("tickets_closed", "12345 工单办结"))


# ---------------------------------------------------------------- WeChat H5


def _h5_form(kind: str, follower: str) -> ChannelForm:
    channel, _ = H5[kind]
    return replace(FORMS[channel], path=f"/wechat/h5/{kind}?f={quote(follower)}")


@router.get("/wechat/h5/{kind}")
async def h5_form(request: Request, kind: str, f: str = ""):
    if kind not in H5:
        return error_page(request, 404)
    return render(request, "channel_form.html", form=_h5_form(kind, f[:512]), values={}, errors={}, idem=new_key(),
                  h5=True)


@router.post("/wechat/h5/{kind}", dependencies=[Depends(check_csrf)])
async def h5_submit(request: Request, kind: str, f: str = ""):
    if kind not in H5:
        return error_page(request, 404)
    channel, path = H5[kind]
    form, posted = _h5_form(kind, f[:512]), await request.form()
    values, errors = read_values(FORMS[channel], posted)
    idem = idempotency_key(posted)
    if not errors:
        response = await request.app.state.intake.http.post(
            path, json=body_of(values), headers={"Idempotency-Key": idem, "X-WeChat-Follower": f[:512]})
        if response.status_code == 401:
            return error_page(request, 401, "链接已过期，请回到公众号重新打开。")
        try:
            receipt = _ok(response)
        except BackendError as exc:
            errors = _rejected(exc)
        else:
            return render(request, "h5_receipt.html", receipt=receipt, form=form)
    return render(request, "channel_form.html", status=422, form=form, values=values, errors=errors, idem=idem, h5=True)


# ---------------------------------------------------------------- reporters


@router.get("/reporter")
async def my_reports(request: Request, me: Session):
    user, token = me
    if user.role != "reporter":
        return error_page(request, 403, "“我的预警”只对预警上报人开放。")
    reports = _ok(await request.app.state.cases.http.get("/api/reports", headers=_bearer(token)))
    return render(request, "reporter.html", reports=reports, sent=request.query_params.get("sent", "")[:24])


@router.get("/reporter/new")
async def report_form(request: Request, me: Session):
    return render(request, "channel_form.html", form=REPORT, values={}, errors={}, idem=new_key())


@router.post("/reporter/new", dependencies=[Depends(check_csrf)])
async def report_submit(request: Request, me: Session):
    posted = await request.form()
    values, errors = read_values(REPORT, posted)
    idem = idempotency_key(posted)
    if not errors:
        response = await request.app.state.intake.http.post("/api/intake/reports", json=body_of(values),
                                                            headers=_bearer(me[1]) | {"Idempotency-Key": idem})
        try:
            _ok(response)
        except BackendError as exc:
            if exc.status == 401:
                return error_page(request, 403, "只有预警上报人账号可以在这里上报。")
            errors = _rejected(exc)
        else:
            return RedirectResponse("/reporter?sent=1", status_code=303)
    return render(request, "channel_form.html", status=422, form=REPORT, values=values, errors=errors, idem=idem)


@router.get("/reporter/reports/{case_id}")
async def my_report(request: Request, case_id: str, me: Session):
    report = _ok(await request.app.state.cases.http.get(f"/api/reports/{case_id[:64]}", headers=_bearer(me[1])))
    return render(request, "report.html", report=report)


# ---------------------------------------------------------------- 12345: answer only


@router.get("/console/cases/{case_id}/answer")
async def answer_form(request: Request, case_id: str, me: Session):
    case = await request.app.state.cases.get(me[1], case_id)
    return render(request, "answer.html", case=case, error=None, reply="")


@router.post("/console/cases/{case_id}/answer", dependencies=[Depends(check_csrf)])
async def answer(request: Request, case_id: str, me: Session):
    reply = str((await request.form()).get("reply") or "").strip()
    case = await request.app.state.cases.get(me[1], case_id)
    if not reply or len(reply) > 2000:
        return render(request, "answer.html", status=422, case=case, error="请填写答复内容（最多 2000 字）", reply=reply)
    response = await request.app.state.cases.http.post(f"/api/cases/{case.case_id}/answer", json={"reply": reply},
                                                       headers=_bearer(me[1]))
    if response.status_code == 409:
        return render(request, "answer.html", status=409, case=case, reply=reply,
                      error="只有已接案的 12345 工单可以直接答复办结（先点“接案”）。")
    _ok(response)
    return RedirectResponse(f"/console/cases/{case.case_id}?done=closed", status_code=303)


# ---------------------------------------------------------------- the bureau's year


@router.get("/bureau/ytd")
async def year_to_date(request: Request, me: Session, year: int | None = None):
    params = {"year": year} if year else {}
    figures = _ok(await request.app.state.cases.http.get("/api/stats/ytd", params=params, headers=_bearer(me[1])))
    names = {row["county_code"]: places().county_name(row["county_code"]) for row in figures["counties"]}
    return render(request, "ytd.html", ytd=figures, names=names, figures=FIGURES)
