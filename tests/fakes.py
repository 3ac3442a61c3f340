"""The systems on the other side, faked by their real protocols (HTTP on loopback, see tests/loopback.py).

FakeHotlinePlatform  the city's 12345: takes our signed status callbacks, answers the first `fail` badly
FakeWeChatApi        api.weixin.qq.com: access tokens and template messages
FakeRobot            a 企业微信/政务微信 group robot webhook: 20 messages a minute, then errcode 45009
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from producers.hotline12345 import SIGNATURE_HEADER, TIMESTAMP_HEADER, check_signed, PushRefused


@dataclass
class FakeHotlinePlatform:
    secret: bytes
    fail: list[str] = field(default_factory=list)  # the next answers: "503", "code" (code 500 in a 200), then ok
    callbacks: list[dict] = field(default_factory=list)
    attempts: int = 0
    refused: int = 0

    def app(self) -> Starlette:
        async def status(request: Request) -> JSONResponse:
            body = await request.body()
            try:
                check_signed(self.secret, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
                             body, datetime.now(UTC))
            except PushRefused:
                self.refused += 1
                return JSONResponse({"code": 401, "message": "bad signature"}, status_code=401)
            self.attempts += 1
            if self.fail:
                how = self.fail.pop(0)
                return (JSONResponse({"code": 503}, status_code=503) if how == "503"
                        else JSONResponse({"code": 500, "message": "busy"}))
            self.callbacks.append(json.loads(body))
            return JSONResponse({"code": 0, "message": "ok"})

        return Starlette(routes=[Route("/status", status, methods=["POST"])])


@dataclass
class FakeWeChatApi:
    appid: str = "wx-test"
    secret: str = "wx-secret"
    tokens_issued: int = 0
    messages: list[dict] = field(default_factory=list)

    def app(self) -> Starlette:
        async def token(request: Request) -> JSONResponse:
            q = request.query_params
            if (q.get("appid"), q.get("secret"), q.get("grant_type")) != (self.appid, self.secret, "client_credential"):
                return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
            self.tokens_issued += 1
            return JSONResponse({"access_token": f"TOKEN{self.tokens_issued}", "expires_in": 7200})

        async def send(request: Request) -> JSONResponse:
            if request.query_params.get("access_token") != f"TOKEN{self.tokens_issued}":
                return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
            self.messages.append(await request.json())
            return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": len(self.messages)})

        return Starlette(routes=[Route("/cgi-bin/token", token), Route("/cgi-bin/message/template/send", send,
                                                                          methods=["POST"])])


@dataclass
class FakeRobot:
    """Answers errcode 45009 past `per_minute` messages in a minute, or `fail` errcodes first."""

    per_minute: int = 20
    fail: list[int] = field(default_factory=list)
    received: list[tuple[float, dict]] = field(default_factory=list)  # (time, body) of accepted messages
    refused: int = 0
    clock: object = None  # () -> seconds; time.monotonic when None

    def app(self) -> Starlette:
        import time

        async def send(request: Request) -> JSONResponse:
            now = (self.clock or time.monotonic)()
            body = await request.json()
            if self.fail:
                self.refused += 1
                return JSONResponse({"errcode": self.fail.pop(0), "errmsg": "fake failure"})
            if sum(1 for at, _ in self.received if now - at < 60) >= self.per_minute:
                self.refused += 1
                return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})
            self.received.append((now, body))
            return JSONResponse({"errcode": 0, "errmsg": "ok"})

        return Starlette(routes=[Route("/cgi-bin/webhook/send", send, methods=["POST"])])
