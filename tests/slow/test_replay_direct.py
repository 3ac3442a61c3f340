"""`replay --direct` (the step functions in one process) equals the Kafka replay (adapters, Kafka, faust
workers) on a city generated from the contract, every planted trap included."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.replay import replay, replay_direct
from tests.contract_city import write_city
from tests.oracle import expected_alerts


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("direct-city")
    write_city(out, seed=23, households=150)
    return out


def content(alerts) -> set[tuple]:
    """Everything an alert says but the moment it was sent."""
    return {json.dumps(a.model_dump(mode="json", exclude={"triggered_at"}), sort_keys=True, ensure_ascii=False)
            for a in alerts}


async def test_direct_replay_equals_the_kafka_replay_traps_included(city, settings):
    kafka = await replay(city, settings, workers=1, timeout=900)
    direct = replay_direct(city, settings)
    assert content(direct.alerts) == content(kafka.alerts)
    assert (direct.rows_read, direct.published, direct.dead_letters) == (kafka.rows_read, kafka.published,
                                                                        kafka.dead_letters)
    assert kafka.late == direct.late == 0
    pairs = {(a.subject, a.rule) for a in direct.alerts}
    assert pairs == {(a["subject"], a["rule"]) for a in expected_alerts(city)}
    traps = [json.loads(line) for line in (city / "traps.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(traps) > 20 and [t for t in traps if ((t["subject"], t["rule"]) in pairs) != t["fires"]] == []
