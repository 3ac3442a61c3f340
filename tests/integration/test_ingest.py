"""Ingest a small simulated city into a real broker; then prove no raw ID, name, plate, property unit
or credit code reached Kafka."""
from __future__ import annotations

import csv
import json
import re
import time
from datetime import UTC, datetime
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from producers.publish import ingest_files, kafka_options
from producers.simulate import simulate
from producers.vault import open_sealed, vault_keys
from schemas.envelope import FEEDS, DeadLetter, Envelope

NON_PII = {"provider", "facility", "employer", "hazard", "category", "action", "stage", "visit_type", "basis",
           "relation", "status", "monitor_type", "risk_type", "vehicle_type", "use", "entity_type"}
NAMING = {"plate_no", "unit_no", "credit_code"}  # identifiers that name a person by themselves


async def ingest_city(settings, city: Path) -> dict:
    return {feed: await ingest_files(settings, feed, [city / f"{feed}.csv"]) for feed in FEEDS}


async def consume_all(settings, deadline: float = 60.0) -> dict[str, list]:
    """Every record of every topic with this test's prefix, read up to the end offsets."""
    admin = AIOKafkaAdminClient(**kafka_options(settings))
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(**kafka_options(settings), enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        if len(parts) < len(topics):
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        records: dict[str, list] = {t: [] for t in topics}
        stop = time.monotonic() + deadline
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            assert time.monotonic() < stop, "topics not consumed before the deadline"
            for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                records[tp.topic].extend(batch)
        return records
    finally:
        await consumer.stop()


def planted_bad_rows(city: Path) -> tuple[str, str]:
    """Append two bad medical rows: one ID with a wrong check digit, one with bad money; return the PII used."""
    rows = list(csv.reader((city / "medical.csv").read_text(encoding="gb18030").splitlines()))
    good = rows[1]
    bad_id = good[1][:17] + ("0" if good[1][17] != "0" else "1")
    with (city / "medical.csv").open("a", encoding="gb18030", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["JSBAD1", bad_id, "欧阳无名", *good[3:]])
        writer.writerow(["JSBAD2", good[1], good[2], good[3], good[4], "12.345", "1", "1", good[8]])
    return bad_id, "欧阳无名"


def input_pii(city: Path) -> tuple[set[str], set[str], set[str]]:
    """ID numbers, names (those that also occur in non-PII text are left out), and plate, unit and
    credit-code numbers in the input files."""
    from producers.reader import decode

    ids, names, numbers, allowed = set(), set(), set(), []
    for feed in FEEDS:
        rows = list(csv.reader(decode((city / f"{feed}.csv").read_bytes()).splitlines()))
        module = __import__(f"producers.{feed}", fromlist=["COLUMNS"])
        fields = [module.COLUMNS[h] for h in rows[0]]
        for row in rows[1:]:
            for f, cell in zip(fields, row):
                if f.endswith("id_number"):
                    ids.add(cell.upper())
                elif f.endswith("name"):
                    names.add(cell)
                elif f in NAMING:
                    numbers.add(cell)
                elif f in NON_PII:
                    allowed.append(cell)
    text = "\n".join(allowed)
    return ids, {n for n in names if n not in text}, numbers


async def test_ingest_small_city_and_no_pii_on_any_topic(settings, tmp_path):
    settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    city = tmp_path / "city"
    counts = simulate(city, scale=0.01, seed=11)
    bad_id, bad_name = planted_bad_rows(city)

    summaries = await ingest_city(settings, city)

    assert summaries["medical"].rows_read == counts["medical"] + 2
    assert summaries["medical"].dead_lettered == 2
    for feed in FEEDS:
        s = summaries[feed]
        assert s.published == counts[feed] and not s.files_unreadable, feed
    records = await consume_all(settings)
    for feed in FEEDS:
        values = records[settings.topic(f"feed.{feed}")]
        assert len(values) == counts[feed]
        envelope = Envelope.model_validate_json(values[0].value)
        assert values[0].key == envelope.person_key.encode()
    dead = [DeadLetter.model_validate_json(r.value) for r in records[settings.topic("dead-letters")]]
    assert sorted(d.column for d in dead) == ["医疗总费用", "身份证号"]
    report = list((tmp_path / "data" / "dead-letters").glob("medical-*.jsonl"))
    assert len(report) == 1 and len(report[0].read_text().splitlines()) == 2

    vault = records[settings.topic("identity-vault")]
    opened = [open_sealed(r.value, vault_keys(settings), r.key.decode()) for r in vault]
    assert all(r.key == o.person_key.encode() for r, o in zip(vault, opened))

    ids, names, numbers = input_pii(city)
    assert {o.id_number for o in opened} <= ids and len(names) > 100 and len(numbers) > 50
    blobs = [(r.key or b"") + b"\x00" + (r.value or b"") for recs in records.values() for r in recs]
    everything = b"\x01".join(blobs).decode("utf-8", errors="replace")
    id_like = set(re.findall(r"\d{17}[\dXx]", everything)) | set(re.findall(r"(?=(\d{17}[\dXx]))", everything))
    cjk_runs = set(re.findall(r"[\u3400-\u9fff]+", everything))
    leaked_ids = (ids | {bad_id}) & {i.upper() for i in id_like}
    leaked_names = [n for n in names | {bad_name} if any(n in run for run in cjk_runs)]
    assert not leaked_ids, f"{len(leaked_ids)} ID numbers on Kafka"
    assert not leaked_names, f"{len(leaked_names)} names on Kafka, e.g. {leaked_names[:3]}"
    leaked_numbers = [n for n in numbers if n in everything or n[1:] in everything]  # 皖D12345 and D12345
    assert not leaked_numbers, f"{len(leaked_numbers)} plate, unit or credit-code numbers on Kafka"


async def test_re_ingest_is_idempotent_by_event_id(settings, tmp_path):
    settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    simulate(tmp_path, scale=0.005, seed=3)
    first = await ingest_files(settings, "medical", [tmp_path / "medical.csv"])
    second = await ingest_files(settings, "medical", [tmp_path / "medical.csv"])
    assert first.published == second.published
    records = await consume_all(settings)
    ids = [json.loads(r.value)["event_id"] for r in records[settings.topic("feed.medical")]]
    assert len(ids) == 2 * first.published
    assert all(n % 2 == 0 for n in Counter(ids).values())  # each row, twice: same event_id both times


async def test_unreadable_file_is_reported_not_raised(settings, tmp_path):
    settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    (tmp_path / "medical.csv").write_text("结算单号,姓名\nJS1,张三\n", encoding="utf-8")
    summary = await ingest_files(settings, "medical", [tmp_path / "medical.csv"])
    assert summary.nothing_readable and "个人自付" in summary.files_unreadable["medical.csv"]


async def test_ingest_counts_rows_by_feed_and_outcome(settings, tmp_path):
    from prometheus_client import REGISTRY

    from producers.publish import ingest_files

    path = tmp_path / "employment.csv"
    path.write_text("身份证号,姓名,业务类型,登记日期,原单位\n"
                    "11010519491231002X,甲,失业登记,2025-01-01,厂\n340403198001011230,乙,失业登记,2025-01-02,厂\n",
                    encoding="utf-8")
    before = {o: REGISTRY.get_sample_value("safetynet_ingest_rows_total", {"feed": "employment", "outcome": o}) or 0
              for o in ("published", "dead_letter")}
    await ingest_files(settings, "employment", [path])
    after = {o: REGISTRY.get_sample_value("safetynet_ingest_rows_total", {"feed": "employment", "outcome": o})
             for o in ("published", "dead_letter")}
    assert after == {"published": before["published"] + 1, "dead_letter": before["dead_letter"] + 1}


async def test_ingest_in_worker_processes_keeps_each_persons_file_order(settings, tmp_path, monkeypatch):
    import producers.blocks as blocks
    from producers.identity import Pseudonymizer
    from producers.reader import read_feed

    monkeypatch.setattr(blocks, "BLOCK_BYTES", 4096)  # a small city's file spans many blocks
    settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    simulate(tmp_path, scale=0.01, seed=7)
    path = tmp_path / "medical.csv"
    assert path.stat().st_size > 10 * 4096
    summary = await ingest_files(settings, "medical", [path], workers=2)
    records = await consume_all(settings)
    on_topic = records[settings.topic("feed.medical")]
    keys = Pseudonymizer(settings.pseudonym_secret.get_secret_value())
    expected = [e for e in read_feed(path, "medical", keys, datetime.now(UTC)) if isinstance(e, Envelope)]
    assert summary.published == len(on_topic) == len(expected)
    by_person: dict[bytes, list[str]] = {}
    for r in sorted(on_topic, key=lambda r: (r.partition, r.offset)):
        by_person.setdefault(r.key, []).append(json.loads(r.value)["event_id"])
    wanted: dict[bytes, list[str]] = {}
    for e in expected:
        wanted.setdefault(e.person_key.encode(), []).append(e.event_id)
    assert by_person == wanted  # every person's rows, in the file's order
    assert len(records[settings.topic("identity-vault")]) == summary.vault_records == len(wanted)
