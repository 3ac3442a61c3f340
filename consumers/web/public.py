"""Citizens and partners: 申请救助, 进度查询 (POST: the ID number stays out of URLs), 举报, 我要预警."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from consumers.web.backends import BackendError
from consumers.web.forms import FORMS, Input, body_of, idempotency_key, new_key, read_values
from consumers.web.labels import STATES, field_errors
from consumers.web.security import check_csrf
from consumers.web.views import render

router = APIRouter()
STATUS_INPUTS = (Input("application_no", "申请编号", hint="提交申请后页面上显示的编号，以 CR 开头"),
                 Input("id_number", "申请人身份证号", maxlength=32))
RECEIPT_TITLES = {"application": "申请已提交", "tip_off": "举报已收到", "warning_report": "预警已上报"}


@router.get("/")
async def home(request: Request):
    return render(request, "home.html")


def _form_routes(channel: str) -> None:
    form = FORMS[channel]

    async def show(request: Request):
        return render(request, "channel_form.html", form=form, values={}, errors={}, idem=new_key())

    async def submit(request: Request):
        posted = await request.form()
        values, errors = read_values(form, posted)
        idem = idempotency_key(posted)
        if not errors:
            try:
                receipt = await request.app.state.intake.submit(channel, body_of(values), idem,
                                                                request.client.host if request.client else None)
            except BackendError as exc:
                errors = _rejected(exc)
            else:
                return render(request, "receipt.html", form=form, receipt=receipt, title=RECEIPT_TITLES[channel])
        return render(request, "channel_form.html", status=422, form=form, values=values, errors=errors, idem=idem)

    router.add_api_route(form.path, show, methods=["GET"], name=f"{channel}_form")
    router.add_api_route(form.path, submit, methods=["POST"], dependencies=[Depends(check_csrf)],
                         name=f"{channel}_submit")


def _rejected(exc: BackendError) -> dict[str, str]:
    if exc.status == 422 and isinstance(exc.detail, list):
        return field_errors(exc.detail)
    if exc.status == 422:
        return {"_form": "这张表单已经提交过。如需再次提交，请刷新页面后重新填写。"}
    if exc.status == 409:
        return {"_form": "上一次提交还在处理中，请稍等几秒再试。"}
    if exc.status == 413:
        return {"_form": "内容过长，请精简后再提交。"}
    raise exc


for _channel in ("application", "tip_off", "warning_report"):
    _form_routes(_channel)


@router.get("/status")
async def status_form(request: Request):
    return render(request, "status.html", inputs=STATUS_INPUTS, values={}, errors={}, result=None)


@router.post("/status", dependencies=[Depends(check_csrf)])
async def status_query(request: Request):
    posted = await request.form()
    values = {i.name: str(posted.get(i.name) or "").strip()[:i.maxlength] for i in STATUS_INPUTS}
    errors = {name: "此项必须填写" for name, value in values.items() if not value}
    result = None
    if not errors:
        try:
            result = await request.app.state.intake.status(values["application_no"], values["id_number"],
                                                           request.client.host if request.client else None)
        except BackendError as exc:
            if exc.status == 404:
                errors = {"_form": "没有找到：请核对申请编号和身份证号是否与申请时一致。"}
            elif exc.status == 422 and isinstance(exc.detail, list):
                errors = field_errors(exc.detail)
            else:
                raise
    state = None if result is None else ("已收到，正在登记" if result["state"] == "received"
                                         else STATES.get(result["state"], result["state"]))
    values.pop("id_number")  # never rendered back: the page may stay open on a shared screen
    return render(request, "status.html", status=422 if errors else 200, inputs=STATUS_INPUTS, values=values,
                  errors=errors, result=result, state=state)
