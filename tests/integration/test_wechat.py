"""The WeChat official account end to end: WeChat's servers call /wechat (signed GET and XML POST), a
follower queries their own receipt and nobody else's, status changes reach them as template messages
through the real WeChat sender talking to a fake WeChat API on loopback."""
from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import httpx
from pydantic import SecretStr
from redis.asyncio import Redis

from consumers.replies.service import serve as serve_replies
from consumers.replies.wechat import WeChatSender
from producers.wechat import signature
from schemas.cases import case_id_for_request
from schemas.settings import Settings
from test_cases import api, case_at_version, case_settings, login, tracker, wait_for  # noqa: F401
from test_hotline12345 import intake_server
from test_intake import APPLICATION
from tests.fakes import FakeWeChatApi
from tests.loopback import serving

TOKEN = "wechat-server-token"
ALICE, BOB = "oALICE-openid-0001", "oBOB-openid-0002"


def signed(token: str = TOKEN, nonce: str = "n0nce") -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def text_message(openid: str, content: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_huainan_mz]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>1</MsgId></xml>")


async def say(client: httpx.AsyncClient, openid: str, content: str) -> dict[str, str]:
    response = await client.post("/wechat", params=signed() | {"openid": openid},
                                 content=text_message(openid, content).encode())
    assert response.status_code == 200, response.text
    return {child.tag: child.text or "" for child in ElementTree.fromstring(response.content)}


async def test_server_verification_answers_echostr_only_to_the_right_signature(case_settings: Settings) -> None:
    settings = case_settings.model_copy(update={"wechat_token": SecretStr(TOKEN)})
    async with intake_server(settings) as url, httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        good = await client.get("/wechat", params=signed() | {"echostr": "8472312938"})
        assert (good.status_code, good.text) == (200, "8472312938")
        bad = await client.get("/wechat", params=signed("another token") | {"echostr": "8472312938"})
        assert bad.status_code == 403 and "8472312938" not in bad.text
        assert (await client.get("/wechat", params={"echostr": "1"})).status_code == 403
        forged = await client.post("/wechat", params=signed("another token"), content=text_message(ALICE, "hi").encode())
        assert forged.status_code == 403
        bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
        assert (await client.post("/wechat", params=signed(), content=bomb)).status_code == 400


async def test_a_follower_sees_their_own_receipt_and_hears_of_its_changes(case_settings: Settings) -> None:
    wechat = FakeWeChatApi()
    async with serving(wechat.app()) as wechat_url:
        settings = case_settings.model_copy(update={"wechat_token": SecretStr(TOKEN)})
        redis, stop = Redis.from_url(settings.redis_url), asyncio.Event()
        async with tracker(settings) as store, intake_server(settings) as url, \
                httpx.AsyncClient(base_url=url, timeout=30.0) as client, httpx.AsyncClient(timeout=30.0) as http:
            sender = WeChatSender(http, api_url=wechat_url, appid=wechat.appid, secret=wechat.secret,
                                  template_id="TPL-STATUS", link_base="https://mz.example.gov.cn")
            replies = asyncio.create_task(serve_replies(settings, redis=redis, http=http, stop=stop, sender=sender))
            hello = await say(client, ALICE, "你好")
            assert (hello["ToUserName"], hello["FromUserName"], hello["MsgType"]) == (ALICE, "gh_huainan_mz", "text")
            link = re.search(r"https?://\S+/wechat/h5/apply\?f=(\S+)", hello["Content"])
            follower = parse_qs(urlsplit(link.group(0)).query)["f"][0]

            unbound = await client.post("/api/wechat/applications", json=APPLICATION)
            assert unbound.status_code == 401
            applied = await client.post("/api/wechat/applications", json=APPLICATION,
                                        headers={"X-WeChat-Follower": follower})
            assert applied.status_code == 202, applied.text
            receipt_no = applied.json()["receipt_no"]
            assert "match" not in applied.json() and re.fullmatch(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", receipt_no)
            case_id = case_id_for_request(applied.json()["request_id"])
            await wait_for(lambda: case_at_version(store, case_id, 1), "the application's case")

            mine = await say(client, ALICE, f"查询 {receipt_no}")
            assert mine["Content"].startswith(f"回执号 {receipt_no}：已受理，等待社工接案。下一步：")
            assert (await say(client, ALICE, f"查询：{receipt_no.lower().replace('-', '')}"))["Content"] == mine["Content"]
            theirs = await say(client, BOB, f"查询 {receipt_no}")
            nobodys = await say(client, BOB, "查询 ABCDE-FGHJK")
            assert theirs["Content"] == nobodys["Content"] and receipt_no not in theirs["Content"]

            async with api(settings, store) as cases:
                moved = await cases.post(f"/api/cases/{case_id}/transition", json={"to": "assigned"},
                                         headers=await login(cases, "caseworker1"))
                assert moved.status_code == 200
            await wait_for(lambda: _at_least(wechat.messages, 1), "the template message")
            assert "社工已接案" in (await say(client, ALICE, f"查询 {receipt_no}"))["Content"]
            stop.set()
            await replies
        await redis.aclose()
    [message] = wechat.messages
    assert (message["touser"], message["template_id"]) == (ALICE, "TPL-STATUS")
    assert (message["data"]["keyword1"]["value"], message["data"]["keyword2"]["value"]) == (receipt_no, "已受理")
    assert APPLICATION["applicant_name"] not in str(message) and APPLICATION["id_number"] not in str(message)


async def _at_least(items: list, n: int) -> bool:
    return len(items) >= n
