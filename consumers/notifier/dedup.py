"""Exactly one delivery per alert_id, across restarts (Alertmanager's dedup stage).

`notified:<alert_id>` is SET NX to the notification id, and only after the notification was
delivered or dead-lettered. Before that, an alert read twice (a redelivery, a restart before the
Kafka commit) is simply grouped and delivered again under the same notification id, which the
channels themselves treat idempotently.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from consumers.notifier.grouping import Notification
from schemas.alerts import Alert

KEEP_SECONDS = 400 * 24 * 3600  # longer than any alert cooldown


class DeliveryLog:
    def __init__(self, redis) -> None:  # redis.asyncio.Redis
        self.redis = redis

    @staticmethod
    def key(alert_id: str) -> str:
        return f"notified:{alert_id}"

    async def delivered(self, alert_ids: list[str]) -> set[str]:
        if not alert_ids:
            return set()
        found = await self.redis.mget([self.key(a) for a in alert_ids])
        return {a for a, v in zip(alert_ids, found) if v is not None}

    async def mark(self, notification: Notification) -> list[str]:
        """Record delivery; returns the alert ids this call was first to mark."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for alert_id in notification.alert_ids:
                pipe.set(self.key(alert_id), notification.notification_id, nx=True, ex=KEEP_SECONDS)
            results = await pipe.execute()
        return [a for a, ok in zip(notification.alert_ids, results) if ok]


def dedup(log: DeliveryLog) -> Callable[[list[Alert]], Awaitable[list[Alert]]]:
    """Stage: drop alerts already delivered, and repeats within the batch."""
    async def stage(alerts: list[Alert]) -> list[Alert]:
        unique = list({a.alert_id: a for a in alerts}.values())
        seen = await log.delivered([a.alert_id for a in unique])
        return [a for a in unique if a.alert_id not in seen]
    return stage
