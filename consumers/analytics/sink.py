"""Kafka -> ClickHouse: feeds, alerts, case events and notifications, in batches.

    feed.<name> (Envelope JSON)        -> events            (figures only: no names, IDs, free text)
    alerts (AlertNotice JSON)          -> alerts | alert_withdrawals
    case-events (case transition JSON) -> case_events
    notifications (notifier record)    -> notifications
      buffer per table; flush at 10,000 rows or 1 s; commit offsets after the insert

Rows are built by pure functions from the JSON dicts, picking named fields only: whatever a
producer adds later never reaches ClickHouse by accident. Parsing uses orjson, not pydantic:
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
from schemas.envelope import FEEDS
from schemas.settings import Settings

log = logging.getLogger(__name__)

COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("feed", "event_id", "kind", "person_key", "household_id", "township_code", "event_time",
               "ingested_at", "amount_fen", "attributes", "figures"),
    "alerts": ("alert_id", "rule", "kind", "severity", "person_key", "household_id", "township_code", "event_time",
               "triggered_at", "rule_version", "evidence_feeds", "top_figure"),
    "alert_withdrawals": ("alert_id", "rule", "township_code", "withdrawn_at"),
    "case_events": ("case_id", "version", "event_type", "to_state", "source", "alert_id", "rule", "person_key",
                    "township_code", "actor", "at", "verdict", "resolution", "monthly_benefit_fen"),
    "notifications": ("notification_id", "group_name", "person_key", "township_code", "severity", "escalated",
                      "rules", "alert_ids", "created_at", "delivered_at", "outcome"),
}
MAIN_FIGURE = {"roster": "monthly_benefit_fen", "medical": "out_of_pocket_fen", "disaster": "loss_fen",
               "vehicle": "purchase_price_fen", "business": "registered_capital_fen"}
ATTRIBUTES = ("category", "status", "relation", "visit_type", "action", "grade", "disability_grade", "stage",
              "school_year", "hazard", "is_reversal", "basis_disability", "household_size",
              # version 2 feeds: categorical fields only (plates, unit numbers and credit codes never)
              "monitor_type", "risk_type", "destination_code", "vehicle_type", "use", "entity_type")
# ClickHouse parses the JSON itself (C++), which is what lets the sink keep up with a replay. The batch goes
# column-oriented (JSONColumns): one orjson.dumps per table and batch, no per-row dict or per-row JSON.
INSERT_SETTINGS = {"date_time_input_format": "best_effort", "input_format_skip_unknown_fields": 0}
INSERT_FORMAT = "JSONColumns"
Row = dict  # column -> JSON value; times stay ISO strings
Values = tuple  # the same row as values in COLUMNS order: what the sink buffers and inserts

_PAYLOAD_KEYS: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _payload_keys(p: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(money keys in payload order, attribute keys in ATTRIBUTES order) for a payload's key set, cached:
    a feed's payloads share a handful of shapes, so the string checks run once per shape, not per row."""
    shape = tuple(p)
    keys = _PAYLOAD_KEYS.get(shape)
    if keys is None:
        if len(_PAYLOAD_KEYS) >= 4096:  # unexpected shapes must not grow the cache without bound
            _PAYLOAD_KEYS.clear()
        keys = _PAYLOAD_KEYS[shape] = (tuple(k for k in shape if k.endswith("_fen")),
                                       tuple(k for k in ATTRIBUTES if k in p))
    return keys


def event_values(e: dict) -> Values:
    p = e["payload"]
    fen_keys, attr_keys = _payload_keys(p)
    figures = {k: v for k in fen_keys if type(v := p[k]) is int}
    kind = p["kind"]
    if kind == "education":
        figures["net_cost_fen"] = p["tuition_fen"] + p["boarding_fen"] - p["aid_fen"]
    feed = e["feed"]
    return (feed, e["event_id"], kind, e["person_key"], e.get("household_id"),
            e.get("township_code") or p.get("township_code") or "", e["event_time"], e["ingested_at"],
            figures.get(MAIN_FIGURE.get(feed, "net_cost_fen"), 0),
            {k: str(v) for k in attr_keys if (v := p[k]) is not None}, figures)


def alert_values(a: dict) -> Values:
    figures = [x["figure"] for x in a["evidence"] if x.get("figure") is not None]
    return (a["alert_id"], a["rule"], a["kind"], a["severity"], a["person_key"], a.get("household_id"),
            a.get("township_code") or "", a["event_time"], a["triggered_at"], a["rule_version"],
            sorted({x["feed"] for x in a["evidence"]}), max(figures) if figures else None)


def withdrawal_values(a: dict) -> Values:
    return (a["alert_id"], a["rule"], a.get("township_code") or "", a["triggered_at"])


def case_values(data: dict) -> Values:
    """One row per case event (schemas.cases.CaseEventRecord); only PII-free fields are kept."""
    e = data["event"]
    opened = e["type"] == "opened"
    from_alert = opened and e["category"] in ("risk", "audit")
    benefit = next((x.get("figure") or 0 for x in e.get("evidence") or [] if x["feed"] == "roster"), 0) if opened else 0
    return (e["case_id"], int(e["version"]), e["type"], e.get("to_state") or ("open" if opened else ""),
            ("alert" if from_alert else _channel(e)) if opened else "",
            e["source_id"] if from_alert else "", e["kind"] if from_alert else "",
            e.get("person_key") or "", e.get("township_code") or "",
            e["actor"], e["at"], e.get("verdict") or "", resolution_of(e), round(benefit * 100))


def resolution_of(e: dict) -> str:
    """What was done; a case closed because its alerts were withdrawn is `withdrawn` (counted apart)."""
    if e.get("resolution"):
        return e["resolution"]
    return "withdrawn" if e["type"] == "transitioned" and e.get("note") == "预警撤回" else ""


def _channel(opened: dict) -> str:
    """The channel a case came from, also when its caller was never matched (kind identify_person)."""
    actor = opened["actor"]
    return actor.removeprefix("channel.") if actor.startswith("channel.") else opened["kind"]


def notification_values(n: dict) -> Values:
    return (n["notification_id"], n["group"], n["person_key"], n.get("township_code") or "", n["severity"],
            int(bool(n.get("escalated"))), n["rules"], n["alert_ids"], n["created_at"], n["delivered_at"],
            n["outcome"])


def event_row(e: dict) -> Row:
    return dict(zip(COLUMNS["events"], event_values(e)))


def alert_row(a: dict) -> Row:
    return dict(zip(COLUMNS["alerts"], alert_values(a)))


def withdrawal_row(a: dict) -> Row:
    return dict(zip(COLUMNS["alert_withdrawals"], withdrawal_values(a)))


def case_row(data: dict) -> Row:
    """One row per case event (schemas.cases.CaseEventRecord); only PII-free fields are kept."""
    return dict(zip(COLUMNS["case_events"], case_values(data)))


def notification_row(n: dict) -> Row:
    return dict(zip(COLUMNS["notifications"], notification_values(n)))


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
