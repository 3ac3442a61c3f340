"""Pure parts of the publishing edge: the partitioner matches Kafka's, the summary reads right."""
from __future__ import annotations

import os

from aiokafka.partitioner import murmur2 as reference
from hypothesis import given
from hypothesis import strategies as st

from producers.cli import summary_table
from producers.publish import IngestSummary, murmur2


@given(st.binary(max_size=100))
def test_murmur2_matches_the_default_partitioner(data):
    assert murmur2(data) & 0x7FFFFFFF == reference(data) & 0x7FFFFFFF


def test_person_keys_spread_like_aiokafka():
    for _ in range(200):
        key = os.urandom(32).hex().encode()
        assert (murmur2(key) & 0x7FFFFFFF) % 4 == (reference(key) & 0x7FFFFFFF) % 4


def test_summary_table_lists_reasons_and_never_values():
    summary = IngestSummary(rows_read=10, published=8, dead_lettered_by_reason={"身份证号: invalid ID number: check digit mismatch": 2},
                            extra_columns={"备注": 1})
    table = summary_table(summary, 1.0)
    assert "check digit mismatch" in table and "备注" in table and summary.dead_lettered == 2


def test_envelope_json_is_byte_identical_to_pydantic(tmp_path):
    from datetime import UTC, datetime

    from producers.identity import Pseudonymizer
    from producers.publish import envelope_json
    from producers.reader import read_feed
    from producers.simulate import simulate
    from schemas.envelope import FEEDS, Envelope

    simulate(tmp_path, scale=0.003, seed=4)
    keys = Pseudonymizer("s")
    for at in (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)):
        for feed in FEEDS:
            for e in read_feed(tmp_path / f"{feed}.csv", feed, keys, at):
                assert isinstance(e, Envelope)
                assert envelope_json(e) == e.model_dump_json().encode(), feed


@given(st.lists(st.binary(min_size=64, max_size=64), max_size=50), st.lists(st.binary(max_size=30), max_size=10),
       st.integers(1, 12))
def test_partitions_of_many_keys_match_the_default_partitioner(person_keys, others, partitions):
    from producers.wire import partitions_of

    for keys in (person_keys, others, person_keys + others):
        assert partitions_of(keys, partitions) == [(reference(k) & 0x7FFFFFFF) % partitions for k in keys]
