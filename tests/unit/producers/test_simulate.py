"""The simulated city is spec-conformant: every row reads back, planted cases are there."""
from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import FileReport, read_feed
from producers.simulate import simulate
from schemas.envelope import FEEDS, DeadLetter, Envelope


def test_small_city_reads_back_clean_and_fast(tmp_path):
    started = time.monotonic()
    counts = simulate(tmp_path, scale=0.01, seed=5)
    assert time.monotonic() - started < 2
    assert (tmp_path / "roster.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for feed, first in (("medical", "结算单号"), ("disaster", "户主身份证号")):
        assert (tmp_path / f"{feed}.csv").read_bytes().decode("gb18030").startswith(first)
    keys = Pseudonymizer("s")
    for feed in FEEDS:
        report = FileReport(feed)
        kinds = Counter(type(e) for e in read_feed(tmp_path / f"{feed}.csv", feed, keys, datetime.now(UTC), report))
        assert kinds[DeadLetter] == 0 and kinds[Envelope] == counts[feed] > 0, feed


def test_planted_cases_cover_every_rule_with_near_misses(tmp_path):
    simulate(tmp_path, scale=0.01, seed=5)
    planted = [json.loads(line) for line in (tmp_path / "planted.jsonl").read_text().splitlines()]
    rules = {(p["rule"], p["fires"]) for p in planted}
    for rule in ("medical_burden", "expenditure_hardship", "new_severe_disability", "education_burden",
                 "income_shock", "deceased_recipient", "disability_mismatch", "rural_unassisted", "moved_away",
                 "incarcerated", "vehicle_owner", "property_holder", "business_owner"):
        assert (rule, True) in rules and (rule, False) in rules
    hukou_deaths = [p for p in planted if p["rule"] == "deceased_recipient" and p.get("contract") == 2]
    assert {p["fires"] for p in hukou_deaths} == {True, False}


def test_new_feeds_carry_no_plate_unit_or_credit_code(tmp_path):
    """The identifiers that name a person by themselves travel as tokens (feeds.md §1)."""
    import csv

    from producers.reader import decode

    simulate(tmp_path, scale=0.01, seed=8)
    keys = Pseudonymizer("s")
    for feed, column in (("vehicle", 0), ("property", 0), ("business", 0)):
        raw = {r[column] for r in list(csv.reader(decode((tmp_path / f"{feed}.csv").read_bytes()).splitlines()))[1:]}
        text = "\n".join(e.model_dump_json() for e in read_feed(tmp_path / f"{feed}.csv", feed, keys, datetime.now(UTC)))
        assert len(raw) > 10 and not [r for r in raw if r in text], feed


def test_same_seed_same_city(tmp_path):
    simulate(tmp_path / "a", scale=0.005, seed=9)
    simulate(tmp_path / "b", scale=0.005, seed=9)
    for feed in FEEDS:
        assert (tmp_path / "a" / f"{feed}.csv").read_bytes() == (tmp_path / "b" / f"{feed}.csv").read_bytes()


def test_reversals_and_re_exports_are_present(tmp_path):
    simulate(tmp_path, scale=0.02, seed=2)
    keys = Pseudonymizer("s")
    events = [e for e in read_feed(tmp_path / "medical.csv", "medical", keys, datetime.now(UTC))]
    assert any(e.payload.is_reversal for e in events)
    assert len({e.event_id for e in events}) < len(events)


def test_planted_cases_agree_with_the_batch_oracle(tmp_path):
    """The independent oracle (tests/oracle.py) fires exactly for the planted cases marked to fire.

    Cases of contract version 2 (`"contract": 2`) are checked once the oracle reads the version-2 feeds.
    """
    from producers.identity import mask
    from tests import oracle
    from tests.oracle import expected_alerts

    simulate(tmp_path, scale=0.01, seed=21)
    fired = {(a["rule"], a["subject"]) for a in expected_alerts(tmp_path)}
    planted = [json.loads(line) for line in (tmp_path / "planted.jsonl").read_text().splitlines()]
    if "hukou" not in oracle.FEEDS:
        planted = [p for p in planted if p.get("contract", 1) == 1]
    wrong = [p for p in planted if ((p["rule"], mask(p["id_number"])) in fired) != p["fires"]]
    assert not wrong, [(p["rule"], p["note"]) for p in wrong]
