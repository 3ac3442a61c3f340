"""`safetynet bench` / `make bench`: the stream processors measured against raw Kafka and bare faust, in one run.

Every key of issue 13's table (TARGETS), on the same broker and the same simulated city's events:
raw aiokafka consume, a bare faust agent with one table write per event (`faust_fold_eps`, tools/fold.py),
the pipeline with one worker and with two workers on two partitions over one, event-to-alert latency
at 1,000 events/s, Kafka replays of `--replay-events` rows (2 workers, and 1), worker RSS per tracked
person, ingest (producers.bench), and the step functions alone (tools/bench_direct.py).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
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
from streams.topics import create_topics, delete_run, pipeline_topics, wait_group_stable
from tools.bench_direct import TARGETS as DIRECT_TARGETS
from tools.bench_direct import direct_figures, direct_rows
from tools.bench_runs import (fold_rate, ingest_city, partitioned_rate, pipeline_rate, raw_consume, rss_bytes)
from tools.replay import replay, start_worker, stop_worker

ROWS_PER_SCALE = 490_000  # rows the simulator writes at --scale 1.0 (about 130,000 monitored people)


def machine() -> dict:
    """What the figures were measured on: cores, RAM, and the load when the run began."""
    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:"))
    return {"cores": os.cpu_count(), "ram_gib": round(int(mem.split()[1]) / 2**20, 1),
            "load_average": round(os.getloadavg()[0], 1), "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def city(out: Path, rows: int, seed: int = 3) -> Path:
    from producers.simulate import simulate

    simulate(out, scale=max(rows / ROWS_PER_SCALE, 0.002), seed=seed)
    return out


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

        # (a) raw consume, then the bare faust agent, on the same events
        await create_topics(base, pipeline_topics(base))
        city_dir = city(work / "city", events)
        total = await ingest_city(base, city_dir)
        figures["events"] = total
        figures["raw_consume_eps"], people = await raw_consume(base, total)
        figures["faust_fold_eps"] = await fold_rate(base, total, logs / "bench-fold.log")

        # (b) the pipeline on the same events, (f) its memory afterwards
        worker = start_worker(base, None, logs / "bench-pipeline.log")
        try:
            figures["pipeline_eps"] = await pipeline_rate(base, worker, total)
            loaded_rss = rss_bytes(worker.pid)
        finally:
            stop_worker(worker)
        figures["pipeline_to_raw"] = figures["pipeline_eps"] / figures["raw_consume_eps"]
        figures["pipeline_to_fold"] = figures["pipeline_eps"] / figures["faust_fold_eps"]
        figures["tracked_people"] = people
        figures["rss_bytes_per_person"] = max(loaded_rss - idle_rss, 0) / max(people, 1)
        figures["rss_idle_bytes"], figures["rss_loaded_bytes"] = idle_rss, loaded_rss

        # (g) two workers on two partitions over one worker on one, the same events
        figures["pipeline_eps_1_partition"] = await partitioned_rate(base, city_dir, 1, logs)
        figures["pipeline_eps_2_workers"] = await partitioned_rate(base, city_dir, 2, logs)
        figures["two_worker_speedup"] = figures["pipeline_eps_2_workers"] / figures["pipeline_eps_1_partition"]

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

        # (e) whole replays, files to alerts: two workers (the target), and one
        replay_dir = city(work / "replay", replay_events, seed=5)
        for workers, suffix in ((2, ""), (1, "_1_worker")):
            result = await replay(replay_dir, settings, workers=workers, timeout=7200)
            figures["replay_rows"] = result.rows_read
            figures[f"replay_s{suffix}"] = result.seconds["total"]
            figures[f"replay_1m_s{suffix}"] = result.seconds["total"] * 1_000_000 / max(result.rows_read, 1)
            figures[f"replay_alerts{suffix}"] = len(result.alerts)
        figures.update(direct_figures(replay_dir, settings))
    finally:
        for sub in ("", "idle.", "live."):
            run = base.model_copy(update={"topic_prefix": f"{base.topic_prefix}{sub}"})
            await delete_run(run, app_id(run))
        remove_stores(base)
    return figures


def remove_stores(base: Settings) -> None:
    """The run's RocksDB stores (pipeline, bare agent, each worker of the partitioned runs): ~1 kB per event."""
    run = app_id(base).removesuffix("safetynet-streams")
    for store in (*base.data_dir.glob(f"faust/{run}*"), *base.data_dir.glob(f"worker-*/faust/{run}*")):
        shutil.rmtree(store, ignore_errors=True)


TARGETS = {"faust_fold_eps": "measured in every run", "pipeline_eps": ">= 0.5 x faust_fold_eps",
           "pipeline_to_fold": ">= 0.5", "pipeline_to_raw": "reported", "p99_ms": "<= 100 ms (stretch 50)",
           "replay_1m_s": "<= 600 s (2 workers)", "rss_bytes_per_person": "<= 1,000",
           "two_worker_speedup": ">= 1.6", "ingest_rows_per_s": ">= 50,000", **DIRECT_TARGETS}


def rows(figures: dict) -> list[tuple[str, object, str]]:
    """(figure, value, target and what it was measured on) for every key of TARGETS."""
    f = figures
    return [
        ("events", f["events"], "feed events of a simulated city, the same for every rate below"),
        ("raw_consume_eps", round(f["raw_consume_eps"]), "baseline: plain aiokafka, bytes only"),
        ("faust_fold_eps", round(f["faust_fold_eps"]), f"{TARGETS['faust_fold_eps']}: bare agent, 1 RocksDB write per event"),
        ("pipeline_eps", round(f["pipeline_eps"]), f"{TARGETS['pipeline_eps']} = {0.5 * f['faust_fold_eps']:,.0f}; 1 worker"),
        ("pipeline_to_fold", f"{f['pipeline_to_fold']:.3f}", TARGETS["pipeline_to_fold"]),
        ("pipeline_to_raw", f"{f['pipeline_to_raw']:.4f}", TARGETS["pipeline_to_raw"]),
        ("two_worker_speedup", f"{f['two_worker_speedup']:.2f}",
         f"{TARGETS['two_worker_speedup']}; {f['pipeline_eps_2_workers']:,.0f}/s on 2 partitions over "
         f"{f['pipeline_eps_1_partition']:,.0f}/s on 1"),
        ("p50_ms", f"{f['p50_ms']:.1f}", f"{f['latency_samples']} alerts at 1,000 events/s"),
        ("p99_ms", f"{f['p99_ms']:.1f}", TARGETS["p99_ms"]),
        ("replay_1m_s", f"{f['replay_1m_s']:.1f}",
         f"{TARGETS['replay_1m_s']}; measured {f['replay_s']:.1f} s for {f['replay_rows']} rows"),
        ("replay_1m_s_1_worker", f"{f['replay_1m_s_1_worker']:.1f}",
         f"reported; measured {f['replay_s_1_worker']:.1f} s for {f['replay_rows']} rows"),
        ("rss_bytes_per_person", round(f["rss_bytes_per_person"]),
         f"{TARGETS['rss_bytes_per_person']}; {f['tracked_people']} people"),
        ("ingest_rows_per_s", f.get("ingest_rows_per_s", "-"),
         f"{TARGETS['ingest_rows_per_s']}; file to topic, {f.get('ingest_rows', 0):,} medical rows "
         f"(one process: {f.get('ingest_one_process_rows_per_s', '-')}/s)"),
        *direct_rows(figures)]


def table(figures: dict) -> str:
    found = rows(figures)
    width = max(len(r[0]) for r in found)
    m = figures["machine"]
    lines = [f"{'figure':<{width}}  {'value':>12}  target / note",
             *(f"{name:<{width}}  {str(value):>12}  {note}" for name, value, note in found),
             f"machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, load {m['load_average']} at start "
             f"({figures['load_average_end']} at end), {m['at']}"]
    return "\n".join(lines)


def main(settings: Settings, events: int, replay_events: int, json_out: Path | None) -> dict:
    from infra.stack import ensure_running
    from producers.bench import measure as measure_ingest

    ensure_running(settings)
    figures: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory() as work:
        figures.update(asyncio.run(measure(settings, events, replay_events, Path(work))))
    ingest_rows = min(events, 200_000)
    figures.update({"ingest_rows": ingest_rows, **measure_ingest(ingest_rows, settings)})
    figures["load_average_end"] = round(os.getloadavg()[0], 1)
    print(table(figures))
    if json_out:
        json_out.write_text(json.dumps(figures, indent=2))
    return figures
