"""What every page gets: a session cookie holding the tracker's token, CSRF tokens, size limits, headers.

    cookie sn_session  the case tracker's signed token (HttpOnly, SameSite=Strict)
    cookie sn_csrf     a random value per browser (HttpOnly, SameSite=Strict)
    form csrf_token    HMAC-signed copy of sn_csrf; every POST must carry it (double submit, signed)

Request bodies are capped before anything parses them: 64 KiB for forms, more only for the home-visit
form that carries photos. ID numbers travel only in POST bodies; no page puts them in a URL.
"""
from __future__ import annotations

import hmac
import re
import secrets

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse

from consumers.cases.auth import InvalidToken, User, read_token
from schemas.settings import Settings

SESSION_COOKIE = "sn_session"
CSRF_COOKIE = "sn_csrf"
FORM_LIMIT = 64 * 1024
MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_PHOTOS = 3
UPLOAD_LIMIT = MAX_PHOTOS * MAX_PHOTO_BYTES + FORM_LIMIT
UPLOAD_PATHS = re.compile(r"^/console/cases/[^/]+/survey$")
# Forms people type into: read up to 1 MiB so an over-long form comes back with what was typed (413, kept)
# instead of a bare error page; the page itself refuses anything over FORM_LIMIT.
FORM_PATHS = re.compile(r"^/(apply|tip-off|warning|hotline)$")
FORM_READ_LIMIT = 1024 * 1024
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def limit_for(path: str) -> int:
    if UPLOAD_PATHS.match(path):
        return UPLOAD_LIMIT
    return FORM_READ_LIMIT if FORM_PATHS.match(path) else FORM_LIMIT


def over_form_limit(request: Request) -> bool:
    """A form body larger than FORM_LIMIT (read anyway, so the page can keep what was typed)."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > FORM_LIMIT


# ---------------------------------------------------------------- CSRF


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.token_secret.get_secret_value(), salt="safetynet.web.csrf")


def csrf_token(request: Request) -> str:
    """The hidden-field value for this browser's forms."""
    return _signer(request.app.state.settings).dumps(request.state.csrf)


def csrf_valid(settings: Settings, cookie: str | None, token: object) -> bool:
    if not cookie or not isinstance(token, str) or len(token) > 200:
        return False
    try:
        return hmac.compare_digest(str(_signer(settings).loads(token)), cookie)
    except BadSignature:
        return False


async def check_csrf(request: Request) -> None:
    """A dependency for every POST: parses the (size-capped) form once and checks its token."""
    form = await request.form(max_files=MAX_PHOTOS, max_fields=40)
    if not csrf_valid(request.app.state.settings, request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
        raise CsrfRejected()


# ---------------------------------------------------------------- session


def session_user(request: Request) -> tuple[User, str] | None:
    """The logged-in user and their tracker token, or None (no cookie, expired, or tampered)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 4096:
        return None
    try:
        return read_token(request.app.state.settings, token), token
    except InvalidToken:
        return None


def set_session(response, token: str, *, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=8 * 3600, httponly=True, samesite="strict", secure=secure,
                        path="/")


def clear_session(response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


# ---------------------------------------------------------------- middleware


class Guard:
    """Pure ASGI (SSE streams pass through untouched): body limit, CSRF cookie, security headers."""

    def __init__(self, app, *, secure: bool = False) -> None:
        self.app, self.secure = app, secure

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await too_large(limit)(scope, receive, send)
        cookie = _cookie(scope, CSRF_COOKIE)
        scope.setdefault("state", {})["csrf"] = cookie or secrets.token_urlsafe(24)
        await self.app(scope, _capped(receive, limit), self._headers(send, None if cookie else scope["state"]["csrf"]))

    def _headers(self, send, new_csrf: str | None):
        async def wrapped(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                if new_csrf:
                    flags = "; Secure" if self.secure else ""
                    headers.append("Set-Cookie", f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Strict{flags}")
            await send(message)

        return wrapped


def _capped(receive, limit: int):
    """A body that streams past `limit` (no or wrong Content-Length) ends the request with BodyTooLarge."""
    seen = 0

    async def capped():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge(limit)
        return message

    return capped


def _cookie(scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name and re.fullmatch(r"[A-Za-z0-9_\-]{16,64}", v):
                    return v
    return None


def too_large(limit: int) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>提交内容过大</title>"
                        f"<h1>提交内容过大</h1><p>每次提交不能超过 {limit // 1024} KiB，照片每张不超过 2 MiB。"
                        f"<p><a href=/>返回首页</a>", status_code=413)


class CsrfRejected(Exception):
    """A POST without this browser's CSRF token: a stale page, or a request from another site."""


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit
