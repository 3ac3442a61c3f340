"""The contract city generator: deterministic, every feed and shape the contract allows, traps the oracle agrees with."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.contract_city import write_city
from tests.oracle import expected_alerts
from tests.oracle_read import COLUMNS, FEEDS, load


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("city")
    write_city(out, seed=3, households=150)
    return out


def test_same_seed_same_bytes_other_seed_other_city(city, tmp_path):
    write_city(tmp_path / "again", seed=3, households=150)
    write_city(tmp_path / "other", seed=4, households=150)
    files = sorted(p.name for p in city.glob("*"))
    assert files == sorted(p.name for p in (tmp_path / "again").glob("*"))
    assert all((city / name).read_bytes() == (tmp_path / "again" / name).read_bytes() for name in files)
    assert (city / "medical_2024.csv").read_bytes() != (tmp_path / "other" / "medical_2024.csv").read_bytes()


def test_all_twelve_feeds_over_three_years_with_a_late_file_and_re_exports(city):
    records = load(city)
    assert all(records[feed] for feed in FEEDS)
    days = [r["day"] for feed in FEEDS for r in records[feed]]
    assert (max(days) - min(days)).days >= 3 * 365
    assert (city / "medical_zz_late.csv").exists() and list(city.glob("*_reexport.csv"))
    assert any(r["reversal"] for r in records["medical"])
    homes: dict[str, set[str]] = {}
    for row in records["roster"]:
        homes.setdefault(row["person"], set()).add(row["household"])
    assert any(len(h) > 1 for h in homes.values()), "some people move between households"


def test_encodings_and_header_languages_are_mixed(city):
    encodings, languages = set(), set()
    for path in city.glob("*.csv"):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            encodings.add("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
        except UnicodeDecodeError:
            encodings.add("gb18030")
        header = data.decode("utf-8-sig", errors="replace").splitlines()[0]
        feed = path.name.split("_")[0]
        languages.add("en" if COLUMNS[feed][next(iter(COLUMNS[feed]))] in header else "zh")
    assert encodings == {"utf-8", "utf-8-sig", "gb18030"} and languages == {"en", "zh"}


def test_the_oracle_agrees_with_every_trap(city):
    pairs = {(a["subject"], a["rule"]) for a in expected_alerts(city)}
    traps = [json.loads(line) for line in (city / "traps.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({t["rule"] for t in traps}) == 13
    assert [t for t in traps if ((t["subject"], t["rule"]) in pairs) != t["fires"]] == []


def test_the_traps_file_holds_masked_subjects_only(city):
    traps = [json.loads(line) for line in (city / "traps.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", t["subject"]) for t in traps)
    assert not re.search(r"\d{17}[\dXx]", (city / "traps.jsonl").read_text(encoding="utf-8"))
