"""The async edge: department files → feed topics, dead letters, identity vault.

paths → read_feed → Envelope      → feed.<feed>      (key: person_key, value: Envelope JSON)
                  → DeadLetter    → dead-letters     (and a local JSONL report)
                  → identity seen → identity-vault   (compacted, key: person_key, value: sealed)

Records are packed into per-partition batches ourselves (the same murmur2 partitioner as the
Java client and aiokafka's default), which is several times faster than one `send` per record.
"""
from __future__ import annotations

import asyncio
import gc
import struct
from collections import Counter
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from pydantic import BaseModel, Field

from producers import metrics
from producers.identity import Pseudonymizer
from producers.reader import FileReport, read_feed
from producers.vault import TOPIC as VAULT_TOPIC
from producers.vault import IdentityRecord, seal, vault_keys
from schemas.envelope import FEEDS, DeadLetter, Envelope
from schemas.settings import Settings

Progress = Callable[[str, int], None]  # (file name, rows read so far in it)
BATCH_BYTES = 512 * 1024
PROGRESS_EVERY = 5_000


class IngestSummary(BaseModel):
    rows_read: int = 0
    published: int = 0
    dead_lettered_by_reason: dict[str, int] = Field(default_factory=dict)
    extra_columns: dict[str, int] = Field(default_factory=dict)  # unknown header -> files it was in
    files_unreadable: dict[str, str] = Field(default_factory=dict)  # file -> why
    vault_records: int = 0

    @property
    def dead_lettered(self) -> int:
        return sum(self.dead_lettered_by_reason.values())

    @property
    def nothing_readable(self) -> bool:
        return self.rows_read == 0 and self.published == 0


def kafka_options(settings: Settings) -> dict[str, object]:
    """Connection options shared by the producer and the admin client (see Settings.kafka_options)."""
    return settings.kafka_options()


async def ensure_topics(settings: Settings, feeds: Iterable[str] = FEEDS) -> None:
    """Create the feed, dead-letter and vault topics when missing (the vault compacted)."""
    wanted = {settings.topic(f"feed.{f}"): {} for f in feeds}
    wanted[settings.topic("dead-letters")] = {}
    wanted[settings.topic(VAULT_TOPIC)] = {"cleanup.policy": "compact"}
    admin = AIOKafkaAdminClient(**kafka_options(settings))
    await admin.start()
    try:
        missing = [t for t in wanted if t not in set(await admin.list_topics())]
        if not missing:
            return
        brokers = len((await admin.describe_cluster())["brokers"])
        replicas = max(1, min(3, brokers))
        topics = [NewTopic(t, settings.topic_partitions, replicas, topic_configs=wanted[t]) for t in missing]
        try:
            await admin.create_topics(topics)
        except TopicAlreadyExistsError:
            pass  # another ingest created them first
        await _wait_for_leaders(admin, missing)
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str], timeout: float = 15.0) -> None:
    """New topics take a moment to elect leaders; producing before that only earns retries."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        described = await admin.describe_topics(topics)
        if all(t["error_code"] == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"])
               for t in described):
            return
        await asyncio.sleep(0.1)


class BatchSender:
    """Per-partition batches: `append` is a cheap sync call; full batches wait in `ready` for `drain`."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.partitions: dict[str, list[int]] = {}
        self.partition_of: dict[tuple[str, bytes], int] = {}
        self.batches: dict[tuple[str, int], object] = {}
        self.ready: list[tuple[tuple[str, int], object]] = []
        self.futures: list[asyncio.Future] = []

    async def prepare(self, topic: str) -> None:
        """Learn the topic's partitions once, before appending to it."""
        if topic not in self.partitions:
            self.partitions[topic] = sorted(await self.producer.partitions_for(topic))

    def append(self, topic: str, key: bytes, value: bytes) -> bool:
        """Add a record; True when a batch filled up and `drain` should be awaited."""
        partition = self.partition_of.get((topic, key))
        if partition is None:
            partitions = self.partitions[topic]
            partition = partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
            self.partition_of[(topic, key)] = partition
        tp = (topic, partition)
        batch = self.batches.get(tp)
        if batch is None:
            batch = self.batches[tp] = self.producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is not None:
            return False
        self.ready.append((tp, batch))
        batch = self.batches[tp] = self.producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:
            raise ValueError("record larger than a whole batch")
        return True

    async def drain(self) -> None:
        """Hand the full batches to the producer (waits while the partition's previous batch is in flight)."""
        ready, self.ready = self.ready, []
        for (topic, partition), batch in ready:
            batch.close()
            self.futures.append(await self.producer.send_batch(batch, topic, partition=partition))

    async def flush(self) -> None:
        """Send what is left and wait until the broker has acknowledged everything."""
        self.ready.extend(self.batches.items())
        self.batches.clear()
        await self.drain()
        await asyncio.gather(*self.futures)
        self.futures.clear()


def envelope_json(envelope: Envelope) -> bytes:
    """The same bytes as `model_dump_json()`, about five times faster (orjson over the field dicts)."""
    fields = envelope.__dict__
    return orjson.dumps({**fields, "payload": fields["payload"].__dict__}, option=orjson.OPT_UTC_Z)


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (the Java client's and aiokafka's default partitioner), a word at a time."""
    m, length = 0x5BD1E995, len(data)
    h = 0x9747B28C ^ length
    for k in struct.unpack_from(f"<{length // 4}I", data):
        k = (k * m) & 0xFFFFFFFF
        k = ((k ^ (k >> 24)) * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail, extra = length & ~3, length & 3
    if extra:
        if extra >= 3:
            h ^= data[tail + 2] << 16
        if extra >= 2:
            h ^= data[tail + 1] << 8
        h = ((h ^ data[tail]) * m) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * m) & 0xFFFFFFFF
    return h ^ (h >> 15)


def open_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(**kafka_options(settings), acks="all", enable_idempotence=True, linger_ms=20,
                            max_batch_size=BATCH_BYTES, max_request_size=4 * BATCH_BYTES,
                            request_timeout_ms=60_000)


async def publish(sender: BatchSender, settings: Settings, feed: str, events: Iterable[Envelope | DeadLetter],
                  dead_log: Path, tick: Callable[[], None] | None = None) -> Counter:
    """Send each envelope to its feed topic and each dead letter to `dead-letters` and `dead_log`."""
    outcomes: Counter = Counter()
    feed_topic, dead_topic = settings.topic(f"feed.{feed}"), settings.topic("dead-letters")
    dead_lines: list[bytes] = []
    await sender.prepare(feed_topic)
    await sender.prepare(dead_topic)
    published = 0
    for n, event in enumerate(events, start=1):
        if type(event) is Envelope:
            full = sender.append(feed_topic, event.person_key.encode(), envelope_json(event))
            published += 1
        else:
            value = event.model_dump_json().encode()
            full = sender.append(dead_topic, f"{feed}:{event.file}".encode(), value)
            dead_lines.append(value)
            outcomes["dead_lettered"] += 1
        if full:
            await sender.drain()
        if tick is not None and n % PROGRESS_EVERY == 0:
            tick()
    outcomes["published"] = published
    if dead_lines:
        dead_log.parent.mkdir(parents=True, exist_ok=True)
        with dead_log.open("ab") as out:
            out.write(b"\n".join(dead_lines) + b"\n")
    return outcomes


class Identities:
    """Who appeared (with a name) in this run, once per person; sealed into the vault at the end."""

    def __init__(self) -> None:
        self.records: dict[str, IdentityRecord] = {}

    def remember(self, person_key: str, id_number: str, name: str, phone: str | None) -> None:
        if person_key not in self.records:
            self.records[person_key] = IdentityRecord(person_key=person_key, id_number=id_number, name=name,
                                                      phone=phone)

    async def publish(self, sender: BatchSender, topic: str, key: bytes) -> None:
        await sender.prepare(topic)
        for person_key, record in self.records.items():
            if sender.append(topic, person_key.encode(), seal(record, key)):
                await sender.drain()


def add_file(summary: IngestSummary, report: FileReport, outcomes: Counter) -> None:
    """Fold one file's report into the run's summary."""
    summary.rows_read += report.rows
    summary.published += outcomes["published"]
    for reason, n in report.reasons.items():
        summary.dead_lettered_by_reason[reason] = summary.dead_lettered_by_reason.get(reason, 0) + n
    for name in report.extra_columns:
        summary.extra_columns[name] = summary.extra_columns.get(name, 0) + 1
    if report.unreadable:
        summary.files_unreadable[report.file] = report.unreadable


async def ingest_files(settings: Settings, feed: str, paths: Iterable[Path], progress: Progress | None = None,
                       ) -> IngestSummary:
    """Read, validate and publish department files of one feed; returns what happened.

    Infrastructure errors (no broker, a refused write) propagate; bad rows and files do not.
    """
    with rare_gc():
        return await _ingest_files(settings, feed, paths, progress)


@contextmanager
def rare_gc(threshold: int = 100_000) -> Iterator[None]:
    """Rows make many short-lived, acyclic objects: at Python's default threshold (700) the cycle
    collector rescans the batches being built hundreds of times a second (~20 % of ingest time)."""
    before = gc.get_threshold()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


async def _ingest_files(settings: Settings, feed: str, paths: Iterable[Path], progress: Progress | None = None,
                        ) -> IngestSummary:
    keys = Pseudonymizer(settings.pseudonym_secret.get_secret_value())
    vault_key = vault_keys(settings)[0]  # a bad key fails before anything is published
    ingested_at = datetime.now(UTC)
    dead_log = settings.data_dir / "dead-letters" / f"{feed}-{ingested_at.date().isoformat()}.jsonl"
    summary, identities = IngestSummary(), Identities()
    await ensure_topics(settings, [feed])
    async with open_producer(settings) as producer:
        sender = BatchSender(producer)
        for path in map(Path, paths):
            report = FileReport(path.name)
            tick = (lambda r=report: progress(r.file, r.rows)) if progress else None
            events = read_feed(path, feed, keys, ingested_at, report, on_identity=identities.remember)
            add_file(summary, report, await publish(sender, settings, feed, events, dead_log, tick))
            if progress:
                progress(report.file, report.rows)
        await identities.publish(sender, settings.topic(VAULT_TOPIC), vault_key)
        await sender.flush()
    summary.vault_records = len(identities.records)
    summary.dead_lettered_by_reason = dict(sorted(summary.dead_lettered_by_reason.items(), key=lambda kv: -kv[1]))
    metrics.count(feed, summary.published, summary.dead_lettered_by_reason)
    return summary
