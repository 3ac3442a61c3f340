"""A replay killed hard leaves topics behind; `stack status` lists them and `stack clean` removes them,
never a live run's (issue 12, item 8)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys


from schemas.settings import Settings
from tools import runs
from streams.topics import create_topics, list_topics


def run_topics(settings: Settings, run_id: str) -> list[str]:
    prefix = f"{settings.topic_prefix}replay-{run_id}."
    group = f"{prefix}safetynet-streams".replace(".", "-")
    return [f"{prefix}feed.medical", f"{prefix}alerts", f"{prefix}identity-vault",
            f"{group}-people-by-key-changelog"]


async def test_left_over_runs_are_listed_and_cleaned_and_live_ones_kept(settings: Settings, tmp_path) -> None:
    settings = settings.model_copy(update={"data_dir": tmp_path})
    dead, live, killed = "d" * 10, "a" * 10, "b" * 10
    await create_topics(settings, run_topics(settings, dead) + run_topics(settings, live) + run_topics(settings, killed))
    expected = set(run_topics(settings, dead) + run_topics(settings, live) + run_topics(settings, killed))
    deadline = asyncio.get_running_loop().time() + 60
    while not expected <= set(await list_topics(settings)):  # metadata catches up with the creation
        assert asyncio.get_running_loop().time() < deadline, "the topics were not created"
        await asyncio.sleep(0.2)
    runs.mark(settings, live)  # this process: alive
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        (tmp_path / "runs").mkdir(exist_ok=True)
        (tmp_path / "runs" / f"replay-{killed}.json").write_text(  # a replay SIGKILLed, its worker still running
            '{"pid": 999999999, "started": "1", "workers": [{"pid": %d, "started": "%s"}]}'
            % (orphan.pid, runs.start_time(orphan.pid)))
        listed = {run.run_id: run for run in await runs.list_runs(settings)}
        assert set(listed) == {dead, live, killed}
        assert listed[live].live and not listed[dead].live and not listed[killed].live
        assert len(listed[dead].topics) == 4  # the run's own topics and faust's changelog

        removed = await runs.clean(settings)
        assert sorted(r.run_id for r in removed) == sorted([dead, killed])
        gone = set(run_topics(settings, dead) + run_topics(settings, killed))
        deadline = asyncio.get_running_loop().time() + 60
        while gone & set(left := await list_topics(settings)):  # deletion, too, reaches the metadata a moment later
            assert asyncio.get_running_loop().time() < deadline, f"still there: {gone & set(left)}"
            await asyncio.sleep(0.2)
        assert set(run_topics(settings, live)) <= set(left)
        assert orphan.wait(30) != 0  # the orphaned worker was stopped
    finally:
        if orphan.poll() is None:
            orphan.kill()
        runs.unmark(settings, live)
        await runs.clean(settings)


def test_a_reused_pid_does_not_keep_a_run_alive():
    assert runs.marker_alive({"pid": os.getpid(), "started": runs.start_time(os.getpid())})
    assert not runs.marker_alive({"pid": os.getpid(), "started": "0"})  # same pid, another process
    assert not runs.marker_alive({"pid": 999999999, "started": "1"})


def test_runs_are_found_under_longer_prefixes_and_named_by_their_group():
    topics = ["t1.replay-0123456789.alerts", "t1-replay-0123456789-safetynet-streams-people-by-key-changelog",
              "replay-abcdefabcd.feed.medical", "live.alerts", "other.replay-1111111111.alerts"]
    assert runs.runs_of(topics, "t1.") == {"0123456789": topics[:2]}
    assert set(runs.runs_of(topics, "")) == {"0123456789", "abcdefabcd", "1111111111"}
    assert runs.group_of("0123456789", topics[:1]) == runs.group_of("0123456789", topics[1:2]) \
        == "t1-replay-0123456789-safetynet-streams"
