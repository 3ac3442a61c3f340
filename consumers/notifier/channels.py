"""Where notifications go, and the explicit retry around each send (Alertmanager's notify/retry).

Every channel has a `name` and `async send(notification)`; a failed send raises DeliveryError,
which says whether trying again can help. Both channels are idempotent on the notification id.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from consumers.notifier import metrics
from consumers.notifier.grouping import Notification

INBOX_MAXLEN = 100_000
SEEN_SECONDS = 400 * 24 * 3600

# XADD only the first time this notification id is seen: a redelivery never shows twice in the feed.
_XADD_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'notification_id', ARGV[3], 'body', ARGV[4])
end
return false
"""


class Channel(Protocol):
    name: str

    async def send(self, notification: Notification) -> None: ...


class RedisInbox:
    """The caseworker console's live feed: one Redis Stream per group, `inbox:<group>`."""

    name = "inbox"

    def __init__(self, redis) -> None:  # redis.asyncio.Redis
        self.redis = redis
        self._xadd_once = redis.register_script(_XADD_ONCE)

    async def send(self, notification: Notification) -> None:
        # Redis errors propagate as they are: the service waits for Redis, it never dead-letters them.
        await self._xadd_once(
            keys=[f"inbox-seen:{notification.notification_id}", f"inbox:{notification.group}"],
            args=[SEEN_SECONDS, INBOX_MAXLEN, notification.notification_id, notification.model_dump_json()],
        )


class WebhookChannel:
    """POST the notification as JSON; the receiver dedups on the Idempotency-Key header."""

    name = "webhook"

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client, self.url = client, url

    async def send(self, notification: Notification) -> None:
        try:
            response = await self.client.post(
                self.url, content=notification.model_dump_json(),
                headers={"Idempotency-Key": notification.notification_id, "Content-Type": "application/json"})
        except httpx.TransportError as exc:
            raise DeliveryError(f"{self.url}: {exc!r}", retryable=True) from exc
        if response.status_code >= 400:
            retryable = response.status_code >= 500 or response.status_code in (408, 429)
            raise DeliveryError(f"{self.url}: HTTP {response.status_code}", retryable=retryable)


@dataclass(frozen=True)
class Retry:
    attempts: int = 5
    base_delay: float = 0.5  # seconds; doubles each attempt
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)


@dataclass(frozen=True)
class Receipt:
    channel: str
    outcome: str  # "delivered" | "dead_letter"
    attempts: int
    seconds: float
    error: str | None = None


async def send_with_retry(channel: Channel, notification: Notification, retry: Retry,
                          sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Receipt:
    """Try up to `retry.attempts` times; a non-retryable error stops at once. RedisError propagates."""
    started, error = time.perf_counter(), ""
    for attempt in range(1, retry.attempts + 1):
        try:
            await channel.send(notification)
        except DeliveryError as exc:
            error = str(exc)
            metrics.NOTIFICATIONS.labels(channel.name, "retry" if exc.retryable else "failed").inc()
            if not exc.retryable or attempt == retry.attempts:
                break
            await sleep(retry.delay(attempt))
        else:
            seconds = time.perf_counter() - started
            metrics.NOTIFICATIONS.labels(channel.name, "delivered").inc()
            metrics.DELIVERY_LATENCY.labels(channel.name).observe(seconds)
            return Receipt(channel.name, "delivered", attempt, seconds)
    metrics.NOTIFICATIONS.labels(channel.name, "dead_letter").inc()
    return Receipt(channel.name, "dead_letter", attempt, time.perf_counter() - started, error)


class DeadLetters:
    """Notifications a channel gave up on: a Redis list for operators, and a Kafka topic."""

    KEY = "notifications:dead"

    def __init__(self, redis, publish: Callable[[str, bytes, bytes], Awaitable[None]], topic: str) -> None:
        self.redis, self.publish, self.topic = redis, publish, topic

    async def put(self, notification: Notification, receipt: Receipt) -> None:
        record = json.dumps({"channel": receipt.channel, "attempts": receipt.attempts, "error": receipt.error,
                             "notification": notification.model_dump(mode="json")}, ensure_ascii=False)
        await self.redis.rpush(self.KEY, record)
        await self.publish(self.topic, notification.notification_id.encode(), record.encode())


class DeliveryError(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable  # the retry loop asks the error, not the status code
