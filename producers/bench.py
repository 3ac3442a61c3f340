"""Medical feed throughput: `python -m producers.bench --rows 200000`.

Three stages over the same GB18030 file, in one run: a plain `csv.reader` baseline, parse and
validate (file → Envelope), and the whole ingest (file → Envelope → Kafka with acks=all, the
identity vault included) against the broker in settings (a fresh topic prefix per run).
"""
from __future__ import annotations

import asyncio
import csv
import io
import os
import random
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


def ingest(path: Path, settings: Settings) -> int:
    from producers.publish import ingest_files

    return asyncio.run(ingest_files(settings, "medical", [path])).published


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


def timed(stage, *args) -> tuple[int, float, float]:
    """Rows, wall seconds, and this process's CPU seconds (a shared machine skews the wall clock)."""
    started, cpu = time.perf_counter(), time.process_time()
    n = stage(*args)
    return n, time.perf_counter() - started, time.process_time() - cpu


@click.command()
@click.option("--rows", default=200_000, show_default=True)
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-kafka", is_flag=True, help="Skip the publish stage.")
@click.option("--profile", is_flag=True, help="cProfile the parse stage and print the top 25.")
def main(rows: int, config: Path | None, no_kafka: bool, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "medical.csv"
        write_medical(path, rows)
        stages = [("csv.reader baseline", baseline, (path,)), ("parse + validate", parse_only, (path,))]
        settings = load_settings(config).model_copy(update={"topic_prefix": f"bench-{uuid.uuid4().hex[:8]}."})
        if not no_kafka:
            stages.append(("parse + validate + publish", ingest, (path, settings)))
        click.echo(f"medical feed, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB GB18030")
        click.echo(f"{'stage':<28} {'rows':>9} {'wall s':>7} {'rows/s':>9} {'cpu s':>7} {'rows/cpu-s':>10}")
        for name, stage, args in stages:
            n, seconds, cpu = timed(stage, *args)
            click.echo(f"{name:<28} {n:>9,} {seconds:>7.2f} {n / seconds:>9,.0f} {cpu:>7.2f} {n / cpu:>10,.0f}")
        if not no_kafka:
            asyncio.run(drop_topics(settings))
        if os.getloadavg()[0] > (os.cpu_count() or 1):
            click.echo(f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall-clock rates are low")
        if profile:
            import cProfile
            import pstats

            cProfile.runctx("parse_only(path)", globals(), {"path": path, "parse_only": parse_only}, "/tmp/bench.prof")
            pstats.Stats("/tmp/bench.prof").sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
