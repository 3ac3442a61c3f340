"""Issue 10, property-based: whatever order a multi-year history arrives in, the step functions leave
standing exactly the alerts the oracle (tests/oracle.py, from the contract alone) computes.

The histories come from the contract city generator (tests/contract_city.py): three and a half
years of twelve feeds with household moves, reversals, re-exported files and a late file.
"""
from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producers.identity import Pseudonymizer
from producers.reader import read_feed
from schemas.envelope import Envelope
from streams.config import RulesConfig
from streams.direct import DirectPipeline
from tools.replay import files_by_feed
from tests.contract_city import write_city
from tests.oracle import expected_alerts

class OrderPreservingKeys(Pseudonymizer):
    """Tokens that sort like the identifiers they replace (this test is about order, not privacy).

    Records are ordered by (day, feed, natural key). The oracle compares raw natural keys; the pipeline
    only ever sees PII-free ones, where an embedded ID is a keyed token that sorts at random. Two
    tipping records of one household on one day (two children's school costs on 1 September, say)
    can then tip in another order than the oracle's: a production divergence of tie order, which
    these tokens remove so that arrival order is what is tested.
    """

    def token(self, id_number: str) -> str:
        return "P" + id_number.upper()

    def reference(self, identifier: str) -> str:
        return "R" + "".join(identifier.split()).upper()


KEYS, NOW = OrderPreservingKeys("ordering-test-secret"), datetime(2026, 12, 3, tzinfo=UTC)
COVERS_THE_SPAN = 3650  # allowed lateness longer than the generated history: nothing may be dead-lettered


def envelopes(directory: Path) -> list[Envelope]:
    """Every event of the files, in the order `replay` publishes them (feed by feed, late files last)."""
    return [e for feed, paths in files_by_feed(directory).items() for path in paths
            for e in read_feed(path, feed, KEYS, NOW) if type(e) is Envelope]


def rows(alerts) -> list[tuple]:
    return sorted((a["subject"], a["rule"], a["event_time"], a["severity"], a["household_id"]) for a in alerts)


def arrival(events: list[Envelope], how: str, seed: int) -> list[Envelope]:
    events = list(events)
    if how == "shuffled":
        random.Random(seed).shuffle(events)
    elif how == "newest first":
        events.sort(key=lambda e: (e.event_time, random.Random(seed ^ hash(e.event_id)).random()), reverse=True)
    elif how == "one feed at a time, reversed":
        events.reverse()
    return events


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(city=st.integers(min_value=1, max_value=10_000), seed=st.integers(min_value=0, max_value=2**32),
       how=st.sampled_from(["as replay sends it", "shuffled", "newest first", "one feed at a time, reversed"]))
def test_any_arrival_order_leaves_the_oracles_alerts_standing(city, seed, how):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_city(directory, seed=city, households=24)
        expected = rows(expected_alerts(directory))
        pipeline = DirectPipeline.of(RulesConfig(), COVERS_THE_SPAN).put_all(arrival(envelopes(directory), how, seed))
    assert not pipeline.late
    assert rows(a.model_dump(mode="json") for a in pipeline.alerts()) == expected


def test_records_beyond_the_allowed_lateness_are_dead_lettered_not_judged():
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_city(directory, seed=5, households=24)
        events = envelopes(directory)
    newest_first = sorted(events, key=lambda e: e.event_time, reverse=True)
    pipeline = DirectPipeline.of(RulesConfig(), 30).put_all(newest_first)
    assert pipeline.late and all("allowed lateness of 30 days" in reason for _, reason in pipeline.late)
    assert {stage for stage, _ in pipeline.late} <= {"people", "households"}
