"""Sink throughput: Envelope JSON -> rows -> batched chDB inserts, against a raw client.insert baseline.

    python -m consumers.analytics.bench [--rows 200000] [--dsn chdb:///tmp/bench]

Both runs insert the same rows into the same kind of table, in one process. Kafka is left out:
this measures what the sink adds on top of the broker (parsing, PII-free row building, batching).
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date, datetime, timezone
from types import SimpleNamespace

from consumers.analytics.migrate import connect, migrate
from consumers.analytics.sink import COLUMNS, Batches, Sink, Topics
from schemas.envelope import Envelope, MedicalClaim

TOPIC = "feed.medical"


def records(n: int) -> list[SimpleNamespace]:
    at = datetime(2026, 3, 2, tzinfo=timezone.utc)
    template = Envelope(event_id="0" * 16, feed="medical", source_key="JS", event_time=date(2026, 3, 1),
                        ingested_at=at, person_key="a" * 64, masked_id="340403********123X",
                        township_code="340403001",
                        payload=MedicalClaim(settlement_id="JS", visit_type="门诊", total_fen=12_000,
                                             fund_fen=8_000, out_of_pocket_fen=4_000)).model_dump_json()
    return [SimpleNamespace(topic=TOPIC, partition=i % 4, offset=i // 4,
                            value=template.replace('"0000000000000000"', f'"{i:016d}"', 1).encode())
            for i in range(n)]


async def through_sink(client, batch: list[SimpleNamespace], batch_rows: int) -> float:
    topics = Topics(feeds=(TOPIC,), alerts="alerts", cases="case-events", notifications="notifications")
    sink = Sink(client, topics, Batches(max_rows=batch_rows, max_seconds=1.0))
    started = time.perf_counter()
    for i in range(0, len(batch), batch_rows):
        sink.take(batch[i:i + batch_rows])  # one getmany() worth
        await sink.flush(None)
    return time.perf_counter() - started


def python_row(row: dict) -> list:
    """The same row as a naive sink would hand clickhouse-connect: Python objects, column order."""
    row = dict(row, event_time=date.fromisoformat(row["event_time"]),
               ingested_at=datetime.fromisoformat(row["ingested_at"]))
    return [row[c] for c in COLUMNS["events"]]


def baseline(client, rows: list[list], batch_rows: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(rows), batch_rows):
        client.insert("events", rows[i:i + batch_rows], column_names=COLUMNS["events"])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--dsn", default=f"chdb://{tempfile.mkdtemp(prefix='sn-bench-')}")
    args = parser.parse_args()

    batch = records(args.rows)
    topics = Topics(feeds=(TOPIC,), alerts="", cases="", notifications="")
    rows = [python_row(topics.to_row(TOPIC, r.value)[1]) for r in batch]
    sink_db, raw_db = connect(args.dsn, "bench_sink"), connect(args.dsn, "bench_raw")
    migrate(sink_db), migrate(raw_db)

    raw_s = baseline(raw_db, rows, args.batch)
    sink_s = asyncio.run(through_sink(sink_db, batch, args.batch))
    counts = [c.query("SELECT count() FROM events").result_rows[0][0] for c in (raw_db, sink_db)]
    print(f"rows                       {args.rows:>12,}   batch {args.batch:,}")
    print(f"baseline client.insert     {args.rows / raw_s:>12,.0f} rows/s   ({raw_s:.2f} s, {counts[0]:,} rows)")
    print(f"sink (parse+build+insert)  {args.rows / sink_s:>12,.0f} rows/s   ({sink_s:.2f} s, {counts[1]:,} rows)")
    print(f"target                     {100_000:>12,} rows/s   {'met' if args.rows / sink_s >= 100_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
