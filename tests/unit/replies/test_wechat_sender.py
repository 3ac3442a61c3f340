"""WeChatSender against httpx.MockTransport: a token, a refreshed token after 40001, errcode as failure."""
from __future__ import annotations

import httpx
import pytest

from consumers.notifier.channels import DeliveryError
from consumers.replies.status import FollowerUpdate
from consumers.replies.wechat import WeChatSender

UPDATE = FollowerUpdate(update_id="CR1:2", receipt_no="CR1", state="已受理")


def api(answers: list[dict]):
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path == "/cgi-bin/token":
            return httpx.Response(200, json={"access_token": f"T{len(calls)}", "expires_in": 7200})
        return httpx.Response(200, json=answers.pop(0))

    return calls, httpx.AsyncClient(transport=httpx.MockTransport(handle))


def sender(client) -> WeChatSender:
    return WeChatSender(client, api_url="https://api.weixin.test", appid="wx1", secret="s", template_id="TPL",
                        link_base="https://mz.test")


async def test_an_expired_token_is_fetched_again_once() -> None:
    calls, client = api([{"errcode": 40001}, {"errcode": 0}])
    await sender(client).send("o1", UPDATE)
    assert [c.url.path for c in calls] == ["/cgi-bin/token", "/cgi-bin/message/template/send", "/cgi-bin/token",
                                           "/cgi-bin/message/template/send"]
    assert calls[-1].url.params["access_token"] == "T3"


async def test_an_errcode_is_a_failed_send() -> None:
    _, client = api([{"errcode": 43004, "errmsg": "require subscribe"}])
    with pytest.raises(DeliveryError, match="43004"):
        await sender(client).send("o1", UPDATE)
