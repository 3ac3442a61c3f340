"""The public channels (spec section 2) over HTTP: validate, seal identity, publish a PII-free request.

POST body (HotlineTicket | Application | TipOff | WarningReport)
  -> ID number checked (422 says why, never echoing it)
  -> person: by ID number, else by HMAC(name|phone|township) in Redis, else "unidentified"
  -> identity-vault    (key: contact_key of this request, value: sealed IdentityRecord as the caller gave it;
                        a channel never writes under a person_key: department records stay as they are)
  -> channel.requests  (key: person_key or request_id, value: ChannelRequest)  -> the case tracker
  -> 202 receipt that never says whether the person is known (no match, no state)

An `Idempotency-Key` header makes retries safe: the same key and body get the stored response.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Protocol

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis

from producers.apidocs import serve_docs
from producers.bodylimit import MAX_BODY, BodyLimit, validation_failed
from producers.identity import Pseudonymizer, mask
from producers.ratelimit import Limiter, RateLimit, Rule
from producers.subject import (  # noqa: F401 (re-exported: callers import them from here)
    ID_FIELD, SUMMARY_MAX, ChannelBody, Subject, checked_id, match_key, scrub, subject_of, summary_of,
)
from producers.vault import TOPIC as VAULT_TOPIC
from producers.vault import IdentityRecord, seal, vault_keys
from schemas.cases import Case, case_id_for_request, projection_key
from schemas.receipts import normalize, progress, receipt_no
from schemas.channels import (
    Application, ChannelRequest, HotlineTicket, StatusQuery, TipOff, WarningReport,
)
from schemas.settings import Settings

IDEMPOTENCY_TTL_S = 24 * 3600
PENDING_TTL_S = 60
# per client address (producers/ratelimit.py): what one person could plausibly send, and no enumeration
LIMITS = [Rule("intake-status", r"/api/intake/applications/status", requests=10, seconds=60),
          Rule("intake-submit", r"/api/intake/(hotline|applications|tip-offs|warnings)", requests=30, seconds=60)]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


class Publisher(Protocol):
    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Return once the broker has acknowledged the record."""


class KafkaPublisher:
    """An idempotent producer that waits for every acknowledgement; open it with `async with`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.producer: AIOKafkaProducer | None = None

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        await self.producer.send_and_wait(topic, key=key, value=value)

    async def __aenter__(self) -> KafkaPublisher:
        self.producer = AIOKafkaProducer(**self.settings.kafka_options(), acks="all", enable_idempotence=True)
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()


class Receipt(BaseModel):
    """The same shape whoever the request is about: nothing in it says whether the person is known."""

    request_id: str
    receipt_no: str  # the one number people are given (schemas/receipts.py): quote it in a status query
    application_no: str | None = None  # the case id of an application (older clients quoted it)
    status: str = "received"


class ApplicationStatus(BaseModel):
    application_no: str  # the receipt number (or the case id) as asked
    state: str  # "received" until the case tracker has opened the case, then the case state
    stage: str = ""  # in a citizen's words (schemas/receipts.progress)
    since: date | None = None
    next_step: str = ""
    expected_by: date | None = None




# ---------------------------------------------------------------- the edge


@dataclass
class Resolved:
    match: str
    person_key: str | None = None
    masked_id: str | None = None
    contact_key: str | None = None


class Intake:
    """Turns one validated body into vault records and a ChannelRequest; remembers responses."""

    def __init__(self, settings: Settings, publisher: Publisher, redis: Redis,
                 clock: Callable[[], datetime]) -> None:
        self.settings, self.publisher, self.redis, self.clock = settings, publisher, redis, clock
        self.secret = settings.pseudonym_secret.get_secret_value().encode()
        self.keys = Pseudonymizer(self.secret)
        self.vault_key = vault_keys(settings)[0]
        self.prefix = f"{settings.topic_prefix}intake:"

    async def receive(self, channel: str, body: ChannelBody, idempotency_key: str | None, *,
                      reported_by: str | None = None) -> JSONResponse:
        id_number = checked_id(getattr(body, ID_FIELD[type(body)]), ID_FIELD[type(body)])
        fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        request_id = hashlib.sha256(f"{channel}:{idempotency_key or fingerprint}".encode()).hexdigest()
        take = lambda: self.take(channel, body, id_number, request_id, reported_by)  # noqa: E731
        if idempotency_key is None:
            return JSONResponse((await take()).model_dump(), status_code=202)
        return await self.once(f"{channel}:{request_id}", fingerprint, take)

    async def once(self, key: str, fingerprint: str, take: Callable[[], Awaitable[Receipt]]) -> JSONResponse:
        """Run `take` once per key; replay its response for the same body, refuse a different body."""
        slot = f"{self.prefix}idem:{key}"
        if not await self.redis.set(slot, json.dumps({"body": fingerprint}), nx=True, ex=PENDING_TTL_S):
            stored = json.loads(await self.redis.get(slot) or "{}")
            if stored.get("body") != fingerprint:
                raise HTTPException(422, "Idempotency-Key was already used with a different body")
            if "response" not in stored:
                raise HTTPException(409, "a request with this Idempotency-Key is still in progress; retry shortly")
            return JSONResponse(stored["response"], status_code=stored["status"])
        try:
            receipt = await take()
        except BaseException:
            await self.redis.delete(slot)
            raise
        await self.redis.set(slot, json.dumps({"body": fingerprint, "status": 202, "response": receipt.model_dump()}),
                             ex=IDEMPOTENCY_TTL_S)
        return JSONResponse(receipt.model_dump(), status_code=202)

    async def take(self, channel: str, body: ChannelBody, id_number: str | None, request_id: str,
                   reported_by: str | None = None) -> Receipt:
        subject = subject_of(body)
        resolved = await self.resolve(subject, id_number, request_id)
        request = ChannelRequest(
            request_id=request_id, channel=channel, person_key=resolved.person_key, masked_id=resolved.masked_id,
            contact_key=resolved.contact_key, match=resolved.match, township_code=subject.township,
            summary=summary_of(body), received_at=getattr(body, "received_at", None) or self.clock(),
            filed_by=getattr(body, "filed_by", None), reported_by=reported_by)
        await self.publisher.send(self.settings.topic("channel.requests"),
                                  (resolved.person_key or request_id).encode(), request.model_dump_json().encode())
        application_no = case_id_for_request(request_id) if isinstance(body, Application) else None
        if application_no:
            await self.redis.set(f"{self.prefix}application:{application_no}", resolved.person_key or "")
        number = receipt_no(request_id)
        await self.redis.set(f"{self.prefix}receipt:{normalize(number)}", json.dumps({
            "case_id": case_id_for_request(request_id), "channel": channel, "owner": resolved.person_key or "",
            "received_on": request.received_at.date().isoformat()}))
        return Receipt(request_id=request_id, receipt_no=number, application_no=application_no)

    async def resolve(self, subject: Subject, id_number: str | None, request_id: str) -> Resolved:
        """By ID number, else by name + phone + township, else unidentified (a caseworker will find them)."""
        if id_number:
            resolved = Resolved("id", self.keys.key(id_number), mask(id_number))
            if subject.self_declared:
                await self.index(subject, resolved.person_key, resolved.masked_id)
        elif subject.phone and subject.township and (found := await self.lookup(subject)):
            resolved = Resolved("name_phone_township", *found)
        else:
            resolved = Resolved("unidentified")
        # What the caller told us about the person, sealed under a key of this request alone: never under
        # the person_key, whose record comes from the departments (anyone may type someone's ID number).
        resolved.contact_key = hmac.new(self.secret, f"contact:{request_id}".encode(), hashlib.sha256).hexdigest()
        await self.seal(resolved.contact_key, id_number or "", subject)
        return resolved

    async def seal(self, vault_key: str, id_number: str, subject: Subject) -> None:
        record = IdentityRecord(person_key=vault_key, id_number=id_number, name=subject.name, phone=subject.phone)
        await self.publisher.send(self.settings.topic(VAULT_TOPIC), vault_key.encode(), seal(record, self.vault_key))

    async def index(self, subject: Subject, person_key: str, masked_id: str) -> None:
        if subject.phone and subject.township:
            await index_identity(self.redis, self.settings, subject.name, subject.phone, subject.township,
                                 person_key, masked_id)

    async def lookup(self, subject: Subject) -> tuple[str, str] | None:
        key = match_key(self.secret, subject.name, subject.phone or "", subject.township or "")
        found = await self.redis.get(f"{self.prefix}match:{key}")
        if not found:
            return None
        person_key, masked_id = (found.decode() if isinstance(found, bytes) else found).split("|")
        return person_key, masked_id

    async def status(self, query: StatusQuery) -> ApplicationStatus:
        """By receipt number (any channel; an application also needs the applicant's ID number), or by an
        application's case id as older receipts gave it."""
        id_number = checked_id(query.id_number, "id_number")
        number = normalize(query.application_no)
        found = await self.redis.get(f"{self.prefix}receipt:{number}") if number else None
        if found is not None:
            record = json.loads(found)
            needs_id = record["channel"] == "application"
            if needs_id and (id_number is None or record["owner"] != self.keys.key(id_number)):
                raise HTTPException(404, "no application with this number for this ID number")
            case_id, received_on = record["case_id"], date.fromisoformat(record["received_on"])
        else:
            owner = await self.redis.get(f"{self.prefix}application:{query.application_no}")
            if owner is None or id_number is None or _text(owner) != self.keys.key(id_number):
                raise HTTPException(404, "no application with this number for this ID number")
            case_id, received_on = query.application_no, None
        raw = await self.redis.hget(projection_key(self.settings.topic_prefix, case_id), "json")
        case = Case.model_validate_json(raw) if raw else None
        return ApplicationStatus(application_no=query.application_no, state=str(case.state) if case else "received",
                                 **progress(case, received_on).model_dump())


async def index_identity(redis: Redis, settings: Settings, name: str, phone: str, township: str, person_key: str,
                         masked_id: str) -> None:
    """Make a person findable by name + phone + township. The first claim stays: a later request
    with someone else's ID number cannot take over a name and phone already on file."""
    key = match_key(settings.pseudonym_secret.get_secret_value().encode(), name, phone, township)
    await redis.set(f"{settings.topic_prefix}intake:match:{key}", f"{person_key}|{masked_id}", nx=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# ---------------------------------------------------------------- HTTP


router = APIRouter(prefix="/api/intake", tags=["intake"])


def intake_of(request: Request) -> Intake:
    return request.app.state.intake


Ctx = Annotated[Intake, Depends(intake_of)]
RESPONSES = {202: {"model": Receipt}, 413: {"description": "body over 64 KiB"},
             429: {"description": "too many requests from this address (Retry-After)"},
             422: {"description": "invalid field; the message says which and why"}}


@router.post("/hotline", status_code=202, responses=RESPONSES)
async def hotline(body: HotlineTicket, intake: Ctx, key: IdempotencyKey = None) -> JSONResponse:
    """A 12345 hotline ticket."""
    return await intake.receive("hotline", body, key)


@router.post("/applications", status_code=202, responses=RESPONSES)
async def application(body: Application, intake: Ctx, key: IdempotencyKey = None) -> JSONResponse:
    """Apply for 低保 / 特困 / 临时救助; the receipt's application_no answers status queries."""
    return await intake.receive("application", body, key)


@router.post("/applications/status", response_model=ApplicationStatus)
async def application_status(query: StatusQuery, intake: Ctx) -> ApplicationStatus:
    """The state of an application (POST: the ID number stays out of URLs and access logs)."""
    return await intake.status(query)


@router.post("/tip-offs", status_code=202, responses=RESPONSES)
async def tip_off(body: TipOff, intake: Ctx, key: IdempotencyKey = None) -> JSONResponse:
    """举报 about a recipient."""
    return await intake.receive("tip_off", body, key)


@router.post("/warnings", status_code=202, responses=RESPONSES)
async def warning_report(body: WarningReport, intake: Ctx, key: IdempotencyKey = None) -> JSONResponse:
    """我要预警: one-click report by an official or volunteer."""
    return await intake.receive("warning_report", body, key)



def create_intake_app(settings: Settings, publisher: Publisher, *, redis: Redis | None = None,
                      clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> FastAPI:
    """The intake API (OpenAPI at /docs). The publisher must be started by the caller."""
    app = FastAPI(title="safetynet intake", description=__doc__, docs_url=None)
    serve_docs(app)  # Swagger UI from the package, not a CDN
    app.state.intake = Intake(settings, publisher, redis or Redis.from_url(settings.redis_url), clock)
    app.state.limiter = Limiter(app.state.intake.redis, settings.topic_prefix)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    app.add_middleware(RateLimit, rules=LIMITS, limiter_of=lambda a: a.state.limiter)
    app.include_router(router)
    from producers import field, hotline12345, reporters, wechat  # the channels' own protocols (they use Intake)

    for module in (hotline12345, wechat, reporters, field):
        app.include_router(module.router)
    return app
