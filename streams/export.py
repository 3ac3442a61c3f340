"""Read the alerts topic and fold notices into the alerts that stand (spec section 4 lines)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.alerts import Alert, AlertNotice
from schemas.settings import Settings
from schemas.topology import ALERTS, topic_name
from streams.config import RulesConfig
from streams.firing import apply_cooldown
from streams.topics import partitions


def fold(notices: Iterable[AlertNotice]) -> list[Alert]:
    """Last notice per alert_id wins: raised stands, withdrawn does not. Sorted for stable output."""
    standing: dict[str, Alert | None] = {}
    for notice in notices:
        standing[notice.alert.alert_id] = notice.alert if notice.action == "raised" else None
    alerts = [a for a in standing.values() if a is not None]
    return sorted(alerts, key=lambda a: (a.event_time, a.rule, a.subject, a.alert_id))


def cooled(alerts: Iterable[Alert], rules: RulesConfig) -> list[Alert]:
    """The contract's cooldown read per person and rule across every household and guardian.

    Each household (and each guardian's education records) keeps its own cooldown in the stream,
    since their state is partitioned apart; a person who moves between households, or a student
    with two guardians, could then stand twice within one cooldown. This pass keeps an alert
    unless the same person already has a kept alert of that rule less than the cooldown earlier
    and not lower in severity (spec section 3). It is idempotent on a set that already obeys it."""
    return apply_cooldown(alerts, lambda a: rules.for_county(a.township_code).cooldown_days,
                          order=lambda a: (a.event_time, a.rule, a.subject, a.alert_id),
                          day=lambda a: a.event_time.toordinal())


def select(alerts: Iterable[Alert], since: date | None = None, rule: str | None = None,
           township: str | None = None) -> list[Alert]:
    return [a for a in alerts
            if (since is None or a.event_time >= since) and (rule is None or a.rule == rule)
            and (township is None or (a.township_code or "").startswith(township))]


async def read_notices(settings: Settings) -> list[AlertNotice]:
    """Every notice on the alerts topic up to its current end."""
    return [AlertNotice.model_validate_json(v) for v in await read_topic(settings, topic_name(settings, ALERTS))]


async def read_topic(settings: Settings, topic: str) -> list[bytes]:
    """Every message value of a topic up to its current end, partition by partition."""
    consumer = AIOKafkaConsumer(**settings.kafka_options(), enable_auto_commit=False,
                                auto_offset_reset="earliest")
    try:
        await consumer.start()
        parts = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or await partitions(consumer, topic))]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        values: list[bytes] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(*parts, timeout_ms=500)
            for records in batch.values():
                values.extend(r.value for r in records)
        return values
    finally:
        await consumer.stop()


def to_line(alert: Alert) -> str:
    return alert.model_dump_json()
