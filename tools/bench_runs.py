"""The Kafka runs of `safetynet bench`: raw consume, the bare faust agent, the pipeline on N partitions.

Each rate is read from what a consumer group has committed on the feed topics (never from the
clock of a worker), counted from the first commit after every worker has joined: start-up and the
group's first rebalance are not counted.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from schemas.settings import Settings
from streams.app import app_id
from streams.topics import (committed, create_topics, delete_group, delete_run, end_offsets, feed_topics,
                            pipeline_topics, wait_group_stable)
from tools.fold import fold_id
from tools.replay import drain, files_by_feed, start_worker, stop_worker, worker_env


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def ingest_city(settings: Settings, directory: Path) -> int:
    from producers.publish import ingest_files

    published = 0
    for feed, paths in files_by_feed(directory).items():
        published += (await ingest_files(settings, feed, paths)).published
    return published


async def raw_consume(settings: Settings, expected: int) -> tuple[float, int]:
    """Plain aiokafka: fetch every feed event once (bytes only). Returns (events/s, distinct people)."""
    consumer = AIOKafkaConsumer(*feed_topics(settings), bootstrap_servers=settings.kafka_bootstrap,
                                group_id=f"{settings.topic_prefix}raw", auto_offset_reset="earliest",
                                enable_auto_commit=False, max_partition_fetch_bytes=8 << 20)
    await consumer.start()
    seen, people, started = 0, set(), time.perf_counter()
    try:
        while seen < expected:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=10_000)).values():
                seen += len(records)
                people.update(r.key for r in records)
        return seen / (time.perf_counter() - started), len(people)
    finally:
        await consumer.stop()


async def committed_rate(settings: Settings, group: str, procs: list[subprocess.Popen], total: int) -> float:
    """Feed events/s `group` commits, from its first commit once all `procs` have joined to the last."""
    alive = lambda: all(p.poll() is None for p in procs)  # noqa: E731
    await wait_group_stable(settings, group, len(procs), timeout=180, alive=alive)
    targets, first = await end_offsets(settings, feed_topics(settings)), None
    while True:
        done = sum(max(o, 0) for tp, o in (await committed(settings, group)).items() if tp in targets)
        now = time.perf_counter()
        if first is None and done > 0:
            first = (now, done)
        if done >= total:
            break
        if not alive():
            raise RuntimeError(f"a worker of {group} died during the benchmark")
        await asyncio.sleep(0.1)
    return (total - first[1]) / max(now - first[0], 1e-9)


async def pipeline_rate(settings: Settings, worker: subprocess.Popen, total: int) -> float:
    """One pipeline worker's feed events/s; returns once the household stage has caught up too."""
    rate = await committed_rate(settings, app_id(settings), [worker], total)
    await drain(settings, [worker], timeout=600)
    return rate


def start_fold(settings: Settings, log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "tools.fold"], env=worker_env(settings, None),
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


async def fold_rate(settings: Settings, total: int, log: Path) -> float:
    """`faust_fold_eps`: the bare agent of tools/fold.py over the feed topics already filled."""
    proc = start_fold(settings, log)
    try:
        return await committed_rate(settings, fold_id(settings), [proc], total)
    finally:
        stop_worker(proc)
        await delete_group(settings, fold_id(settings))


async def partitioned_rate(base: Settings, city_dir: Path, workers: int, logs: Path) -> float:
    """Feed events/s of `workers` pipeline workers on topics of `workers` partitions (fresh topics)."""
    settings = base.model_copy(update={"topic_prefix": f"{base.topic_prefix}w{workers}.", "topic_partitions": workers})
    await create_topics(settings, pipeline_topics(settings))
    try:
        total = await ingest_city(settings, city_dir)
        # a store directory each, as on separate machines (two RocksDB processes never share a partition's files)
        procs = [start_worker(settings.model_copy(update={"data_dir": settings.data_dir / f"worker-{i}"}), None,
                              logs / f"bench-w{workers}-{i}.log") for i in range(workers)]
        try:
            return await committed_rate(settings, app_id(settings), procs, total)
        finally:
            for proc in procs:
                stop_worker(proc)
    finally:
        await delete_run(settings, app_id(settings))
