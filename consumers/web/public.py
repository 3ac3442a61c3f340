"""Citizens and partners: 申请救助, 进度查询 (POST: the ID number stays out of URLs), 举报, 我要预警."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from consumers.web.backends import BackendError
from consumers.web.forms import FORMS, Input, body_of, idempotency_key, new_key, read_values
from consumers.web.labels import STATES, field_errors
from consumers.web.security import FORM_LIMIT, check_csrf, over_form_limit
from consumers.web.views import HERE, render
from schemas.receipts import normalize

router = APIRouter()
STATUS_INPUTS = (Input("application_no", "回执号", maxlength=32,
                       hint="提交后页面上显示的 10 位回执号，如 K7QM5-8XPA3；不区分大小写，可不输横线"),
                 Input("id_number", "申请人身份证号", required=False, maxlength=32,
                       hint="查询救助申请时必须填写；查询举报、预警可不填"))
TOO_LARGE = (f"提交内容过大（每次不能超过 {FORM_LIMIT // 1024} KiB），没有提交。您填写的内容已保留，"
             "超长部分已截断，请精简后再提交。")
RECEIPT_TITLES = {"application": "申请已提交", "tip_off": "举报已收到", "warning_report": "预警已上报"}


@router.get("/")
async def home(request: Request):
    return render(request, "home.html")


@router.get("/favicon.ico", include_in_schema=False)
async def favicon():
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


def _form_routes(channel: str) -> None:
    form = FORMS[channel]

    async def show(request: Request):
        return render(request, "channel_form.html", form=form, values={}, errors={}, idem=new_key())

    async def submit(request: Request):
        posted = await request.form()
        values, errors = read_values(form, posted)
        idem = idempotency_key(posted)
        if over_form_limit(request):
            return render(request, "channel_form.html", status=413, form=form, values=values, idem=idem,
                          errors={**errors, "_form": TOO_LARGE})
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
    errors = {i.name: "此项必须填写" for i in STATUS_INPUTS if i.required and not values[i.name]}
    if values["application_no"] and not errors and normalize(values["application_no"]) is None \
            and not values["application_no"].startswith("CR"):
        errors = {"application_no": "回执号为 10 位，由数字 2–9 和字母组成（不含 0、O、1、I），请核对"}
    result = None
    if not errors:
        try:
            result = await request.app.state.intake.status(values["application_no"], values["id_number"] or None,
                                                           request.client.host if request.client else None)
        except BackendError as exc:
            if exc.status == 404:
                errors = {"_form": "没有找到：请核对回执号；查询救助申请时，身份证号须与申请时一致。"}
            elif exc.status == 422 and isinstance(exc.detail, list):
                errors = field_errors(exc.detail)
            else:
                raise
    state = None if result is None else ("已收到，正在登记" if result["state"] == "received"
                                         else STATES.get(result["state"], result["state"]))
    values.pop("id_number")  # never rendered back: the page may stay open on a shared screen
    return render(request, "status.html", status=422 if errors else 200, inputs=STATUS_INPUTS, values=values,
                  errors=errors, result=result, state=state)
