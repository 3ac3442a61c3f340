"""Alerts about one person, for one group, within a window of processing time become one notification.

    (alert, route, source offset)  --add-->  buckets[(group, person_key)]  --due(now)-->  Notification

The window opens at the first alert of a bucket (Alertmanager's group_wait). The buckets also
remember the Kafka offset of each alert, so the service commits only below what is still pending.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from consumers.notifier.routing import Route
from schemas.alerts import SEVERITY_RANK, Alert

DEFAULT_WINDOW = timedelta(minutes=10)
TopicPartition = tuple[str, int]


class Notification(BaseModel):
    """What a caseworker group receives: one or more alerts about one person."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    notification_id: str
    group: str
    members: tuple[str, ...]
    escalate_to: tuple[str, ...] = ()
    person_key: str
    subject: str  # masked ID, never the raw one
    township_code: str | None
    severity: str
    alerts: tuple[Alert, ...]
    created_at: AwareDatetime

    @property
    def alert_ids(self) -> list[str]:
        return sorted(a.alert_id for a in self.alerts)


def notification_id(alert_ids: Iterable[str]) -> str:
    """Same alerts, same id: the webhook's Idempotency-Key survives restarts and regrouping."""
    return hashlib.sha256("\n".join(sorted(set(alert_ids))).encode()).hexdigest()[:32]


def notify(route: Route, alerts: list[Alert], at: datetime) -> Notification:
    top = max(alerts, key=lambda a: SEVERITY_RANK[a.severity])
    return Notification(
        notification_id=notification_id(a.alert_id for a in alerts), group=route.group,
        members=route.members, escalate_to=route.escalate_to, person_key=top.person_key,
        subject=top.subject, township_code=top.township_code, severity=top.severity,
        alerts=tuple(sorted(alerts, key=lambda a: a.alert_id)), created_at=at,
    )


@dataclass
class Bucket:
    opened_at: datetime
    route: Route
    alerts: dict[str, Alert] = field(default_factory=dict)
    offsets: dict[str, tuple[TopicPartition, int]] = field(default_factory=dict)  # alert_id -> source


@dataclass
class GroupWindow:
    window: timedelta = DEFAULT_WINDOW
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)

    def add(self, alert: Alert, route: Route, now: datetime, source: tuple[TopicPartition, int]) -> None:
        bucket = self.buckets.setdefault((route.group, alert.person_key), Bucket(now, route))
        if route.escalate_to and not bucket.route.escalate_to:
            bucket.route = route  # one critical alert escalates the whole notification
        bucket.alerts[alert.alert_id] = alert
        bucket.offsets.setdefault(alert.alert_id, source)

    def withdraw(self, alert_id: str) -> bool:
        """Drop a pending alert; True when it was pending (so never delivered)."""
        for key, bucket in list(self.buckets.items()):
            if bucket.alerts.pop(alert_id, None) is not None:
                bucket.offsets.pop(alert_id)
                if not bucket.alerts:
                    del self.buckets[key]
                return True
        return False

    def due(self, now: datetime) -> list[Notification]:
        return [notify(b.route, list(b.alerts.values()), now)
                for b in self.buckets.values() if now - b.opened_at >= self.window]

    def done(self, notification: Notification) -> None:
        """Forget a delivered (or dead-lettered) notification's alerts."""
        bucket = self.buckets.get((notification.group, notification.person_key))
        if bucket is None:
            return
        for alert_id in notification.alert_ids:
            bucket.alerts.pop(alert_id, None)
            bucket.offsets.pop(alert_id, None)
        if not bucket.alerts:
            del self.buckets[(notification.group, notification.person_key)]

    def pending_offsets(self) -> dict[TopicPartition, int]:
        """Lowest offset still waiting, per partition: commits must stay at or below it."""
        low: dict[TopicPartition, int] = {}
        for bucket in self.buckets.values():
            for tp, offset in bucket.offsets.values():
                low[tp] = min(offset, low.get(tp, offset))
        return low

    def oldest(self) -> datetime | None:
        return min((b.opened_at for b in self.buckets.values()), default=None)


def commit_positions(consumed: dict[TopicPartition, int], pending: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
    """Offsets to commit: next after the last consumed, held back to the oldest pending alert."""
    return {tp: min(next_offset, pending.get(tp, next_offset)) for tp, next_offset in consumed.items()}
