"""`safetynet bench` / `make bench`: the stream processors measured against raw Kafka, in one run.

(a) raw aiokafka consume rate of the feed events, (b) the stateful pipeline's rate on the same
events, (c) their ratio, (d) event-to-alert latency at a fixed 1,000 events/s, (e) replay time
for a city of `--replay-events` rows through `safetynet replay`, (f) worker RSS per tracked person.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.alerts import AlertNotice
from schemas.envelope import DisabilityCertificate, Envelope
from schemas.settings import Settings
from streams.app import app_id
from tools.replay import drain, files_by_feed, replay, start_worker, stop_worker
from tools.bench_direct import TARGETS as DIRECT_TARGETS
from tools.bench_direct import direct_figures, direct_rows
from streams.topics import (committed, create_topics, delete_run, end_offsets, feed_topics, pipeline_topics,
                            wait_group_stable)

ROWS_PER_SCALE = 490_000  # rows the simulator writes at --scale 1.0 (about 130,000 monitored people)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def city(out: Path, rows: int, seed: int = 3) -> Path:
    from producers.simulate import simulate

    simulate(out, scale=max(rows / ROWS_PER_SCALE, 0.002), seed=seed)
    return out


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


async def pipeline_rate(settings: Settings, worker, total: int) -> float:
    """Events/s from the first committed offset to the last: worker start-up is not counted."""
    group, targets = app_id(settings), await end_offsets(settings, feed_topics(settings))
    first = None
    while True:
        done = sum(max(o, 0) for tp, o in (await committed(settings, group)).items() if tp in targets)
        now = time.perf_counter()
        if first is None and done > 0:
            first = (now, done)
        if done >= total:
            break
        if worker.poll() is not None:
            raise RuntimeError("the worker died during the benchmark")
        await asyncio.sleep(0.1)
    await drain(settings, [worker], timeout=600)
    return (total - first[1]) / max(now - first[0], 1e-9)


def certificate_event(i: int) -> Envelope:
    key = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
    payload = DisabilityCertificate(certificate_ref=f"C{i}", category="肢体", grade=1, action="新办")
    return Envelope(event_id=key[:32], feed="disability", source_key=f"C{i}|新办", event_time=date(2025, 6, 1),
                    ingested_at=datetime.now(timezone.utc), person_key=key, masked_id="340403********%04d" % (i % 10000),
                    payload=payload)


async def latency(settings: Settings, rate: int = 1000, seconds: int = 10) -> list[float]:
    """Each event raises one alert; latency = alert received - event sent, at a fixed send rate."""
    sent_at: dict[str, float] = {}
    got: list[float] = []
    consumer = AIOKafkaConsumer(settings.topic("alerts"), bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="latest", group_id=f"{settings.topic_prefix}latency")
    await consumer.start()
    await consumer.seek_to_end()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=0, acks=1)
    await producer.start()

    async def send_all() -> None:
        start = time.perf_counter()
        for i in range(rate * seconds):
            event = certificate_event(i)
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[event.person_key] = time.perf_counter()
            await producer.send(settings.topic("feed.disability"), event.model_dump_json().encode(), key=event.person_key.encode())

    sender = asyncio.create_task(send_all())
    deadline = time.perf_counter() + seconds + 60
    try:
        while len(got) < rate * seconds and time.perf_counter() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                now = time.perf_counter()
                for r in records:
                    notice = AlertNotice.model_validate_json(r.value)
                    if notice.action == "raised" and notice.alert.person_key in sent_at:
                        got.append((now - sent_at[notice.alert.person_key]) * 1000)
        await sender
    finally:
        await producer.stop()
        await consumer.stop()
    return got


async def measure(settings: Settings, events: int, replay_events: int, work: Path) -> dict:
    base = settings.model_copy(update={"topic_prefix": f"bench-{uuid.uuid4().hex[:8]}.", "store": "rocksdb://",
                                       "data_dir": settings.data_dir / "bench"})
    figures: dict = {}
    logs = base.data_dir / "logs"
    try:
        # (f) baseline: an idle worker's RSS
        idle = base.model_copy(update={"topic_prefix": base.topic_prefix + "idle."})
        await create_topics(idle, pipeline_topics(idle))
        worker = start_worker(idle, None, logs / "bench-idle.log")
        await wait_group_stable(idle, app_id(idle), 1, timeout=120, alive=lambda: worker.poll() is None)
        idle_rss = rss_bytes(worker.pid)
        stop_worker(worker)

        # (a) raw consume
        await create_topics(base, pipeline_topics(base))
        total = await ingest_city(base, city(work / "city", events))
        figures["events"] = total
        figures["raw_consume_eps"], people = await raw_consume(base, total)

        # (b) the pipeline on the same events, (f) its memory afterwards
        worker = start_worker(base, None, logs / "bench-pipeline.log")
        try:
            figures["pipeline_eps"] = await pipeline_rate(base, worker, total)
            loaded_rss = rss_bytes(worker.pid)
        finally:
            stop_worker(worker)
        figures["pipeline_to_raw"] = figures["pipeline_eps"] / figures["raw_consume_eps"]
        figures["tracked_people"] = people
        figures["rss_bytes_per_person"] = max(loaded_rss - idle_rss, 0) / max(people, 1)
        figures["rss_idle_bytes"], figures["rss_loaded_bytes"] = idle_rss, loaded_rss

        # (d) latency at 1,000 events/s on a fresh pipeline
        live = base.model_copy(update={"topic_prefix": base.topic_prefix + "live."})
        await create_topics(live, pipeline_topics(live))
        worker = start_worker(live, None, logs / "bench-latency.log")
        try:
            await wait_group_stable(live, app_id(live), 1, timeout=120, alive=lambda: worker.poll() is None)
            lat = sorted(await latency(live))
        finally:
            stop_worker(worker)
        figures["latency_samples"] = len(lat)
        figures["p50_ms"] = statistics.median(lat) if lat else None
        figures["p99_ms"] = lat[int(len(lat) * 0.99) - 1] if lat else None

        # (e) a whole replay, files to alerts
        replay_dir = city(work / "replay", replay_events, seed=5)
        result = await replay(replay_dir, settings, workers=1, timeout=7200)
        figures["replay_rows"] = result.rows_read
        figures["replay_s"] = result.seconds["total"]
        figures["replay_1m_s"] = result.seconds["total"] * 1_000_000 / max(result.rows_read, 1)
        figures["replay_alerts"] = len(result.alerts)
        figures.update(direct_figures(replay_dir, settings))
    finally:
        await delete_run(base, app_id(base))
        for sub in ("idle", "live"):
            run = base.model_copy(update={"topic_prefix": f"{base.topic_prefix}{sub}."})
            await delete_run(run, app_id(run))
    return figures


TARGETS = {"pipeline_eps": ">= 5,000 /s", "p99_ms": "<= 100 ms", **DIRECT_TARGETS}


def table(figures: dict) -> str:
    rows = [("events", figures["events"], ""),
            ("raw_consume_eps", round(figures["raw_consume_eps"]), "baseline"),
            ("pipeline_eps", round(figures["pipeline_eps"]), TARGETS["pipeline_eps"]),
            ("pipeline_to_raw", f"{figures['pipeline_to_raw']:.3f}", ""),
            ("p50_ms", f"{figures['p50_ms']:.1f}", f"{figures['latency_samples']} alerts at 1,000 events/s"),
            ("p99_ms", f"{figures['p99_ms']:.1f}", TARGETS["p99_ms"]),
            ("replay_1m_s", f"{figures['replay_1m_s']:.1f}",
             f"measured {figures['replay_s']:.1f} s for {figures['replay_rows']} rows"),
            ("rss_bytes_per_person", round(figures["rss_bytes_per_person"]),
             f"{figures['tracked_people']} people; x100,000 = {figures['rss_bytes_per_person'] * 1e5 / 2**20:.0f} MiB"),
            *direct_rows(figures)]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {str(value):>12}  {note}" for name, value, note in rows)


def main(settings: Settings, events: int, replay_events: int, json_out: Path | None) -> dict:
    from infra.stack import ensure_running

    ensure_running(settings)
    with tempfile.TemporaryDirectory() as work:
        figures = asyncio.run(measure(settings, events, replay_events, Path(work)))
    print(table(figures))
    if json_out:
        json_out.write_text(json.dumps(figures, indent=2))
    return figures
