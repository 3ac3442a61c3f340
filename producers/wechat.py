"""The WeChat official account's server endpoint (spec section 2, version 2), plaintext mode.

    GET  /wechat?signature&timestamp&nonce&echostr   -> echostr when signature = SHA-1 of the sorted
                                                        concatenation of wechat_token, timestamp, nonce; else 403
    POST /wechat?signature&timestamp&nonce&openid    -> XML message in, XML text reply out
         "查询 <回执号>"  the progress (schemas/receipts.py) of the follower's OWN application or tip-off;
                         anyone else's receipt gets the same answer as a number that does not exist
         anything else   help, with links to the H5 pages (apply, tip-off) signed for this follower
    POST /api/wechat/applications, /api/wechat/tip-offs   (header X-WeChat-Follower: the signed link token)
         the H5 pages submit here: the intake takes the body, and the receipt number is bound to the
         follower, so only they can query it and template messages reach them

Redis (never on Kafka; only to answer and to notify):
    <prefix>intake:wechat:owner:<receipt, normalized> -> openid
    <prefix>intake:wechat:follower:<case_id>          -> {"openid", "receipt_no"}   (template messages)
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import date
from typing import Annotated
from xml.etree import ElementTree

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from schemas.cases import Case, case_id_for_request, projection_key
from schemas.channels import Application, TipOff
from schemas.receipts import Progress, normalize, progress
from schemas.settings import Settings

FOLLOWER_LINK_MAX_AGE_S = 24 * 3600
OWNER_TTL_S = 400 * 24 * 3600
QUERY = re.compile(r"^\s*查询\s*[:：]?\s*([0-9A-Za-z][0-9A-Za-z \-－—]{5,30}?)\s*$")
NOT_FOUND = "未找到您名下的这个回执号。请核对回执号（提交后页面上显示的 10 位编号），或拨打 12345 咨询。"
FollowerHeader = Annotated[str | None, Header(alias="X-WeChat-Follower", max_length=512)]


# ---------------------------------------------------------------- pure


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def signed_by_wechat(token: str, sig: str | None, timestamp: str | None, nonce: str | None) -> bool:
    if not (sig and timestamp and nonce):
        return False
    return hmac.compare_digest(signature(token, timestamp, nonce), sig.lower())


def parse_message(body: bytes) -> dict[str, str]:
    """The fields of one WeChat XML message; ValueError for anything else (no DTDs, no entities)."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", body, re.IGNORECASE):
        raise ValueError("DOCTYPE and ENTITY declarations are refused")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    if root.tag != "xml":
        raise ValueError("the root element must be <xml>")
    return {child.tag: (child.text or "") for child in root}


def text_reply(to_user: str, from_user: str, content: str, now: int) -> str:
    """A passive text reply (WeChat's XML; CDATA so the text needs no escaping)."""
    def cdata(value: str) -> str:
        return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"

    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{now}</CreateTime><MsgType>{cdata('text')}</MsgType>"
            f"<Content>{cdata(content)}</Content></xml>")


def follower_links(settings: Settings) -> URLSafeTimedSerializer:
    """Signs a follower's openid into the H5 links we send them (WeChat OAuth stands in for it in production)."""
    secret = settings.token_secret.get_secret_value() + settings.wechat_token.get_secret_value()
    return URLSafeTimedSerializer(secret, salt="safetynet.wechat.follower")


def follower_of(settings: Settings, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return str(follower_links(settings).loads(token, max_age=FOLLOWER_LINK_MAX_AGE_S))
    except BadSignature:
        return None


def owner_key(topic_prefix: str, receipt_no: str) -> str:
    return f"{topic_prefix}intake:wechat:owner:{normalize(receipt_no)}"


def follower_key(topic_prefix: str, case_id: str) -> str:
    return f"{topic_prefix}intake:wechat:follower:{case_id}"


def progress_text(receipt_no: str, progress: Progress) -> str:
    text = f"回执号 {receipt_no}：{progress.stage}。下一步：{progress.next_step}"
    return text + (f"（预计 {progress.expected_by:%Y-%m-%d} 前）" if progress.expected_by else "")


def help_text(settings: Settings, openid: str) -> str:
    token = follower_links(settings).dumps(openid)
    base = settings.web_base_url.rstrip("/")
    return (f"发送“查询 回执号”可查看您提交事项的办理进度。\n"
            f"申请救助：{base}/wechat/h5/apply?f={token}\n举报：{base}/wechat/h5/tip-off?f={token}")


# ---------------------------------------------------------------- HTTP

router = APIRouter(tags=["wechat"])


@router.get("/wechat", response_class=PlainTextResponse)
async def verify(request: Request, signature: str = "", timestamp: str = "", nonce: str = "",
                 echostr: str = "") -> PlainTextResponse:
    """WeChat's server check when the URL is configured: echo `echostr` only to a correct signature."""
    token = request.app.state.intake.settings.wechat_token.get_secret_value()
    if not signed_by_wechat(token, signature, timestamp, nonce):
        raise HTTPException(403, "signature does not match wechat_token")
    return PlainTextResponse(echostr)


@router.post("/wechat")
async def message(request: Request, signature: str = "", timestamp: str = "", nonce: str = "") -> Response:
    """A follower's message; replies in XML (or "success": WeChat's word for "no reply")."""
    intake = request.app.state.intake
    if not signed_by_wechat(intake.settings.wechat_token.get_secret_value(), signature, timestamp, nonce):
        raise HTTPException(403, "signature does not match wechat_token")
    try:
        fields = parse_message(await request.body())
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    openid, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    if not openid or fields.get("MsgType") not in ("text", "event"):
        return PlainTextResponse("success")
    answer = await answer_for(intake, openid, fields.get("Content", "") if fields["MsgType"] == "text" else "")
    return Response(text_reply(openid, account, answer, int(time.time())), media_type="application/xml")


async def answer_for(intake, openid: str, content: str) -> str:
    match = QUERY.match(content)
    if match is None:
        return help_text(intake.settings, openid)
    number = normalize(match.group(1))
    owner = await intake.redis.get(owner_key(intake.settings.topic_prefix, number)) if number else None
    found = await intake.redis.get(f"{intake.prefix}receipt:{number}") if owner else None
    if owner is None or _text(owner) != openid or found is None:
        return NOT_FOUND
    record = json.loads(found)
    raw = await intake.redis.hget(projection_key(intake.settings.topic_prefix, record["case_id"]), "json")
    case = Case.model_validate_json(raw) if raw else None
    shown = "-".join((number[:5], number[5:]))
    return progress_text(shown, progress(case, date.fromisoformat(record["received_on"])))


async def _submit(request: Request, channel: str, body: Application | TipOff, follower: str | None,
                  key: str | None) -> JSONResponse:
    intake = request.app.state.intake
    openid = follower_of(intake.settings, follower)
    if openid is None:
        raise HTTPException(401, "open this page from the official account's link (it expires after a day)")
    response = await intake.receive(channel, body, key)
    receipt = json.loads(response.body)
    prefix, receipt_no = intake.settings.topic_prefix, receipt["receipt_no"]
    await intake.redis.set(owner_key(prefix, receipt_no), openid, ex=OWNER_TTL_S)
    await intake.redis.set(follower_key(prefix, case_id_for_request(receipt["request_id"])),
                           json.dumps({"openid": openid, "receipt_no": receipt_no}), ex=OWNER_TTL_S)
    # no `match`: the answer never tells whether the person is known to us
    return JSONResponse({"request_id": receipt["request_id"], "receipt_no": receipt_no, "status": receipt["status"]},
                        status_code=response.status_code)


@router.post("/api/wechat/applications", status_code=202)
async def apply(body: Application, request: Request, follower: FollowerHeader = None,
                key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None) -> JSONResponse:
    """An application from the H5 page, bound to the follower who opened it."""
    return await _submit(request, "application", body, follower, key)


@router.post("/api/wechat/tip-offs", status_code=202)
async def tip_off(body: TipOff, request: Request, follower: FollowerHeader = None,
                  key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None) -> JSONResponse:
    """A tip-off from the H5 page, bound to the follower who opened it."""
    return await _submit(request, "tip_off", body, follower, key)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
