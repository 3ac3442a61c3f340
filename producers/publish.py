"""The async edge: department files → feed topics, dead letters, identity vault.

paths → Parsers (blocks parsed in worker processes, see parallel.py), in file order:
          Envelope      → feed.<feed>      (key: person_key, value: Envelope JSON)
          DeadLetter    → dead-letters     (and a local JSONL report)
          identity seen → identity-vault   (compacted, key: person_key, value: sealed)

Records are packed into per-partition batches ourselves (the same murmur2 partitioner as the
Java client and aiokafka's default), which is several times faster than one `send` per record;
the workers already name each record's partition, so this process only appends bytes.
"""
from __future__ import annotations

import asyncio
import gc
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from pydantic import BaseModel, Field

from producers import metrics
from producers.parallel import BlockResult, Job, Parsers
from producers.reader import FileReport
from producers.vault import TOPIC as VAULT_TOPIC
from producers.vault import vault_keys
from producers.wire import envelope_json, murmur2, partition_of  # noqa: F401 (envelope_json, murmur2: re-exported)
from schemas.envelope import FEEDS
from schemas.settings import Settings

Progress = Callable[[str, int], None]  # (file name, rows read so far in it)
BATCH_BYTES = 512 * 1024


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
        """Add a record to the partition its key hashes to; True when a batch filled up and `drain` should be awaited."""
        index = self.partition_of.get((topic, key))
        if index is None:
            index = self.partition_of[(topic, key)] = partition_of(key, len(self.partitions[topic]))
        return self.append_to(topic, index, key, value)

    def append_to(self, topic: str, index: int, key: bytes, value: bytes) -> bool:
        """Add a record to the topic's partition number `index` (of `partitions[topic]`, as `partition_of` gives)."""
        tp = (topic, self.partitions[topic][index])
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


def open_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(**kafka_options(settings), acks="all", enable_idempotence=True, linger_ms=20,
                            max_batch_size=BATCH_BYTES, max_request_size=4 * BATCH_BYTES,
                            request_timeout_ms=60_000)


async def publish_block(sender: BatchSender, topics: tuple[str, str], dead_key: bytes, result: BlockResult) -> None:
    """Append one parsed block's records (already in file order and partitioned) and send the full batches."""
    feed_topic, dead_topic = topics
    append_to = sender.append_to
    for partition, key, value in result.events:
        append_to(feed_topic, partition, key, value)
    for value in result.dead:
        sender.append(dead_topic, dead_key, value)
    if sender.ready:
        await sender.drain()


def add_file(summary: IngestSummary, report: FileReport, published: int) -> None:
    """Fold one file's report into the run's summary."""
    summary.rows_read += report.rows
    summary.published += published
    for reason, n in report.reasons.items():
        summary.dead_lettered_by_reason[reason] = summary.dead_lettered_by_reason.get(reason, 0) + n
    for name in report.extra_columns:
        summary.extra_columns[name] = summary.extra_columns.get(name, 0) + 1
    if report.unreadable:
        summary.files_unreadable[report.file] = report.unreadable


async def ingest_files(settings: Settings, feed: str, paths: Iterable[Path], progress: Progress | None = None,
                       workers: int | None = None) -> IngestSummary:
    """Read, validate and publish department files of one feed; returns what happened.

    `workers` parse processes (default: one per core, at most 4; 0 parses in this process).
    Infrastructure errors (no broker, a refused write) propagate; bad rows and files do not.
    """
    with rare_gc():
        return await _ingest_files(settings, feed, paths, progress, workers)


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
                        workers: int | None = None) -> IngestSummary:
    keys = vault_keys(settings)  # a bad key fails before anything is published
    ingested_at = datetime.now(UTC)
    dead_log = settings.data_dir / "dead-letters" / f"{feed}-{ingested_at.date().isoformat()}.jsonl"
    topics = (settings.topic(f"feed.{feed}"), settings.topic("dead-letters"))
    vault_topic = settings.topic(VAULT_TOPIC)
    summary, identities = IngestSummary(), {}
    await ensure_topics(settings, [feed])
    async with open_producer(settings) as producer:
        sender = BatchSender(producer)
        for topic in (*topics, vault_topic):
            await sender.prepare(topic)
        job = Job(settings.pseudonym_secret.get_secret_value(), keys[0], ingested_at,
                  len(sender.partitions[topics[0]]), len(sender.partitions[vault_topic]))
        with Parsers(job, workers) as parsers:
            for path in map(Path, paths):
                report, dead_lines, published = FileReport(path.name), [], 0
                async for result in parsers.parse_file(path, feed, report):
                    await publish_block(sender, topics, f"{feed}:{path.name}".encode(), result)
                    published += len(result.events)
                    dead_lines += result.dead
                    for partition, key, sealed in result.identities:
                        identities.setdefault(key, (partition, sealed))  # the first in file order wins
                    if progress:
                        progress(report.file, report.rows)
                write_dead_log(dead_log, dead_lines)
                add_file(summary, report, published)
        for key, (partition, sealed) in identities.items():
            sender.append_to(vault_topic, partition, key, sealed)
        await sender.flush()
    summary.vault_records = len(identities)
    summary.dead_lettered_by_reason = dict(sorted(summary.dead_lettered_by_reason.items(), key=lambda kv: -kv[1]))
    metrics.count(feed, summary.published, summary.dead_lettered_by_reason)
    return summary


def write_dead_log(path: Path, lines: list[bytes]) -> None:
    if lines:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as out:
            out.write(b"\n".join(lines) + b"\n")
