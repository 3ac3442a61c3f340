"""Rendering: one Jinja2 environment, the filters pages share, and the error pages."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from consumers.web import labels
from consumers.web.security import csrf_token, session_user

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.filters.update(
    state=lambda s: labels.STATES.get(str(s), str(s)), kind=lambda k: labels.KINDS.get(k, k),
    when=labels.fmt_time, township=labels.township_name, severity=lambda s: labels.SEVERITIES.get(s or "", "—"),
    verdict=lambda v: labels.VERDICTS.get(v or "", "—"), resolution=lambda r: (labels.RESOLUTIONS | {"answered": "已答复（无需入户）"}).get(r or "", "—"),
    history=lambda t: labels.HISTORY.get(t, t), feed=labels.feed_name, note=labels.note_text,
    actor=labels.actor_name,
)
TEMPLATES.env.globals.update(labels=labels, STATES=labels.STATES, KINDS=labels.KINDS)


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """A page with the user (if logged in), this browser's CSRF token and the clock in its context."""
    session = session_user(request)
    csrf = csrf_token(request)
    context = {"user": session[0] if session else None, "csrf": csrf,
               "csrf_input": Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'),
               "now": request.app.state.clock(), **context}
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def render_fragment(name: str, **context) -> str:
    return TEMPLATES.get_template(name).render(**context)


ERRORS = {
    400: ("请求有误", "提交的内容无法识别，请返回重新填写。"),
    401: ("请先登录", "登录已过期或尚未登录。"),
    403: ("无权访问", "此案件不属于您所在的乡镇（街道），您无权查看或办理。"),
    404: ("页面不存在", "没有找到您要的页面或案件。"),
    405: ("请求方式不对", "请使用页面上的按钮提交。"),
    409: ("操作未完成", "案件状态已变化，请刷新后重试。"),
    413: ("提交内容过大", "每次提交不能超过 64 KiB，照片每张不超过 2 MiB。"),
    429: ("操作过于频繁", "提交或登录次数过多，请稍后再试。"),
    503: ("系统繁忙", "后台服务暂时不可用，请稍后再试。"),
}


def error_page(request: Request, status: int, message: str | None = None) -> HTMLResponse:
    title, default = ERRORS.get(status, ("出错了", "系统出错，请稍后再试。"))
    return render(request, "error.html", status=status, title=title, message=message or default, code=status)
