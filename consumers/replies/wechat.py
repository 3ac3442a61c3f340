"""Template messages to WeChat followers, behind a sender interface.

`TemplateSender.send(openid, update)`; `WeChatSender` is the real one:
    GET  {wechat_api_url}/cgi-bin/token?grant_type=client_credential&appid=..&secret=..  -> access_token
    POST {wechat_api_url}/cgi-bin/message/template/send?access_token=..   {touser, template_id, url, data}
An errcode other than 0 is a failed send; 40001/42001 (token invalid or expired) fetch a new token once.
"""
from __future__ import annotations

import time
from typing import Protocol

import httpx

from consumers.notifier.channels import DeliveryError
from consumers.replies.status import FollowerUpdate

TOKEN_ERRORS = (40001, 40014, 42001)


class TemplateSender(Protocol):
    async def send(self, openid: str, update: FollowerUpdate) -> None: ...


class WeChatSender:
    def __init__(self, client: httpx.AsyncClient, *, api_url: str, appid: str, secret: str, template_id: str,
                 link_base: str) -> None:
        self.client, self.api_url = client, api_url.rstrip("/")
        self.appid, self.secret, self.template_id, self.link_base = appid, secret, template_id, link_base.rstrip("/")
        self.token: str | None = None
        self.expires = 0.0

    async def send(self, openid: str, update: FollowerUpdate) -> None:
        body = {"touser": openid, "template_id": self.template_id, "url": f"{self.link_base}/wechat/h5",
                "data": {"first": {"value": "您提交的事项有新进展"}, "keyword1": {"value": update.receipt_no},
                         "keyword2": {"value": update.state}, "remark": {"value": update.note or "感谢您的反映。"}}}
        result = await self._post(body)
        if result.get("errcode") in TOKEN_ERRORS:
            self.token = None
            result = await self._post(body)
        if result.get("errcode", 0) != 0:
            raise DeliveryError(f"wechat template: errcode {result.get('errcode')}", retryable=True)

    async def _post(self, body: dict) -> dict:
        token = await self._token()
        return await self._json(self.client.post(f"{self.api_url}/cgi-bin/message/template/send",
                                                 params={"access_token": token}, json=body))

    async def _token(self) -> str:
        if self.token and time.monotonic() < self.expires:
            return self.token
        result = await self._json(self.client.get(f"{self.api_url}/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret}))
        if "access_token" not in result:
            raise DeliveryError(f"wechat token: errcode {result.get('errcode')}", retryable=True)
        self.token, self.expires = result["access_token"], time.monotonic() + int(result.get("expires_in", 7200)) - 300
        return self.token

    @staticmethod
    async def _json(request) -> dict:
        try:
            response = await request
        except httpx.TransportError as exc:
            raise DeliveryError(f"wechat api: {exc!r}", retryable=True) from exc
        if response.status_code >= 300:
            raise DeliveryError(f"wechat api: HTTP {response.status_code}", retryable=True)
        return response.json()
