"""The notifier: alerts topic -> inhibit -> dedup -> group -> deliver -> record -> commit.

    alerts (AlertNotice, key alert_id)
      -> inhibit, dedup                 list[Alert]           (stages: each narrows the batch)
      -> route + GroupWindow.add        buckets by (group, person_key), with source offsets
      -> due(now): Notification         one per bucket whose window elapsed
      -> deliver: inbox:<group> stream, webhook (retries, dead letter)
      -> record: history + `notifications` topic; then `notified:<alert_id>` SET NX
      -> commit offsets up to the oldest alert still pending

If Redis is down, the step waits and retries with the same input (every step is idempotent) and
nothing is committed meanwhile. Offsets are committed only below alerts not yet delivered.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from consumers.notifier import metrics
from consumers.notifier.channels import Channel, DeadLetters, RedisInbox, Retry, WebhookChannel, send_with_retry
from consumers.notifier.dedup import DeliveryLog, dedup
from consumers.notifier.grouping import DEFAULT_WINDOW, GroupWindow, Notification, commit_positions
from consumers.notifier.history import History
from consumers.notifier.inhibit import OpenCases, inhibit
from consumers.notifier.robot import RobotChannel
from consumers.notifier.routing import RoutingConfig, route
from schemas.alerts import Alert, AlertNotice
from schemas.settings import Settings

log = logging.getLogger(__name__)

Stage = Callable[[list[Alert]], Awaitable[list[Alert]]]
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


async def run_stages(stages: Sequence[Stage], alerts: list[Alert]) -> list[Alert]:
    """Each stage narrows the batch; an empty batch ends the run."""
    for stage in stages:
        if not alerts:
            break
        alerts = await stage(alerts)
    return alerts


@dataclass
class Notifier:
    routing: RoutingConfig
    redis: object  # redis.asyncio.Redis
    http: httpx.AsyncClient
    publish: Callable[[str, bytes, bytes], Awaitable[None]]
    settings: Settings
    window: GroupWindow = field(default_factory=GroupWindow)
    retry: Retry = Retry()
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    redis_backoff: float = 0.5
    consumed: dict[tuple[str, int], int] = field(default_factory=dict)  # next offset per partition
    committed: dict[TopicPartition, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cases, self.log = OpenCases(self.redis), DeliveryLog(self.redis)
        self.inbox = RedisInbox(self.redis)
        self.history = History(self.redis, self.publish, self.settings.topic("notifications"))
        self.dead = DeadLetters(self.redis, self.publish, self.settings.topic("notifications.dead"))
        silenced = lambda alert, reason: metrics.SILENCED.labels(reason).inc()  # noqa: E731
        self.stages: list[Stage] = [dedup(self.log), inhibit(self.cases, silenced)]
        self.robots = {group: RobotChannel(self.http, self.redis, group=group, url=url,
                                           per_minute=self.settings.robot_per_minute,
                                           base_url=self.settings.web_base_url)
                       for group, url in self.settings.robot_webhooks.items()}

    # -- intake ---------------------------------------------------------------------------------
    async def take(self, records: list[ConsumerRecord]) -> None:
        """Withdrawals first, then raised alerts through the stages into the grouping window."""
        raised: dict[str, tuple[Alert, tuple[tuple[str, int], int]]] = {}
        for record in records:
            notice = parse(record)
            if notice is None:
                continue
            if notice.action == "withdrawn":
                raised.pop(notice.alert.alert_id, None)
                await self.withdraw(notice.alert)
            else:
                raised.setdefault(notice.alert.alert_id, (notice.alert, ((record.topic, record.partition), record.offset)))
        kept = await run_stages(self.stages, [alert for alert, _ in raised.values()])
        await self.cases.open(kept)
        for alert in kept:
            self.window.add(alert, route(alert, self.routing), self.now(), raised[alert.alert_id][1])
        for record in records:
            self.consumed[(record.topic, record.partition)] = record.offset + 1

    async def withdraw(self, alert: Alert) -> None:
        if self.window.withdraw(alert.alert_id):
            metrics.SILENCED.labels("withdrawn").inc()
        await self.cases.close(alert)

    # -- delivery -------------------------------------------------------------------------------
    async def flush(self, force: bool = False) -> list[dict]:
        """Deliver every notification whose window has elapsed (all of them when `force`)."""
        now = self.now()
        due = self.window.due(now + (self.window.window if force else timedelta(0)))
        records = [r for n in due if (r := await self.deliver(n)) is not None]
        for robot in self.robots.values():
            await robot.release()  # what the robots' budgets held, as one digest each
        return records

    async def deliver(self, notification: Notification) -> dict | None:
        already = await self.log.delivered(notification.alert_ids)
        if already == set(notification.alert_ids):
            self.window.done(notification)
            return None
        receipts = []
        for channel in self.channels(notification.group):
            receipt = await send_with_retry(channel, notification, self.retry)
            if receipt.outcome == "dead_letter":
                await self.dead.put(notification, receipt)
            receipts.append(receipt)
        record = await self.history.record(notification, receipts, self.now())
        await self.log.mark(notification)
        self.window.done(notification)
        return record

    def channels(self, group: str) -> list[Channel]:
        url = self.routing.groups[group].webhook
        robot = [self.robots[group]] if group in self.robots else []
        return [self.inbox] + ([WebhookChannel(self.http, url)] if url else []) + robot

    # -- the loop -------------------------------------------------------------------------------
    async def until_redis(self, step: Callable[[], Awaitable[object]]) -> object:
        """Run an idempotent step; while Redis is unreachable, wait and run it again."""
        delay = self.redis_backoff
        while True:
            try:
                return await step()
            except REDIS_DOWN as exc:
                metrics.REDIS_WAITS.inc()
                log.warning("redis unavailable (%s); retrying in %.1f s, nothing committed", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def positions(self) -> dict[TopicPartition, int]:
        low = commit_positions(self.consumed, self.window.pending_offsets())
        return {TopicPartition(t, p): o for (t, p), o in low.items()}

    async def poll_once(self, consumer: AIOKafkaConsumer) -> None:
        batch = await consumer.getmany(timeout_ms=200, max_records=1000)
        records = [r for rs in batch.values() for r in rs]
        if records:
            await self.until_redis(lambda: self.take(records))
        await self.until_redis(self.flush)
        self.observe()
        positions = self.positions()
        if positions and positions != self.committed:
            await consumer.commit(positions)
            self.committed = positions

    async def run(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll_once(consumer)

    def observe(self) -> None:
        oldest = self.window.oldest()
        metrics.PENDING.set(sum(len(b.alerts) for b in self.window.buckets.values()))
        metrics.OLDEST_PENDING.set((self.now() - oldest).total_seconds() if oldest else 0)


def parse(record: ConsumerRecord) -> AlertNotice | None:
    try:
        return AlertNotice.model_validate_json(record.value)
    except ValidationError as exc:
        log.error("skipping an unreadable notice at %s[%d]@%d: %s", record.topic, record.partition,
                  record.offset, exc.errors()[0]["msg"])
        return None


def consumer_for(settings: Settings, group_id: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        settings.topic("alerts"), **settings.kafka_options(),
        group_id=group_id or f"{settings.topic_prefix}safetynet-notifier", enable_auto_commit=False,
        auto_offset_reset="earliest", session_timeout_ms=10_000, heartbeat_interval_ms=1_000,
        max_poll_interval_ms=900_000,  # a webhook outage may hold a batch for minutes
    )


async def serve(settings: Settings, routing: RoutingConfig, *, redis, http: httpx.AsyncClient,
                stop: asyncio.Event, window: timedelta = DEFAULT_WINDOW, retry: Retry = Retry(),
                group_id: str | None = None) -> None:
    """Wire Kafka to the notifier and run until `stop` is set. The caller owns redis and http."""
    async with AIOKafkaProducer(**settings.kafka_options(), enable_idempotence=True) as producer:
        async def publish(topic: str, key: bytes, value: bytes) -> None:
            await producer.send_and_wait(topic, key=key, value=value)

        notifier = Notifier(routing, redis, http, publish, settings, GroupWindow(window), retry)
        consumer = consumer_for(settings, group_id)
        await consumer.start()
        try:
            await notifier.run(consumer, stop)
        finally:
            await consumer.stop()
