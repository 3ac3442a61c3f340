"""The city's 12345 platform pushes tickets (工单) to us, signed; spec section 2, version 2.

    POST /api/12345/tickets   headers X-12345-Timestamp (unix seconds), X-12345-Signature
      signature = hex HMAC-SHA256(hotline_secret, timestamp + "\\n" + raw body)
      -> 401 bad signature, 401 timestamp older than 5 minutes (or more than 5 minutes ahead),
         409 the same signed push seen before (a replay), 422 a bad ticket, 200 {"code": 0, ...}
      -> the ticket goes through the intake like any hotline ticket; its number is the
         Idempotency-Key, so the platform re-pushing a ticket (new timestamp) opens nothing twice
      -> Redis: <prefix>12345:ticket-of:<case_id> -> ticket_no  (the callbacks need it)

The timestamp is signed with the body so that nobody can refresh an old push's timestamp. Our
status callbacks (consumers/replies/hotline.py) are signed the same way.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from schemas.cases import case_id_for_request
from schemas.channels import HotlineTicket

SIGNATURE_HEADER = "X-12345-Signature"
TIMESTAMP_HEADER = "X-12345-Timestamp"
MAX_AGE_S = 300
SEEN_TTL_S = 2 * MAX_AGE_S + 60  # a replay after this is refused as stale anyway
TICKET_TTL_S = 400 * 24 * 3600
ANSWER_ONLY = ("咨询", "建议")  # tickets that need an answer, not a home visit

TicketType = Literal["咨询", "求助", "投诉", "建议", "举报"]


class PlatformTicket(HotlineTicket):
    """A 工单 as the platform pushes it: the contract's hotline fields and the ticket's type."""

    ticket_type: TicketType = "求助"

    def to_hotline(self) -> HotlineTicket:
        """The contract's ticket; the type leads the content so the caseworker sees it first."""
        hint = "（仅需答复）" if self.ticket_type in ANSWER_ONLY else ""
        fields = self.model_dump(exclude={"ticket_type"})
        return HotlineTicket(**fields | {"content": f"[{self.ticket_type}{hint}] {self.content}"[:4000]})


# ---------------------------------------------------------------- pure: signatures


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signed_headers(secret: bytes, body: bytes, now: datetime) -> dict[str, str]:
    """What a sender puts on a signed request (the platform's pushes, our callbacks)."""
    timestamp = str(int(now.timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body),
            "Content-Type": "application/json; charset=utf-8"}


def check_signed(secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: datetime) -> None:
    """Raise PushRefused unless the push is signed with our secret and fresh."""
    if not timestamp or not signature or not timestamp.isdigit():
        raise PushRefused(401, f"missing or malformed {TIMESTAMP_HEADER} / {SIGNATURE_HEADER}")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.lower()):
        raise PushRefused(401, "signature does not match the body and timestamp")
    if abs(now.timestamp() - int(timestamp)) > MAX_AGE_S:
        raise PushRefused(401, f"timestamp is more than {MAX_AGE_S // 60} minutes away from our clock")


# ---------------------------------------------------------------- HTTP

router = APIRouter(prefix="/api/12345", tags=["12345"])


@router.post("/tickets", responses={401: {"description": "bad signature or stale timestamp"},
                                    409: {"description": "replayed push"}, 422: {"description": "bad ticket"}})
async def push_ticket(request: Request) -> JSONResponse:
    """A ticket pushed by the 12345 platform (signed: see the module docstring)."""
    intake = request.app.state.intake
    body, now = await request.body(), intake.clock()
    try:
        check_signed(intake.settings.hotline_secret.get_secret_value().encode(),
                     request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body, now)
        ticket = PlatformTicket.model_validate_json(body)
    except PushRefused as exc:
        return _refuse(exc.status, str(exc))
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"code": 422, "detail": errors}, status_code=422)
    seen = f"{intake.prefix}12345:seen:{request.headers[SIGNATURE_HEADER].lower()}"
    if not await intake.redis.set(seen, "1", nx=True, ex=SEEN_TTL_S):
        return _refuse(409, "this signed push was received before (replay)")
    try:
        response = await intake.receive("hotline", ticket.to_hotline(), f"12345:{ticket.ticket_no}")
    except BaseException:
        await intake.redis.delete(seen)  # not taken: the platform's retry of this very push must get through
        raise
    receipt = json.loads(response.body)
    case_id = case_id_for_request(receipt["request_id"])
    await remember_ticket(intake.redis, intake.settings.topic_prefix, case_id, ticket.ticket_no)
    return JSONResponse({"code": 0, "message": "received", "ticket_no": ticket.ticket_no, "case_id": case_id})


async def remember_ticket(redis, topic_prefix: str, case_id: str, ticket_no: str) -> None:
    await redis.set(ticket_key(topic_prefix, case_id), ticket_no, ex=TICKET_TTL_S)


def ticket_key(topic_prefix: str, case_id: str) -> str:
    """Redis: the 12345 ticket number of a case opened by a pushed ticket."""
    return f"{topic_prefix}intake:12345:ticket-of:{case_id}"


def _refuse(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"code": status, "message": reason}, status_code=status)


class PushRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
