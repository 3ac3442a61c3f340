"""The record stage: delivery receipts and notification history, in Redis and on `notifications`.

    notification:<id>            JSON record (below)
    history:group:<group>        sorted set of ids by delivery time
    history:person:<person_key>  sorted set of ids by delivery time

The same JSON goes to the `notifications` topic for analytics (keyed by notification id, so a
repeat after a crash collapses in ClickHouse's ReplacingMergeTree).
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime

from consumers.notifier.channels import Receipt
from consumers.notifier.grouping import Notification

Publish = Callable[[str, bytes, bytes], Awaitable[None]]


def history_record(notification: Notification, receipts: list[Receipt], at: datetime) -> dict:
    """PII-free: masked subject and person_key only."""
    outcome = "delivered" if all(r.outcome == "delivered" for r in receipts) else "dead_letter"
    return {
        "notification_id": notification.notification_id, "group": notification.group,
        "person_key": notification.person_key, "subject": notification.subject,
        "township_code": notification.township_code, "severity": notification.severity,
        "escalated": bool(notification.escalate_to), "alert_ids": notification.alert_ids,
        "rules": sorted({a.rule for a in notification.alerts}), "created_at": notification.created_at.isoformat(),
        "delivered_at": at.isoformat(), "outcome": outcome, "receipts": [asdict(r) for r in receipts],
    }


class History:
    def __init__(self, redis, publish: Publish, topic: str) -> None:
        self.redis, self.publish, self.topic = redis, publish, topic

    async def record(self, notification: Notification, receipts: list[Receipt], at: datetime) -> dict:
        record = history_record(notification, receipts, at)
        body = json.dumps(record, ensure_ascii=False)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"notification:{notification.notification_id}", body)
            pipe.zadd(f"history:group:{notification.group}", {notification.notification_id: at.timestamp()})
            pipe.zadd(f"history:person:{notification.person_key}", {notification.notification_id: at.timestamp()})
            await pipe.execute()
        await self.publish(self.topic, notification.notification_id.encode(), body.encode())
        return record

    async def query(self, *, group: str | None = None, person_key: str | None = None, limit: int = 50) -> list[dict]:
        """Newest first, by group or by person."""
        if (group is None) == (person_key is None):
            raise ValueError("give exactly one of group or person_key")
        index = f"history:group:{group}" if group is not None else f"history:person:{person_key}"
        ids = await self.redis.zrevrange(index, 0, limit - 1)
        if not ids:
            return []
        bodies = await self.redis.mget([f"notification:{i.decode()}" for i in ids])
        return [json.loads(b) for b in bodies if b is not None]
