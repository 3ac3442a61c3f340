"""Medical feed throughput: `python -m producers.bench --rows 200000 [--workers N]`.

Stages over the same GB18030 file, in one run: a plain `csv.reader` baseline, parse and validate
in one process (file → Envelope), and the whole ingest (file → Envelope → Kafka with acks=all,
the identity vault included) in one process and with parse workers, against the broker in
settings (a fresh topic prefix per run, deleted afterwards). CPU seconds add this process and its
workers (not the broker). `measure(rows, settings)` gives the figures as a dict for `safetynet bench`.
"""
from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import resource
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

from producers.identity import Pseudonymizer
from producers.reader import decode, read_feed
from producers.city import HEADERS, City
from schemas.settings import Settings, load_settings


def write_medical(path: Path, rows: int, seed: int = 1) -> None:
    """`rows` medical settlements by rows/4 people over a year."""
    city = City(start=date(2025, 1, 1), days=365, rnd=random.Random(seed))
    people = [city.person() for _ in range(max(1, rows // 4))]
    rnd = city.rnd
    for _ in range(rows):
        city.medical(rnd.choice(people), city.start + timedelta(days=rnd.randrange(365)), rnd.randrange(1_000, 90_000))
    with path.open("w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADERS["medical"])
        writer.writerows(city.rows["medical"])


def baseline(path: Path) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(decode(path.read_bytes()), newline=""))) - 1


def parse_only(path: Path) -> int:
    keys = Pseudonymizer("bench")
    return sum(1 for _ in read_feed(path, "medical", keys, datetime.now(UTC)))


def ingest(path: Path, settings: Settings, workers: int | None = None) -> int:
    from producers.publish import ingest_files

    fresh = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}{uuid.uuid4().hex[:6]}."})
    return asyncio.run(ingest_files(fresh, "medical", [path], workers=workers)).published


async def drop_topics(settings: Settings) -> None:
    """The bench's topics hold ~100 MB each run: delete them afterwards."""
    from aiokafka.admin import AIOKafkaAdminClient

    from producers.publish import kafka_options

    admin = AIOKafkaAdminClient(**kafka_options(settings))
    await admin.start()
    try:
        await admin.delete_topics([t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)])
    finally:
        await admin.close()


def cpu_seconds(broker_pid: int | None = None) -> tuple[float, float, float]:
    """CPU seconds so far of this process, of its finished children (the parse workers), and of the broker."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    broker = 0.0
    if broker_pid is not None:
        try:
            fields = Path(f"/proc/{broker_pid}/stat").read_text().rsplit(")", 1)[1].split()
            broker = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime, broker


def timed(stage, args: tuple, broker_pid: int | None) -> tuple[int, float, tuple[float, float, float]]:
    """Rows, wall seconds, and CPU seconds of (this process, workers, broker): a shared machine skews the wall clock."""
    started, before = time.perf_counter(), cpu_seconds(broker_pid)
    n = stage(*args)
    return n, time.perf_counter() - started, tuple(b - a for a, b in zip(before, cpu_seconds(broker_pid)))


def capacity(rows: int, cpu: tuple[float, float, float], workers: int) -> float:
    """Rows/s the same work would reach on idle cores: all CPU spread over the cores, but no faster
    than the one process that cannot be split (this one, or a worker) allows."""
    own, children, broker = cpu
    cores = os.cpu_count() or 1
    return rows / max((own + children + broker) / cores, own, children / max(1, workers), 1e-9)


def broker_pid(settings: Settings | None) -> int | None:
    """The local stack's broker (to count its CPU), when this data_dir started it."""
    if settings is None:
        return None
    from infra import stack

    try:
        return stack.status(settings).pid("kafka")
    except Exception:  # a remote broker, or none of ours: its CPU is not counted
        return None


def stages(path: Path, settings: Settings | None, workers: int | None) -> list[tuple[str, str, object, tuple]]:
    """(key, label, function, args) of each stage to time; the Kafka ones only with settings."""
    from producers.parallel import default_workers

    n = default_workers() if workers is None else workers
    found = [("ingest_csv_baseline_rows_per_s", "csv.reader baseline", baseline, (path,)),
             ("ingest_parse_rows_per_s", "parse + validate (1 process)", parse_only, (path,))]
    if settings is not None:
        found += [("ingest_one_process_rows_per_s", "file → topic (1 process)", ingest, (path, settings, 0)),
                  ("ingest_rows_per_s", f"file → topic ({n} workers)", ingest, (path, settings, n))]
    return found


def measure(rows: int = 200_000, settings: Settings | None = None, workers: int | None = None,
            echo=None) -> dict[str, float]:
    """Each stage's rows/s (keys as in `stages`), rows per CPU-second (this process, workers and
    broker), the capacity on idle cores, and `ingest_to_csv_ratio`: the end-to-end rate over the
    csv.reader baseline of the same run. Without settings, no Kafka."""
    figures: dict[str, float] = {}
    pid = broker_pid(settings)
    if settings is not None:
        settings = settings.model_copy(update={"topic_prefix": f"bench-{uuid.uuid4().hex[:8]}."})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "medical.csv"
        write_medical(path, rows)
        if echo:
            echo(f"medical feed, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB GB18030, load {os.getloadavg()[0]:.1f}"
                 f" on {os.cpu_count()} cores")
            echo(f"{'stage':<30} {'wall s':>7} {'rows/s':>8} {'cpu s: self':>11} {'workers':>7} {'broker':>6}"
                 f" {'rows/cpu-s':>10} {'idle-core capacity':>18}")
        try:
            for key, label, stage, args in stages(path, settings, workers):
                n, seconds, cpu = timed(stage, args, pid if "topic" in label else None)
                workers_used = args[2] if len(args) > 2 else 1
                figures[key] = round(n / seconds)
                figures[key.replace("rows_per_s", "rows_per_cpu_s")] = round(n / max(sum(cpu), 1e-9))
                figures[key.replace("rows_per_s", "capacity_rows_per_s")] = round(capacity(n, cpu, workers_used))
                if echo:
                    echo(f"{label:<30} {seconds:>7.2f} {n / seconds:>8,.0f} {cpu[0]:>11.2f} {cpu[1]:>7.2f} {cpu[2]:>6.2f}"
                         f" {n / max(sum(cpu), 1e-9):>10,.0f} {capacity(n, cpu, workers_used):>18,.0f}")
        finally:
            if settings is not None:
                asyncio.run(drop_topics(settings))
    if "ingest_rows_per_s" in figures:
        figures["ingest_to_csv_ratio"] = round(figures["ingest_rows_per_s"] / figures["ingest_csv_baseline_rows_per_s"], 4)
    figures["load_average"] = round(os.getloadavg()[0], 1)
    return figures


@click.command()
@click.option("--rows", default=200_000, show_default=True)
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--workers", type=int, help="Parse workers of the last stage (default: one per core, at most 4).")
@click.option("--no-kafka", is_flag=True, help="Skip the publish stages.")
@click.option("--profile", is_flag=True, help="cProfile the parse stage and print the top 25.")
def main(rows: int, config: Path | None, workers: int | None, no_kafka: bool, profile: bool) -> None:
    settings = None if no_kafka else load_settings(config)
    figures = measure(rows, settings, workers, echo=click.echo)
    if "ingest_to_csv_ratio" in figures:
        click.echo(f"file → topic over csv.reader: {figures['ingest_to_csv_ratio']:.3f}")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        click.echo(f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall-clock rates are low")
    if profile:
        import cProfile
        import pstats

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "medical.csv"
            write_medical(path, rows)
            cProfile.runctx("parse_only(path)", globals(), {"path": path, "parse_only": parse_only}, "/tmp/bench.prof")
        pstats.Stats("/tmp/bench.prof").sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
