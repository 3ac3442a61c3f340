"""`safetynet replay DIR`: back-test a directory of department exports through the real pipeline.

Files -> producers (adapters, dead letters) -> Kafka -> faust worker(s) -> alerts topic -> JSON lines.
Each replay runs on topics of its own (a fresh prefix) so it never mixes with live traffic, and
waits on committed consumer offsets, never on the clock.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from schemas.alerts import Alert
from schemas.envelope import FEEDS
from schemas.settings import Settings
from streams import runs
from streams.app import app_id
from streams.config import load_rules
from streams.export import fold, read_notices
from streams.topics import (create_topics, delete_run, end_offsets, feed_topics, pipeline_topics, wait_consumed,
                            wait_group_stable)


@dataclass
class ReplayResult:
    alerts: list[Alert]
    rows_read: int = 0
    published: int = 0
    dead_letters: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def files_by_feed(directory: Path) -> dict[str, list[Path]]:
    """Every `<feed>*.csv` in the directory, longest feed name first so names never overlap."""
    found = {feed: sorted(directory.glob(f"{feed}*.csv")) for feed in FEEDS}
    return {feed: paths for feed, paths in found.items() if paths}


def security_json(settings: Settings) -> str:
    """The TLS/SASL settings as the worker's environment carries them (the password in clear: env only)."""
    security = settings.kafka_security.model_dump(mode="json")
    if settings.kafka_security.sasl_password is not None:
        security["sasl_password"] = settings.kafka_security.sasl_password.get_secret_value()
    return json.dumps(security)


def worker_env(settings: Settings, rules_file: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SAFETYNET_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "SAFETYNET_TOPIC_PREFIX": settings.topic_prefix,
        "SAFETYNET_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "SAFETYNET_DATA_DIR": str(settings.data_dir),
        "SAFETYNET_STORE": settings.store,
        "SAFETYNET_BROKER_SESSION_TIMEOUT": str(settings.broker_session_timeout),
        "SAFETYNET_BROKER_REBALANCE_TIMEOUT": str(settings.broker_rebalance_timeout),
        "SAFETYNET_PSEUDONYM_SECRET": settings.pseudonym_secret.get_secret_value(),
        "SAFETYNET_KAFKA_SECURITY": security_json(settings),
        # the worker is a service: outside development mode it checks the secrets as its parent did
        "SAFETYNET_TOKEN_SECRET": settings.token_secret.get_secret_value(),
        "SAFETYNET_VAULT_KEY": settings.vault_key.get_secret_value(),
        "SAFETYNET_USERS_FILE": str(settings.users_path),
        "SAFETYNET_DEV": "1" if settings.dev else "0",
    })
    if rules_file is not None:
        env["SAFETYNET_RULES_FILE"] = str(rules_file.resolve())
    return env


def start_worker(settings: Settings, rules_file: Path | None, log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "streams.worker"], env=worker_env(settings, rules_file),
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def drain(settings: Settings, workers: list[subprocess.Popen], timeout: float) -> None:
    """Wait until the workers have committed every feed offset, then every household offset."""
    group = app_id(settings)
    alive = lambda: all(w.poll() is None for w in workers)  # noqa: E731
    await wait_consumed(settings, group, await end_offsets(settings, feed_topics(settings)), timeout=timeout, alive=alive)
    # the household stage's input is complete once the person stage has committed everything
    members = await end_offsets(settings, [settings.topic("household-members")])
    await wait_consumed(settings, group, members, timeout=timeout, alive=alive)


async def replay(directory: Path, settings: Settings, rules_file: Path | None = None, *,
                 workers: int = 1, timeout: float = 1800.0, keep_topics: bool = False) -> ReplayResult:
    from producers.publish import ingest_files  # the adapters: same path as `safetynet ingest`

    load_rules(rules_file)  # fail before starting anything if the rules file is bad
    inputs = files_by_feed(directory)
    if not inputs:
        raise FileNotFoundError(f"{directory}: no <feed>*.csv files (feeds: {', '.join(FEEDS)})")
    run_id = uuid.uuid4().hex[:10]
    base = settings
    settings = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}replay-{run_id}.",
                                         "store": "memory://"})  # a replay keeps nothing after it
    result = ReplayResult(alerts=[])
    clock = time.perf_counter()
    runs.mark(base, run_id)  # before any topic exists: `stack clean` must never take a starting run for a dead one
    await create_topics(settings, pipeline_topics(settings))
    procs = [start_worker(settings, rules_file, settings.data_dir / "logs" / f"replay-worker-{i}.log") for i in range(workers)]
    runs.mark(base, run_id, [p.pid for p in procs])
    try:
        # every worker joins before any input: a rebalance mid-input would let two workers judge one key
        await wait_group_stable(settings, app_id(settings), workers, timeout=180,
                                alive=lambda: all(p.poll() is None for p in procs))
        result.seconds["workers_ready"] = time.perf_counter() - clock
        for feed, paths in inputs.items():
            summary = await ingest_files(settings, feed, paths)
            result.rows_read += summary.rows_read
            result.published += summary.published
            for reason, n in summary.dead_lettered_by_reason.items():
                result.dead_letters[reason] = result.dead_letters.get(reason, 0) + n
        result.seconds["ingest"] = time.perf_counter() - clock
        await drain(settings, procs, timeout)
        result.seconds["process"] = time.perf_counter() - clock - result.seconds["ingest"]
        result.alerts = fold(await read_notices(settings))
    finally:
        for proc in procs:
            stop_worker(proc)
        if not keep_topics:
            await delete_run(settings, app_id(settings))
            runs.unmark(base, run_id)
    result.seconds["total"] = time.perf_counter() - clock
    return result


def run(directory: Path, settings: Settings, rules_file: Path | None = None, **kwargs: object) -> ReplayResult:
    return asyncio.run(replay(directory, settings, rules_file, **kwargs))
