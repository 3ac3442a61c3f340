"""The field app (智慧民政): installable console, visits recorded exactly once, door-to-door screening.

    /manifest.webmanifest, /sw.js          the console installs on a phone; pages stay readable offline
    visit_id on a survey                   one home visit, recorded once (visits.py, static/field.js)
    /console/screening                     摸排 of a household with no case: recorded, and a case opened
                                           when the caseworker asks for one (intake /api/intake/screenings)
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse

from consumers.web.backends import BackendError, _bearer, _ok
from consumers.web.console import Session
from consumers.web.forms import ChannelForm, Input, body_of, idempotency_key, new_key, read_values
from consumers.web.public import _rejected
from consumers.web.security import check_csrf
from consumers.web.views import HERE, error_page, render
from schemas.cases import case_id_for_request

router = APIRouter()
MANIFEST = {
    "name": "智慧民政 · 社会救助监测", "short_name": "智慧民政", "lang": "zh-CN", "start_url": "/console",
    "scope": "/", "display": "standalone", "background_color": "#ffffff", "theme_color": "#1d4f91",
    "icons": [{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
}
SCREENING = ChannelForm("screening", "/console/screening", "入户摸排", "对辖区内尚无案件的家庭上门摸排；发现困难可直接开案核实。",
                        "保存摸排记录", (
    Input("head_name", "户主姓名"),
    Input("phone", "联系电话", "tel", required=False, maxlength=20, inputmode="tel"),
    Input("id_number", "户主身份证号", required=False, maxlength=32, hint="选填；开案时有身份证号可直接匹配"),
    Input("household_size", "家庭人口（人）", "number", maxlength=3, inputmode="numeric"),
    Input("findings", "摸排情况", "textarea", maxlength=2000, hint="住房、收入、患病、残疾、就学等"),
    Input("open_case", "是否开案核实", "select", options=(("no", "暂无困难，仅记录"), ("yes", "存在困难，开案核实"))),
))


@router.get("/manifest.webmanifest")
async def manifest() -> JSONResponse:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")


@router.get("/sw.js")
async def service_worker() -> FileResponse:
    """Served from the root so that its scope covers /console."""
    return FileResponse(HERE / "static" / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


# ---------------------------------------------------------------- 摸排


@router.get("/console/screening")
async def screening_form(request: Request, me: Session):
    return render(request, "screening.html", form=SCREENING, values={}, errors={}, idem=new_key(), done=None)


@router.post("/console/screening", dependencies=[Depends(check_csrf)])
async def screening_submit(request: Request, me: Session):
    user, token = me
    posted = await request.form()
    values, errors = read_values(SCREENING, posted)
    idem = idempotency_key(posted)
    if user.role != "caseworker":
        return error_page(request, 403, "入户摸排由乡镇（街道）社工记录。")
    if not errors:
        body = body_of(values) | {"township_code": user.township_code, "open_case": values["open_case"] == "yes"}
        try:
            receipt = _ok(await request.app.state.intake.http.post(
                "/api/intake/screenings", json=body, headers=_bearer(token) | {"Idempotency-Key": idem}))
        except BackendError as exc:
            errors = _rejected(exc)
        else:
            case_id = case_id_for_request(receipt["request_id"]) if receipt.get("case_opened") else None
            return render(request, "screening.html", form=SCREENING, values={}, errors={}, idem=new_key(),
                          done={"case_id": case_id})
    return render(request, "screening.html", status=422, form=SCREENING, values=values, errors=errors, idem=idem,
                  done=None)


