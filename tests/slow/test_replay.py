"""End to end on a simulated city: files -> adapters -> Kafka -> faust workers -> alerts topic.

The expected alerts come from the independent batch oracle in tests/oracle.py, never from streams/.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from producers.publish import ingest_files
from streams.app import app_id
from streams.export import fold, read_notices
from tools.replay import UNBOUNDED_LATENESS, drain, files_by_feed, replay, start_worker, stop_worker
from streams.topics import committed, create_topics, delete_run, end_offsets, feed_topics, pipeline_topics
from tests.oracle import expected_alerts

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("city")
    subprocess.run([sys.executable, "-m", "safetynet_cli", "simulate", "--out", str(out), "--scale", "0.03", "--seed", "11"],
                   cwd=REPO, check=True, capture_output=True)
    return out


def as_rows(alerts) -> list[tuple]:
    return sorted((a["subject"], a["rule"], a["event_time"], a["severity"], a["household_id"]) for a in alerts)


def exported(alerts) -> list[dict]:
    return [a.model_dump(mode="json") for a in alerts]


async def test_replay_gives_exactly_the_oracles_alerts(city, settings):
    result = await replay(city, settings, workers=1, timeout=600)
    expected = expected_alerts(city)
    assert {a["rule"] for a in expected} == {
        "medical_burden", "expenditure_hardship", "new_severe_disability", "education_burden",
        "income_shock", "deceased_recipient", "disability_mismatch", "rural_unassisted", "moved_away",
        "incarcerated", "vehicle_owner", "property_holder", "business_owner"}, "the city must plant every rule"
    assert as_rows(exported(result.alerts)) == as_rows(expected)
    assert result.rows_read == result.published + sum(result.dead_letters.values())


async def test_two_workers_split_partitions_and_agree_with_one(city, settings):
    one = await replay(city, settings, workers=1, timeout=600)
    two = await replay(city, settings, workers=2, timeout=600)
    assert {a.alert_id for a in two.alerts} == {a.alert_id for a in one.alerts}


async def test_sigkill_mid_replay_loses_nothing_and_duplicates_nothing(city, stack):
    # a back-fill of years of files: the worker must judge every record however Kafka interleaves the feeds
    settings = stack.model_copy(update={"topic_prefix": f"crash{os.getpid()}.", "store": "rocksdb://",
                                        "data_dir": stack.data_dir / f"crash-{os.getpid()}",
                                        "allowed_lateness_days": UNBOUNDED_LATENESS})
    await delete_run(settings, app_id(settings))
    await create_topics(settings, pipeline_topics(settings))
    log = settings.data_dir / "worker.log"
    worker = start_worker(settings, None, log)
    try:
        for feed, paths in files_by_feed(city).items():
            await ingest_files(settings, feed, paths)
        targets = await end_offsets(settings, feed_topics(settings))
        total = sum(targets.values())
        # kill once the worker is visibly part-way through its input
        for _ in range(600):
            done = sum(max(o, 0) for tp, o in (await committed(settings, app_id(settings))).items() if tp in targets)
            if done >= total // 4:
                break
            await asyncio.sleep(0.05)
        assert 0 < done < total, f"could not catch the worker mid-replay ({done}/{total})"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        worker = start_worker(settings, None, log)
        await drain(settings, [worker], timeout=600)
        notices = await read_notices(settings)
    finally:
        stop_worker(worker)
        await delete_run(settings, app_id(settings))
    standing = fold(notices)
    assert as_rows(exported(standing)) == as_rows(expected_alerts(city))
    # downstream sees each alert once: every raised id folds to one standing alert
    raised = Counter(n.alert.alert_id for n in notices if n.action == "raised")
    assert set(raised) >= {a.alert_id for a in standing}
    assert len({a.alert_id for a in standing}) == len(standing)
