"""Parse a file's blocks in worker processes, hand back ready-to-send records, in file order.

path → (here) header + record-aligned blocks → (a worker) rows → Envelope | DeadLetter
     → BlockResult: (partition, key, value) per envelope, dead letters as JSON, identities sealed
     → (here, in block order) batches for Kafka

A single Python process parses about as fast as it publishes, so parsing moves to `workers`
processes while this one only batches bytes. Order is kept: results come back in block order,
and each block's records in row order, so a person's rows keep the file's order on their
partition. What crosses the process boundary is what goes to Kafka anyway: pseudonymised
envelopes, dead letters without values, and identity records already sealed for the vault.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from producers import blocks as blocks_module
from producers.blocks import Block, LongRow, read_blocks
from producers.identity import Pseudonymizer
from producers.reader import FileReport, Layout, RowParser, _refuse, open_layout
from producers.vault import IdentityRecord, seal
from producers.wire import envelope_json, partitions_of
from schemas.envelope import Envelope

IN_FLIGHT_PER_WORKER = 2  # blocks queued per worker: enough to keep it busy, little memory


@dataclass(frozen=True)
class Job:
    """All a worker needs, once: the secrets to pseudonymise and seal, and the topics' partition counts."""

    pseudonym_secret: str
    vault_key: bytes
    ingested_at: datetime
    feed_partitions: int
    vault_partitions: int


@dataclass(slots=True)
class BlockResult:
    rows: int = 0
    reasons: Counter = field(default_factory=Counter)
    events: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # (partition index, key, value)
    dead: list[bytes] = field(default_factory=list)  # DeadLetter JSON
    identities: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # (partition index, person_key, sealed)


class Encoder:
    """Block → BlockResult; one per process (the workers' and, for small files, this one's)."""

    def __init__(self, job: Job) -> None:
        self.job, self.keys = job, Pseudonymizer(job.pseudonym_secret)
        self.parsers: dict[tuple, RowParser] = {}  # one per file layout
        self.sealed: set[str] = set()  # person_keys this process already sealed
        self.partitions: dict[bytes, int] = {}  # person_key -> feed partition
        self.vault_partitions: dict[bytes, int] = {}
        self.sealing: list[tuple[bytes, bytes]] = []  # (person_key, sealed record) of the block being encoded

    def encode(self, layout: Layout, block: Block | LongRow) -> BlockResult:
        known = (layout.feed, layout.file, layout.fields, tuple(layout.header_of.items()), layout.field_limit)
        parser = self.parsers.get(known)
        if parser is None:
            parser = self.parsers[known] = RowParser(layout, self.keys, self.job.ingested_at, self._identity)
        report, self.sealing, pairs, dead = FileReport(layout.file), [], [], []
        for item in parser.parse(block, report):
            if type(item) is Envelope:
                pairs.append((item.person_key.encode(), envelope_json(item)))
            else:
                dead.append(item.model_dump_json().encode())
        events = self._partitioned(pairs, self.partitions, self.job.feed_partitions)
        identities = self._partitioned(self.sealing, self.vault_partitions, self.job.vault_partitions)
        return BlockResult(report.rows, report.reasons, events, dead, identities)

    @staticmethod
    def _partitioned(pairs: list[tuple[bytes, bytes]], known: dict[bytes, int], count: int) -> list[tuple[int, bytes, bytes]]:
        """(partition, key, value) for each pair; partitions of keys not seen before computed together."""
        new = list({key for key, _ in pairs if key not in known})
        known.update(zip(new, partitions_of(new, count)))
        return [(known[key], key, value) for key, value in pairs]

    def _identity(self, person_key: str, id_number: str, name: str, phone: str | None) -> None:
        if person_key not in self.sealed:
            self.sealed.add(person_key)
            record = IdentityRecord(person_key=person_key, id_number=id_number, name=name, phone=phone)
            self.sealing.append((person_key.encode(), seal(record, self.job.vault_key)))


_encoder: Encoder | None = None  # the worker process's own


def _start_worker(job: Job) -> None:
    global _encoder
    _encoder = Encoder(job)


def _encode_in_worker(layout: Layout, block: Block | LongRow) -> BlockResult:
    return _encoder.encode(layout, block)


def default_workers() -> int:
    """One parse worker per core, at most four (this process and the broker need a share too)."""
    return max(1, min(4, os.cpu_count() or 1))


def _counted(report: FileReport, result: BlockResult) -> BlockResult:
    report.rows += result.rows
    report.reasons.update(result.reasons)
    return result


def _context() -> multiprocessing.context.BaseContext:
    """fork where there is one: a worker starts in milliseconds with every module already imported
    (and nothing of this process's asyncio or Kafka clients is touched in the child); else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class Parsers:
    """Parse files block by block: in `workers` processes for files of several blocks, else here."""

    def __init__(self, job: Job, workers: int | None = None) -> None:
        self.job, self.local = job, Encoder(job)
        self.workers = default_workers() if workers is None else workers
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Parsers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=_context(), initializer=_start_worker, initargs=(self.job,))
        return self.pool

    async def parse_file(self, path: Path, feed: str, report: FileReport) -> AsyncIterator[BlockResult]:
        """The file's BlockResults in order (their rows and reasons counted into `report`); a file
        refused whole gives one result with its dead letter."""
        try:
            with path.open("rb") as stream:
                parallel = self.workers > 0 and os.fstat(stream.fileno()).st_size > 2 * blocks_module.BLOCK_BYTES
                chunks = read_blocks(stream)
                layout = open_layout(chunks, feed, report)
                if isinstance(layout, str):
                    yield self._refused(report, feed, layout)
                    return
                if not parallel:
                    for block in chunks:
                        yield _counted(report, self.local.encode(layout, block))
                    return
                pending: deque[Future] = deque()
                for block in chunks:
                    pending.append(self._pool().submit(_encode_in_worker, layout, block))
                    if len(pending) >= IN_FLIGHT_PER_WORKER * self.workers:
                        yield _counted(report, await asyncio.wrap_future(pending.popleft()))
                while pending:
                    yield _counted(report, await asyncio.wrap_future(pending.popleft()))
        except OSError as exc:
            yield self._refused(report, feed, f"cannot read file: {exc.strerror or exc}")

    def _refused(self, report: FileReport, feed: str, reason: str) -> BlockResult:
        letter = _refuse(report, feed, reason, self.job.ingested_at)
        return BlockResult(dead=[letter.model_dump_json().encode()])
