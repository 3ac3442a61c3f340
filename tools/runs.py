"""Replay runs and what they leave on Kafka: list them, and clean up after runs that no longer exist.

A replay works on topics of its own, `<prefix>replay-<10 hex>.<topic>` (feeds, alerts, the identity
vault, dead letters) plus faust's internal ones named after its group, `<prefix>replay-<hex>-safetynet-
streams-...` (changelogs, repartitions). It deletes them when it ends, but a replay killed hard
(SIGKILL, Ctrl-C twice, a machine restart) cannot. So each run leaves a marker while it lives,

    <data_dir>/runs/replay-<hex>.json   {"pid": ..., "started": <the process's start time>, "workers": [...]}

and a run whose topics are on Kafka is *live* when its marker names a running process (same pid,
same start time: a reused pid does not count) or its consumer group still has members (a run of
another machine sharing the broker). Everything else is left over: `safetynet stack status` lists
it, `safetynet stack clean` deletes its topics and group and stops its orphaned workers.
"""
from __future__ import annotations

import json
import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path

from schemas.settings import Settings

RUN = re.compile(r"replay-([0-9a-f]{10})[.-]")


def runs_dir(settings: Settings) -> Path:
    return settings.data_dir / "runs"


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def mark(settings: Settings, run_id: str, workers: list[int] = ()) -> Path:
    """Record that this process runs `run_id` (call again with the worker pids once they start)."""
    path = runs_dir(settings) / f"replay-{run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "started": start_time(os.getpid()),
                                "workers": [{"pid": w, "started": start_time(w)} for w in workers]}))
    return path


def unmark(settings: Settings, run_id: str) -> None:
    (runs_dir(settings) / f"replay-{run_id}.json").unlink(missing_ok=True)


def marker_alive(marker: dict) -> bool:
    return marker.get("started") is not None and start_time(int(marker["pid"])) == marker["started"]


def read_marker(settings: Settings, run_id: str) -> dict | None:
    try:
        return json.loads((runs_dir(settings) / f"replay-{run_id}.json").read_text())
    except (OSError, ValueError):
        return None


@dataclass
class Run:
    run_id: str
    topics: list[str] = field(default_factory=list)
    group: str = ""  # the run's faust consumer group
    live: bool = False
    why: str = ""


def runs_of(topics: list[str], prefix: str) -> dict[str, list[str]]:
    """run id -> its topics, among topic names under `prefix` (also runs started under a longer prefix,
    such as a test's; dots in a group name become dashes)."""
    found: dict[str, list[str]] = {}
    for topic in topics:
        if topic.startswith((prefix, prefix.replace(".", "-"))) and (match := RUN.search(topic)):
            found.setdefault(match[1], []).append(topic)
    return found


def group_of(run_id: str, topics: list[str]) -> str:
    """The run's faust app id: `<base>replay-<id>.safetynet-streams` with dots as dashes (streams.app.app_id)."""
    base = topics[0][:RUN.search(topics[0]).start()]
    return f"{base}replay-{run_id}-safetynet-streams".replace(".", "-")


async def list_runs(settings: Settings) -> list[Run]:
    """Every replay run with topics on Kafka under settings.topic_prefix, live or left over."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        grouped = runs_of(await admin.list_topics(), settings.topic_prefix)
        runs = []
        for run_id, topics in sorted(grouped.items()):
            run = Run(run_id, sorted(topics), group_of(run_id, topics))
            marker = read_marker(settings, run_id)
            if marker is not None and marker_alive(marker):
                run.live, run.why = True, f"replay process {marker['pid']} is running"
            elif await _group_has_members(admin, run.group):
                run.live, run.why = True, "its consumer group has members (another machine?)"
            else:
                run.why = "no running process and no group members"
            runs.append(run)
        return runs
    finally:
        await admin.close()


async def clean(settings: Settings) -> list[Run]:
    """Delete the topics and group of every left-over run, stop its orphaned workers; returns those runs."""
    from aiokafka.admin import AIOKafkaAdminClient

    left = [run for run in await list_runs(settings) if not run.live]
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        for run in left:
            marker = read_marker(settings, run.run_id) or {}
            for worker in marker.get("workers", []):
                if marker_alive(worker):
                    os.kill(int(worker["pid"]), signal.SIGKILL)
            await admin.delete_topics(run.topics)
            try:
                await admin.delete_consumer_groups([run.group])
            except Exception:  # noqa: BLE001 - a group that never formed has nothing to delete
                pass
            unmark(settings, run.run_id)
    finally:
        await admin.close()
    return left


async def _group_has_members(admin, group: str) -> bool:
    try:
        response = (await admin.describe_consumer_groups([group]))[0]
        return bool(response.to_object()["groups"][0]["members"])
    except Exception:  # noqa: BLE001 - an unknown group (or a coordinator still loading) counts as none
        return False
