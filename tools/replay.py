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
from datetime import datetime, timezone
from pathlib import Path

from schemas.alerts import Alert
from schemas.envelope import FEEDS, Envelope
from schemas.settings import Settings
from schemas.topology import DEAD_LETTERS, HOUSEHOLD_DELTAS, topic_name
from tools import runs
from streams.app import app_id
from streams.config import load_rules
from streams.export import cooled, fold, read_notices
from streams.topics import (create_topics, delete_run, end_offsets, feed_topics, pipeline_topics, wait_consumed,
                            wait_group_stable)


# A replay judges every file it is given, however late one record is after another: Kafka interleaves
# the feeds, so a roster row of three years ago may arrive after this year's claims.
UNBOUNDED_LATENESS = 1_000_000  # days


@dataclass
class ReplayResult:
    alerts: list[Alert]
    rows_read: int = 0
    published: int = 0
    dead_letters: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    people: int = 0  # distinct people on the roster files: the denominator of alert rates
    late: int = 0  # records dead-lettered as later than the allowed lateness

    def per_10k(self) -> dict[str, float]:
        """Standing alerts per rule per 10,000 people on the roster."""
        counts: dict[str, int] = {}
        for alert in self.alerts:
            counts[alert.rule] = counts.get(alert.rule, 0) + 1
        return {rule: 10_000 * n / max(self.people, 1) for rule, n in sorted(counts.items())}


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
        "SAFETYNET_ALLOWED_LATENESS_DAYS": str(settings.allowed_lateness_days),
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


async def drain(settings: Settings, workers: list[subprocess.Popen], timeout: float, progress=None) -> None:
    """Wait until the workers have committed every feed offset, then every household offset.
    `progress(stage, done, total)` hears how far each stage is (infra/progress.Stages draws it)."""
    group = app_id(settings)
    alive = lambda: all(w.poll() is None for w in workers)  # noqa: E731
    report = (lambda stage: (lambda done, total: progress(stage, done, total))) if progress else (lambda stage: None)
    await wait_consumed(settings, group, await end_offsets(settings, feed_topics(settings)), timeout=timeout, alive=alive,
                        report=report("judge department records"))
    # the household stage's input is complete once the person stage has committed everything
    members = await end_offsets(settings, [topic_name(settings, HOUSEHOLD_DELTAS)])
    await wait_consumed(settings, group, members, timeout=timeout, alive=alive, report=report("judge households"))


def inputs_of(directory: Path) -> dict[str, list[Path]]:
    inputs = files_by_feed(directory)
    if not inputs:
        raise FileNotFoundError(f"{directory}: no <feed>*.csv files (feeds: {', '.join(FEEDS)})")
    return inputs


async def replay(directory: Path, settings: Settings, rules_file: Path | None = None, *,
                 workers: int = 1, timeout: float = 1800.0, keep_topics: bool = False,
                 lateness_days: int | None = None, progress=None) -> ReplayResult:
    from producers.publish import ingest_files  # the adapters: same path as `safetynet ingest`

    load_rules(rules_file)  # fail before starting anything if the rules file is bad
    inputs = inputs_of(directory)
    run_id, base = uuid.uuid4().hex[:10], settings
    settings = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}replay-{run_id}.",
                                         "store": "memory://",  # a replay keeps nothing after it
                                         "allowed_lateness_days": lateness_days or UNBOUNDED_LATENESS})
    result = ReplayResult(alerts=[], people=roster_people(inputs, settings))
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
            summary = await ingest_files(settings, feed, paths, progress=ingest_progress(progress, feed, paths))
            result.rows_read += summary.rows_read
            result.published += summary.published
            for reason, n in summary.dead_lettered_by_reason.items():
                result.dead_letters[reason] = result.dead_letters.get(reason, 0) + n
        result.seconds["ingest"] = time.perf_counter() - clock
        await drain(settings, procs, timeout, progress)
        result.seconds["process"] = time.perf_counter() - clock - result.seconds["ingest"]
        result.alerts = cooled(fold(await read_notices(settings)), load_rules(rules_file))
        result.late = await count_late(settings)
    finally:
        for proc in procs:
            stop_worker(proc)
        if not keep_topics:
            await delete_run(settings, app_id(settings))
            runs.unmark(base, run_id)
    result.seconds["total"] = time.perf_counter() - clock
    return result


async def count_late(settings: Settings) -> int:
    from streams.export import read_topic

    return sum(1 for value in await read_topic(settings, topic_name(settings, DEAD_LETTERS))
               if value.startswith(b"{") and b'"stage":"late"' in value.replace(b" ", b""))


def roster_people(inputs: dict[str, list[Path]], settings: Settings) -> int:
    """Distinct people in the roster files (the adapters' pseudonyms): alert rates are per this many."""
    from producers.identity import Pseudonymizer
    from producers.reader import read_feed

    keys, now, seen = Pseudonymizer(settings.pseudonym_secret.get_secret_value()), datetime.now(timezone.utc), set()
    for path in inputs.get("roster", []):
        seen.update(e.person_key for e in read_feed(path, "roster", keys, now) if type(e) is Envelope)
    return len(seen)


def replay_direct(directory: Path, settings: Settings, rules_file: Path | None = None, *,
                  lateness_days: int | None = None) -> ReplayResult:
    """The same step functions as the workers, in one process, no broker: files feed by feed, in the
    order `replay` publishes them (deltas judged at once; the standing set does not depend on order)."""
    from producers.identity import Pseudonymizer
    from producers.reader import FileReport, read_feed
    from streams.direct import DirectPipeline

    rules = load_rules(rules_file)
    inputs = inputs_of(directory)
    clock = time.perf_counter()
    pipeline = DirectPipeline.of(rules, lateness_days or UNBOUNDED_LATENESS)
    keys, now = Pseudonymizer(settings.pseudonym_secret.get_secret_value()), datetime.now(timezone.utc)
    result = ReplayResult(alerts=[])
    roster_keys: set[str] = set()
    for feed, paths in inputs.items():
        for path in paths:
            report = FileReport(path.name)
            for event in read_feed(path, feed, keys, now, report):
                if type(event) is Envelope:
                    result.published += 1
                    pipeline.put(event)
                    if feed == "roster":
                        roster_keys.add(event.person_key)
            result.rows_read += report.rows
            for reason, n in report.reasons.items():
                result.dead_letters[reason] = result.dead_letters.get(reason, 0) + n
    result.alerts, result.people, result.late = pipeline.alerts(), len(roster_keys), len(pipeline.late)
    result.seconds["process"] = result.seconds["total"] = time.perf_counter() - clock
    return result


def ingest_progress(progress, feed: str, paths: list[Path]):
    """ingest_files' (file, rows in that file) as (stage, rows of the feed so far, the feed's rows)."""
    if progress is None:
        return None
    from infra.progress import count_rows

    total, seen = count_rows(paths), {}

    def tick(file: str, rows: int) -> None:
        seen[file] = rows
        progress(f"ingest {feed}", sum(seen.values()), total)

    return tick


def run(directory: Path, settings: Settings, rules_file: Path | None = None, **kwargs: object) -> ReplayResult:
    return asyncio.run(replay(directory, settings, rules_file, **kwargs))
