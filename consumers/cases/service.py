"""The case tracker's loop: alerts and channel requests in, case events out.

alerts           (AlertNotice JSON)    --> open a case, or join the open case of the same rule and subject,
                                           or update its evidence; withdrawn: close it if nobody accepted it
channel.requests (ChannelRequest JSON) --> open a case per request_id
every minute: cases past their SLA     --> CaseEscalated

An offset is committed only after the case event it caused is acknowledged by Kafka: a crash
re-delivers, and the deterministic case ids make the re-delivery a no-op.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError
from redis.asyncio import Redis

from consumers.cases.lifecycle import join_alert, take_notice
from consumers.cases.sla import overdue, sla_for
from consumers.cases.store import REQUEST_TIMEOUT_MS, CaseStore, ensure_case_topics
from schemas.alerts import Alert, AlertNotice, Evidence
from consumers.cases import metrics
from schemas.cases import IDENTIFY_PERSON, Case, CaseOpened, case_id_for_alert, case_id_for_request, subject_key
from schemas.channels import ChannelRequest
from schemas.settings import Settings

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
SWEEP_EVERY_S = 60.0


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- pure: what a message opens


def open_for_alert(alert: Alert, at: datetime) -> CaseOpened:
    return CaseOpened(
        case_id=case_id_for_alert(alert.alert_id), version=1, actor="alerts", at=at, kind=alert.rule,
        category=alert.kind, source_id=alert.alert_id, subject=alert.subject, person_key=alert.person_key,
        township_code=alert.township_code, household_id=alert.household_id, severity=alert.severity,
        summary="", evidence=alert.evidence, event_time=alert.event_time,
        sla_due=sla_for(alert.rule, alert.kind).due(at))


def open_for_request(request: ChannelRequest, at: datetime) -> CaseOpened:
    # a screening's caseworker stood in the household: no one needs identifying first
    kind = IDENTIFY_PERSON if request.match == "unidentified" and request.channel != "screening" else request.channel
    return CaseOpened(
        case_id=case_id_for_request(request.request_id), version=1, actor=f"channel.{request.channel}", at=at,
        kind=kind, category="channel", source_id=request.request_id, subject=request.masked_id,
        person_key=request.person_key, contact_key=request.contact_key, township_code=request.township_code,
        summary=request.summary, evidence=[Evidence(feed=f"channel.{request.channel}", key=request.request_id)],
        sla_due=sla_for(kind, "channel").due(at), filed_by=request.filed_by, reported_by=request.reported_by)


# ---------------------------------------------------------------- handlers


async def take_alert(store: CaseStore, notice: AlertNotice, now: datetime) -> Case | None:
    """Raised: open a case, or join the open case of its rule and subject. Withdrawn: update the case it
    opened or joined (closing it as 预警撤回 when nobody accepted it); a withdrawn alert never opens one."""
    alert, withdrawn = notice.alert, notice.action == "withdrawn"
    subject = subject_key(alert.rule, alert.person_key, alert.household_id)
    async with store.locked(f"{alert.rule}:{subject}"):
        case_id = await store.case_of_alert(alert.alert_id, case_id_for_alert(alert.alert_id))
        if case_id is not None:
            return await store.append(case_id, lambda case: take_notice(case, alert, withdrawn=withdrawn, at=now)
                                      if case else None)
        if withdrawn:
            return None
        open_id = await store.open_case_of(alert.rule, subject) if subject else None
        if open_id is not None:
            return await store.append(open_id, lambda case: join_alert(case, alert, at=now) if case else None)
        return await store.append(case_id_for_alert(alert.alert_id),
                                  lambda case: open_for_alert(alert, now) if case is None else None)


async def take_request(store: CaseStore, request: ChannelRequest, now: datetime) -> Case | None:
    """One case per request; a re-delivered request finds its case and changes nothing."""
    return await store.append(case_id_for_request(request.request_id),
                              lambda case: open_for_request(request, now) if case is None else None)


async def escalate_overdue(store: CaseStore, now: datetime) -> int:
    escalated = 0
    for case_id in await store.due_before(now):
        if await store.append(case_id, lambda case: overdue(case, now) if case else None):
            escalated += 1
    return escalated


# ---------------------------------------------------------------- the loop


async def track_cases(settings: Settings, store: CaseStore, now: Clock = utcnow) -> None:
    """Consume alerts and channel requests until cancelled; commit each batch after its events."""
    alerts_topic, requests_topic = settings.topic("alerts"), settings.topic("channel.requests")
    async with AIOKafkaConsumer(alerts_topic, requests_topic, **settings.kafka_options(),
                                group_id=settings.topic("case-tracker"), enable_auto_commit=False,
                                auto_offset_reset="earliest") as consumer:
        while True:
            for tp, records in (await consumer.getmany(timeout_ms=1000, max_records=200)).items():
                for record in records:
                    await _take(store, tp, record.value, alerts_topic, now())
                await consumer.commit({tp: records[-1].offset + 1})


async def _take(store: CaseStore, tp: TopicPartition, value: bytes, alerts_topic: str, now: datetime) -> None:
    try:
        if tp.topic == alerts_topic:
            await take_alert(store, AlertNotice.model_validate_json(value), now)
        else:
            await take_request(store, ChannelRequest.model_validate_json(value), now)
    except ValidationError as exc:
        # A message we cannot read would block the partition forever; say so loudly and move on.
        log.error("unreadable message on %s[%d]: %s", tp.topic, tp.partition, exc.errors(include_input=False))


async def sweep_forever(store: CaseStore, now: Clock = utcnow, every: float = SWEEP_EVERY_S) -> None:
    while True:
        count = await escalate_overdue(store, now())
        if count:
            log.info("escalated %d overdue cases", count)
        await metrics.refresh(store, now())
        await asyncio.sleep(every)  # a schedule, not synchronisation


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[CaseStore]:
    """Topics, a Redis client and an idempotent producer: everything a CaseStore needs."""
    await ensure_case_topics(settings)
    redis = Redis.from_url(settings.redis_url)
    try:
        async with AIOKafkaProducer(**settings.kafka_options(), acks="all", enable_idempotence=True,
                                    request_timeout_ms=REQUEST_TIMEOUT_MS) as producer:
            yield CaseStore(settings, redis, producer)
    finally:
        await redis.aclose()


async def run(settings: Settings, store: CaseStore, *, rebuild: bool = True) -> None:
    """Rebuild the projection from the log, then track and sweep until cancelled."""
    if rebuild:
        log.info("projection rebuilt: %d cases", await store.rebuild())
    await asyncio.gather(track_cases(settings, store), sweep_forever(store))
