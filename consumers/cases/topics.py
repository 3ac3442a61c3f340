"""The tracker's Kafka topics: created with their retention, and read from the beginning to their end."""
from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from consumers.cases import sealing
from producers.vault import TOPIC as VAULT_TOPIC
from schemas.settings import Settings


async def ensure_case_topics(settings: Settings) -> None:
    """The topics the tracker reads and writes; the event log is kept forever, the vault compacted."""
    wanted = {settings.topic("case-events"): {"retention.ms": "-1"},
              settings.topic("alerts"): {},
              settings.topic("channel.requests"): {},
              settings.topic(VAULT_TOPIC): {"cleanup.policy": "compact"},
              settings.topic(sealing.TOPIC): {"cleanup.policy": "compact"}}
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, settings.topic_partitions, 1, topic_configs=c) for t, c in wanted.items()
                   if t not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # a sibling process created them first
    finally:
        await admin.close()


async def read_to_end(settings: Settings, topic: str) -> list:
    """Every record of `topic` up to its end offsets at the time of the call (no consumer group)."""
    partitions = await _partitions(settings, topic)
    if not partitions:
        return []  # not created yet: nothing to read
    async with AIOKafkaConsumer(**settings.kafka_options(), enable_auto_commit=False) as consumer:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return await _drain(consumer, partitions)


async def _partitions(settings: Settings, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [TopicPartition(topic, p["partition"]) for p in sorted(described["partitions"], key=lambda p: p["partition"])]


async def _drain(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> list:
    end = await consumer.end_offsets(partitions)
    records = []
    while any([await consumer.position(tp) < end[tp] for tp in partitions]):
        for batch in (await consumer.getmany(*partitions, timeout_ms=500)).values():
            records.extend(batch)
    return records
