"""The privacy check (issue 12): a simulated city through replay, ingest and the analytics sink, then
every topic, every ClickHouse table and every file under the data directory is searched for the raw ID
numbers, names, plate numbers and property unit numbers of the input files."""
from __future__ import annotations

import asyncio
import csv
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from consumers.analytics.migrate import connect, migrate
from consumers.analytics.sink import Batches, serve
from producers.identity import normalise_id
from producers.publish import ingest_files
from producers.reader import clean_header, open_text
from schemas.settings import Settings
from tools import runs
from streams.app import app_id
from tools.replay import files_by_feed, replay
from streams.topics import delete_run, end_offsets, feed_topics, list_topics, partitions, wait_consumed

REPO = Path(__file__).resolve().parents[2]
ID_COLUMNS = {"身份证号", "学生身份证号", "监护人身份证号", "户主身份证号"}
NAME_COLUMNS = {"姓名", "学生姓名"}
OTHER_COLUMNS = {"号牌号码", "不动产单元号"}  # contract version 2: they identify a person as surely as a name
ID_LIKE = re.compile(rb"(?=(\d{17}[\dXx]))")
KAFKA_INDEXES = {".index", ".timeindex", ".txnindex"}  # offsets of the .log segments (read), sparse 10 MiB each
CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")


def needles(city: Path) -> tuple[set[str], set[str], set[str]]:
    """(ID numbers, names, other identifiers) in every input file."""
    ids, names, others = set(), set(), set()
    for path in city.glob("*.csv"):
        with open_text(path) as f:  # the files come in every encoding the contract allows
            for row in csv.DictReader(f):
                for header, value in row.items():
                    column, value = clean_header(header or ""), (value or "").strip()
                    if column in ID_COLUMNS and value:
                        ids.add(normalise_id(value))
                    elif column in NAME_COLUMNS and len(value) >= 2:
                        names.add(value)
                    elif column in OTHER_COLUMNS and value:
                        others.add(value)
    return ids, names, others


def found_in(data: bytes, ids: set[str], names: set[str], others: set[str]) -> set[str]:
    hits = {m.decode().upper() for m in ID_LIKE.findall(data)} & ids
    text = data.decode("utf-8", errors="ignore")
    for run in CJK_RUN.findall(text):  # every name is a run of CJK characters, or a part of one
        hits |= {run[i:i + n] for n in (2, 3, 4) for i in range(len(run) - n + 1)} & names
    hits |= {o for o in others if o in text}
    return hits


async def every_record(settings: Settings, topics: list[str]) -> list:
    """Every record of `topics` up to their end offsets now, with one consumer."""
    async with AIOKafkaConsumer(**settings.kafka_options(), enable_auto_commit=False) as consumer:
        parts = [TopicPartition(t, p) for t in topics for p in (await partitions(consumer, t))]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end, records = await consumer.end_offsets(parts), []
        while pending := [tp for tp in parts if await consumer.position(tp) < end[tp]]:
            for batch in (await consumer.getmany(*pending, timeout_ms=1000, max_records=5000)).values():
                records.extend(batch)
        return records


@pytest.fixture
def city(tmp_path) -> Path:
    out = tmp_path / "city"  # outside the data directory: the input itself is not searched
    subprocess.run([sys.executable, "-m", "safetynet_cli", "simulate", "--out", str(out), "--scale", "0.005",
                    "--seed", "5"], cwd=REPO, check=True, capture_output=True)
    return out


@pytest.mark.timeout(900)
async def test_no_raw_identity_in_topics_tables_or_files(city: Path, settings: Settings, chdb_client, analytics_db):
    ids, names, others = needles(city)
    assert len(ids) > 100 and len(names) > 100, "the city must hold people to look for"

    before = set(await list_topics(settings))
    await replay(city, settings, workers=1, timeout=600, keep_topics=True)  # its topics stay to be searched
    for feed, paths in files_by_feed(city).items():
        assert (await ingest_files(settings, feed, paths)).published
    client = connect(settings.analytics_dsn, analytics_db, create=False)
    migrate(client)
    stop = asyncio.Event()
    sink = asyncio.create_task(serve(settings, client, stop, Batches(max_rows=10_000, max_seconds=0.2)))
    ends = await end_offsets(settings, feed_topics(settings))
    await wait_consumed(settings, f"{settings.topic_prefix}safetynet-analytics", ends, timeout=180,
                        alive=lambda: not sink.done())  # the sink commits only what it inserted
    stop.set()
    await asyncio.wait_for(sink, 30)

    leaks: dict[str, set[str]] = {}
    mine = [t for t in set(await list_topics(settings)) - before
            if t.startswith((settings.topic_prefix, settings.topic_prefix.replace(".", "-")))]
    assert any("replay-" in t for t in mine) and any(t.endswith("changelog") for t in mine)
    for record in await every_record(settings, mine):  # feeds, alerts, vault, dead letters, changelogs
        if hits := found_in((record.key or b"") + b" " + (record.value or b""), ids, names, others):
            leaks.setdefault(f"topic {record.topic}", set()).update(hits)
    tables = [r[0] for r in client.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                                         "AND NOT is_temporary").result_rows]
    for table in tables:
        rows = client.query(f"SELECT * FROM `{table}`").result_rows
        if hits := found_in(orjson.dumps(rows, default=str), ids, names, others):
            leaks.setdefault(f"table {table}", set()).update(hits)
    files = [p for p in settings.data_dir.rglob("*") if p.is_file() and p.suffix not in KAFKA_INDEXES]
    for path in sorted(files):
        try:
            data = path.read_bytes()
        except OSError:
            continue  # a file removed while we walk (a segment rolled, a lock released)
        if hits := found_in(data, ids, names, others):
            leaks.setdefault(f"file {path.relative_to(settings.data_dir)}", set()).update(hits)

    for run in runs.runs_of(mine, settings.topic_prefix):
        run_settings = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}replay-{run}."})
        await delete_run(run_settings, app_id(run_settings))
    assert not leaks, "raw identities found: " + "; ".join(f"{where}: {len(hits)} (e.g. {sorted(hits)[:2]})"
                                                           for where, hits in sorted(leaks.items()))
