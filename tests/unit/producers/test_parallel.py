"""Blocks parsed in worker processes give exactly what this process gives, in file order."""
from __future__ import annotations

import asyncio
import base64
import csv
import inspect
from datetime import UTC, datetime
from pathlib import Path

import producers.blocks as blocks
from producers.parallel import Job, Parsers
from producers.reader import FileReport, read_feed
from producers.simulate import simulate
from producers.vault import open_sealed
from producers.wire import partition_of
from schemas.envelope import DeadLetter, Envelope

VAULT_KEY = base64.b64decode(base64.b64encode(b"k" * 32))
JOB = Job("test-secret", VAULT_KEY, datetime(2026, 1, 5, tzinfo=UTC), 4, 3)


def parse(path: Path, feed: str, workers: int) -> tuple[list, FileReport]:
    async def run():
        report, results = FileReport(path.name), []
        with Parsers(JOB, workers) as parsers:
            async for result in parsers.parse_file(path, feed, report):
                results.append(result)
        return results, report
    return asyncio.run(run())


def city_file(tmp_path: Path) -> Path:
    simulate(tmp_path, scale=0.01, seed=5)
    path = tmp_path / "medical.csv"
    rows = list(csv.reader(path.read_text(encoding="gb18030").splitlines()))
    with path.open("a", encoding="gb18030", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow(["JSBAD", rows[1][1][:17] + "0" * (rows[1][1][17] != "0") + "1" * (rows[1][1][17] == "0"), *rows[1][2:]])
    return path


def test_workers_give_what_one_process_gives_in_file_order(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 2048)
    path = city_file(tmp_path)
    alone, alone_report = parse(path, "medical", 0)
    pooled, pooled_report = parse(path, "medical", 2)
    assert len(pooled) > 10, "the file should span many blocks"
    events = [e for r in pooled for e in r.events]
    assert events == [e for r in alone for e in r.events]
    assert [d for r in pooled for d in r.dead] == [d for r in alone for d in r.dead]
    assert (pooled_report.rows, pooled_report.reasons) == (alone_report.rows, alone_report.reasons)

    expected = [e for e in read_feed(path, "medical", JOB_KEYS(), JOB.ingested_at)]
    envelopes = [e for e in expected if isinstance(e, Envelope)]
    assert [Envelope.model_validate_json(v) for _, _, v in events] == envelopes  # same rows, same order
    assert all(p == partition_of(k, 4) and k == e.person_key.encode() for (p, k, _), e in zip(events, envelopes))
    (dead,) = [DeadLetter.model_validate_json(d) for r in pooled for d in r.dead]
    assert dead.line == pooled_report.rows + 1 and dead.column == "身份证号"


def test_identities_cross_the_process_boundary_sealed_once_per_person(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 2048)
    path = city_file(tmp_path)
    pooled, _ = parse(path, "medical", 2)
    seen: dict[bytes, bytes] = {}
    for r in pooled:
        for partition, key, sealed in r.identities:
            assert partition == partition_of(key, 3)
            seen.setdefault(key, sealed)
    people = {e.person_key.encode() for e in read_feed(path, "medical", JOB_KEYS(), JOB.ingested_at) if isinstance(e, Envelope)}
    assert set(seen) == people
    for key, sealed in seen.items():
        record = open_vault(sealed, key.decode())
        assert record.person_key == key.decode() and record.name and record.id_number
        assert record.id_number.encode() not in sealed and record.name.encode() not in sealed


def open_vault(sealed: bytes, person_key: str):
    """open_sealed, before and after issue 12 bound the person_key into it."""
    bound = "person_key" in inspect.signature(open_sealed).parameters
    return open_sealed(sealed, [VAULT_KEY], *([person_key] if bound else []))


def JOB_KEYS():
    from producers.identity import Pseudonymizer
    return Pseudonymizer(JOB.pseudonym_secret)
