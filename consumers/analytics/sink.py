"""Kafka -> ClickHouse: feeds, alerts, case events and notifications, in batches.

    feed.<name> (Envelope JSON)        -> events            (figures only: no names, IDs, free text)
    alerts (AlertNotice JSON)          -> alerts | alert_withdrawals
    case-events (case transition JSON) -> case_events
    notifications (notifier record)    -> notifications
      buffer per table; flush at 10,000 rows or 1 s; commit offsets after the insert

Rows are built by pure functions from the JSON dicts (consumers/analytics/rows.py), picking named fields
only: whatever a producer adds later never reaches ClickHouse by accident. Parsing uses orjson, not pydantic:
the topics were validated by their producers, and the sink must keep up with replays.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from consumers.analytics import metrics
from consumers.analytics.rows import (  # noqa: F401 (re-exported: callers import them from here)
    ATTRIBUTES, COLUMNS, MAIN_FIGURE, Row, Values, alert_row, alert_values, case_row, case_values, event_row,
    event_values, notification_row, notification_values, resolution_of, withdrawal_row, withdrawal_values,
)
from schemas.envelope import FEEDS
from schemas.settings import Settings

log = logging.getLogger(__name__)

# ClickHouse parses the JSON itself (C++), which is what lets the sink keep up with a replay. The batch goes
# column-oriented (JSONColumns): one orjson.dumps per table and batch, no per-row dict or per-row JSON.
INSERT_SETTINGS = {"date_time_input_format": "best_effort", "input_format_skip_unknown_fields": 0}
INSERT_FORMAT = "JSONColumns"


@dataclass(frozen=True)
class Topics:
    feeds: tuple[str, ...]
    alerts: str
    cases: str
    notifications: str

    @classmethod
    def of(cls, settings: Settings) -> "Topics":
        return cls(tuple(settings.topic(f"feed.{f}") for f in FEEDS), settings.topic("alerts"),
                   settings.topic("case-events"), settings.topic("notifications"))

    def all(self) -> list[str]:
        return [*self.feeds, self.alerts, self.cases, self.notifications]

    def to_values(self, topic: str, value: bytes) -> tuple[str, Values]:
        data = orjson.loads(value)
        if topic == self.alerts:
            if data["action"] == "withdrawn":
                return "alert_withdrawals", withdrawal_values(data["alert"])
            return "alerts", alert_values(data["alert"])
        if topic == self.cases:
            return "case_events", case_values(data)
        if topic == self.notifications:
            return "notifications", notification_values(data)
        return "events", event_values(data)

    def to_row(self, topic: str, value: bytes) -> tuple[str, Row]:
        table, values = self.to_values(topic, value)
        return table, dict(zip(COLUMNS[table], values))


@dataclass
class Batches:
    """Rows per table (values in COLUMNS order), waiting for the next insert."""

    max_rows: int = 10_000
    max_seconds: float = 1.0
    rows: dict[str, list[Values]] = field(default_factory=dict)
    started: float | None = None

    def add(self, table: str, row: Values, now: float) -> None:
        self.rows.setdefault(table, []).append(row)
        self.started = self.started or now

    def extend(self, table: str, rows: list[Values], now: float) -> None:
        self.rows.setdefault(table, []).extend(rows)
        self.started = self.started or now

    def size(self) -> int:
        return sum(map(len, self.rows.values()))

    def full(self, now: float) -> bool:
        return self.size() >= self.max_rows or (self.started is not None and now - self.started >= self.max_seconds)

    def take(self) -> dict[str, list[Values]]:
        rows, self.rows, self.started = self.rows, {}, None
        return rows


def insert(client, batches: dict[str, list[Values]]) -> None:
    for table, rows in batches.items():
        started = time.perf_counter()
        names = COLUMNS[table]
        # {"column": [value, ...], ...}; map(itemgetter) allocates no per-row objects (zip(*rows) would)
        body = orjson.dumps({name: list(map(itemgetter(i), rows)) for i, name in enumerate(names)})
        client.raw_insert(table, names, body, settings=INSERT_SETTINGS, fmt=INSERT_FORMAT)
        metrics.BATCH_LATENCY.labels(table).observe(time.perf_counter() - started)
        metrics.ROWS.labels(table).inc(len(rows))


@dataclass
class Sink:
    client: object  # clickhouse-connect client bound to the analytics database
    topics: Topics
    batches: Batches = field(default_factory=Batches)
    clock: Callable[[], float] = time.monotonic
    consumed: dict[TopicPartition, int] = field(default_factory=dict)
    unreadable: int = 0
    dead_letters: Path | None = None  # JSONL of records the sink could not read: where, and why
    _partitions: dict[tuple[str, int], TopicPartition] = field(default_factory=dict, repr=False)

    def take(self, records: list[ConsumerRecord]) -> None:
        now = self.clock()
        to_values, consumed, partitions = self.topics.to_values, self.consumed, self._partitions
        taken: dict[str, list[Values]] = {}
        tp = None
        # No cyclic GC while one getmany() worth of records is parsed. Parsing allocates a few objects per
        # record, all acyclic and freed by reference counting, yet every 700 allocations trigger a collection,
        # and the older generations (the buffered batch) get walked again and again: that doubled the cost of
        # a record. Only the event loop's thread pauses it, and only for the loop below.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            for r in records:
                try:
                    table, values = to_values(r.topic, r.value)
                except (KeyError, TypeError, ValueError) as exc:  # a malformed record must not stop the sink
                    self.unreadable += 1
                    metrics.UNREADABLE.labels(r.topic).inc()
                    log.error("dead letter %s[%d]@%d: %r", r.topic, r.partition, r.offset, exc)
                    self.dead_letter(r, exc)
                else:
                    if (rows := taken.get(table)) is None:
                        rows = taken[table] = []
                    rows.append(values)
                if tp is None or tp.partition != r.partition or tp.topic != r.topic:
                    key = (r.topic, r.partition)
                    tp = partitions.get(key) or partitions.setdefault(key, TopicPartition(*key))
                consumed[tp] = r.offset + 1
        finally:  # whatever was read goes to the batch, even if a dead letter could not be written
            for table, rows in taken.items():
                self.batches.extend(table, rows, now)
            if paused:
                gc.enable()

    def dead_letter(self, record: ConsumerRecord, exc: Exception) -> None:
        """Topics carry no PII, so the record is kept whole next to the reason: nothing is lost."""
        if self.dead_letters is None:
            return
        self.dead_letters.parent.mkdir(parents=True, exist_ok=True)
        entry = {"topic": record.topic, "partition": record.partition, "offset": record.offset,
                 "reason": f"{type(exc).__name__}: {exc}"[:500], "value": (record.value or b"").decode("utf-8", "replace")}
        with self.dead_letters.open("ab") as out:
            out.write(orjson.dumps(entry) + b"\n")

    async def flush(self, consumer: AIOKafkaConsumer | None) -> int:
        """Insert what is buffered, then commit what was consumed. Returns rows inserted."""
        rows = self.batches.take()
        if rows:
            await asyncio.to_thread(insert, self.client, rows)
        if consumer is not None and self.consumed:
            await consumer.commit(dict(self.consumed))
            self.consumed.clear()
        return sum(map(len, rows.values()))

    async def run(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100, max_records=self.batches.max_rows)
            self.take([r for rs in batch.values() for r in rs])
            if self.batches.full(self.clock()) or (not batch and self.consumed):
                await self.flush(consumer)
                await observe_lag(consumer)
        await self.flush(consumer)


async def observe_lag(consumer: AIOKafkaConsumer) -> None:
    """Records behind the high watermark, per topic (summed over the partitions we own)."""
    lag: dict[str, int] = {}
    for tp in consumer.assignment():
        if (high := consumer.highwater(tp)) is not None:
            lag[tp.topic] = lag.get(tp.topic, 0) + max(0, high - await consumer.position(tp))
    for topic, value in lag.items():
        metrics.LAG.labels(topic).set(value)


def consumer_for(settings: Settings, topics: Topics) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics.all(), **settings.kafka_options(),
                            group_id=f"{settings.topic_prefix}safetynet-analytics", enable_auto_commit=False,
                            auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024)


async def serve(settings: Settings, client, stop: asyncio.Event, batches: Batches | None = None) -> Sink:
    """Run the sink until `stop` is set; `client` is bound to the analytics database (migrated)."""
    topics = Topics.of(settings)
    sink = Sink(client, topics, batches or Batches(), dead_letters=settings.data_dir / "dead-letters" / "analytics.jsonl")
    consumer = consumer_for(settings, topics)
    await consumer.start()
    try:
        await sink.run(consumer, stop)
    finally:
        await consumer.stop()
    return sink
