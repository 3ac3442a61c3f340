"""The replies service: case-events in, 12345 callbacks and WeChat template messages out.

    case-events (CaseEventRecord, key case_id)
      -> 12345 ticket of the case?  (Redis, written by the intake on a platform push) -> callback, until answered
      -> WeChat follower of it?     (Redis, written by the H5 submit)                  -> template message
      -> commit the batch

A callback is retried until the platform answers, so nothing is committed past an unanswered
one; a crash re-sends from the last commit and the platform dedups on `callback_id`.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from consumers.cases import sealing
from consumers.cases.keyring import CaseKeys
from consumers.notifier.channels import DeliveryError, Retry
from consumers.replies import metrics
from consumers.replies.hotline import UNTIL_ANSWERED, HotlinePlatform, until_answered
from consumers.replies.status import follower_update, hotline_callback
from consumers.replies.wechat import TemplateSender
from producers.hotline12345 import ticket_key
from producers.wechat import follower_key
from schemas.cases import AnyCaseEvent
from schemas.settings import Settings

log = logging.getLogger(__name__)
TEMPLATE_RETRY = Retry(attempts=5, base_delay=0.5, max_delay=30.0)


@dataclass
class Replies:
    settings: Settings
    redis: object  # redis.asyncio.Redis
    platform: HotlinePlatform | None
    sender: TemplateSender | None
    retry: Retry = UNTIL_ANSWERED
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    keys: CaseKeys | None = None  # case text is sealed per case (issue 12): the reply text needs its key

    async def take(self, event: AnyCaseEvent) -> None:
        prefix = self.settings.topic_prefix
        ticket_no = await self.redis.get(ticket_key(prefix, event.case_id))
        if ticket_no and self.platform and (callback := hotline_callback(event, _text(ticket_no))):
            await until_answered(self.platform, callback, self.retry, self.sleep)
        follower = await self.redis.get(follower_key(prefix, event.case_id))
        if follower and self.sender and (update := follower_update(event)):
            bound = json.loads(follower)
            await self.tell(bound["openid"], update.model_copy(update={"receipt_no": bound["receipt_no"]}))

    async def tell(self, openid: str, update) -> None:
        for attempt in range(1, TEMPLATE_RETRY.attempts + 1):
            try:
                await self.sender.send(openid, update)
            except DeliveryError as exc:
                log.warning("template message %s: %s (attempt %d)", update.update_id, exc, attempt)
                if attempt == TEMPLATE_RETRY.attempts:
                    metrics.REPLIES.labels("wechat", "dead_letter").inc()
                    return
                await self.sleep(TEMPLATE_RETRY.delay(attempt))
            else:
                metrics.REPLIES.labels("wechat", "delivered").inc()
                return

    async def run(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=200)
            for tp, records in batch.items():
                for record in records:
                    event = await self.event(record.value)
                    if event is not None:
                        await self.take(event)
                await consumer.commit({tp: records[-1].offset + 1})


    async def event(self, value: bytes) -> AnyCaseEvent | None:
        """The event with its text opened (a case's key is on `case-keys` before its first sealed event)."""
        try:
            if self.keys is not None and sealing.case_id_of(value) not in self.keys.keys:
                await self.keys.refresh()
            return sealing.load_event(value, self.keys.get if self.keys is not None else lambda _: None)
        except (ValidationError, ValueError, KeyError) as exc:
            reason = exc.errors(include_input=False) if isinstance(exc, ValidationError) else type(exc).__name__
            log.error("unreadable case event: %s", reason)
            return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def serve(settings: Settings, *, redis, http, stop: asyncio.Event, sender: TemplateSender | None = None,
                group_id: str | None = None, retry: Retry = UNTIL_ANSWERED) -> None:
    """Wire Kafka, the 12345 platform (when hotline_callback_url is set) and a sender; run until `stop`."""
    from consumers.cases.store import ensure_case_topics
    from consumers.replies.wechat import WeChatSender

    await ensure_case_topics(settings)
    platform = (HotlinePlatform(http, settings.hotline_callback_url, settings.hotline_secret.get_secret_value().encode())
                if settings.hotline_callback_url else None)
    if sender is None and settings.wechat_appid:
        sender = WeChatSender(http, api_url=settings.wechat_api_url, appid=settings.wechat_appid,
                              secret=settings.wechat_secret.get_secret_value(),
                              template_id=settings.wechat_template_id, link_base=settings.web_base_url)
    replies = Replies(settings, redis, platform, sender, retry, keys=CaseKeys(settings, producer=None))
    consumer = AIOKafkaConsumer(settings.topic("case-events"), **settings.kafka_options(),
                                group_id=group_id or settings.topic("replies"), enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_interval_ms=3_600_000)
    await consumer.start()
    try:
        await replies.run(consumer, stop)
    finally:
        await consumer.stop()
