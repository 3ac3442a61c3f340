"""A simulated city from department files to caseworkers and analysts, on the real stack.

files -> adapters -> Kafka -> faust worker -> alerts -> notifier (Redis inboxes), case tracker (cases
with SLA deadlines), analytics sink (ClickHouse views). Expected alerts come from the alerts topic
itself; their correctness against the oracle is tests/slow/test_replay.py's job.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer

from consumers.analytics.migrate import connect, migrate
from consumers.analytics.sink import Batches, serve as serve_sink
from consumers.cases.service import open_store, run as run_tracker
from consumers.cases.sla import sla_for
from consumers.notifier.channels import Retry
from consumers.notifier.routing import load_routing, route
from consumers.notifier.service import serve as serve_notifier
from producers.publish import ingest_files
from schemas.cases import case_id_for_alert, subject_key
from streams.app import app_id
from streams.export import fold, read_notices
from tools.replay import UNBOUNDED_LATENESS, drain, files_by_feed, start_worker, stop_worker
from streams.topics import create_topics, delete_run, end_offsets, feed_topics, pipeline_topics, wait_group_stable

REPO = Path(__file__).resolve().parents[2]
ROUTING = load_routing(REPO / "infra" / "routing.yaml")


async def until(condition, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await condition():
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


async def distinct_event_ids(settings) -> set[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await end_offsets(settings, feed_topics(settings))
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        ids: set[str] = set()
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                ids.update(json.loads(r.value)["event_id"] for r in records)
        return ids
    finally:
        await consumer.stop()


async def test_city_reaches_inboxes_cases_and_views(tmp_path, settings, redis_client, chdb_client, analytics_db):
    city = tmp_path / "city"
    subprocess.run([sys.executable, "-m", "safetynet_cli", "simulate", "--out", str(city), "--scale", "0.01", "--seed", "5"],
                   cwd=REPO, check=True, capture_output=True)
    db = redis_client.connection_pool.connection_kwargs["db"]
    s = settings.model_copy(update={"redis_url": urlunsplit(urlsplit(settings.redis_url)._replace(path=f"/{db}")),
                                    "store": "memory://", "allowed_lateness_days": UNBOUNDED_LATENESS})  # a back-fill
    await create_topics(s, pipeline_topics(s))
    worker = start_worker(s, None, s.data_dir / "logs" / f"{s.topic_prefix}worker.log")
    redis = aioredis.from_url(s.redis_url)
    webhook = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    analytics = connect(s.analytics_dsn, analytics_db, create=False)
    migrate(analytics)
    stop = asyncio.Event()
    tasks = []
    try:
        async with open_store(s) as store:
            tasks = [asyncio.create_task(serve_notifier(s, ROUTING, redis=redis, http=webhook, stop=stop,
                                                        window=timedelta(seconds=1), retry=Retry(attempts=3, base_delay=0.05))),
                     asyncio.create_task(run_tracker(s, store)),
                     asyncio.create_task(serve_sink(s, analytics, stop, Batches(max_rows=10_000, max_seconds=0.5)))]
            await wait_group_stable(s, app_id(s), 1, timeout=120, alive=lambda: worker.poll() is None)
            published = 0
            for feed, paths in files_by_feed(city).items():
                published += (await ingest_files(s, feed, paths)).published
            await drain(s, [worker], timeout=600)
            standing = fold(await read_notices(s))
            event_ids = await distinct_event_ids(s)  # re-exported rows share an id: they count once
            assert 0 < len(event_ids) < published
            assert len({a.rule for a in standing}) == 13, "the simulated city plants every rule (contract v2)"

            # caseworkers: each person+rule reaches its township's group (an open case silences later
            # repeats of its rule, unless they came in the same grouped notification); risk alerts of a
            # person with a deceased_recipient alert may be silenced; no alert is delivered twice
            deceased = {a.person_key for a in standing if a.rule == "deceased_recipient"}
            pairs: dict[tuple[str, str], set[str]] = {}
            for a in standing:
                if not (a.kind == "risk" and a.person_key in deceased):
                    pairs.setdefault((a.person_key, a.rule), set()).add(a.alert_id)
            group_of = {a.alert_id: route(a, ROUTING).group for a in standing}

            async def delivered():
                got: dict[str, list[str]] = {}
                for group in ROUTING.groups:
                    for _, fields in await redis.xrange(f"inbox:{group}"):
                        for a in json.loads(fields[b"body"])["alerts"]:
                            got.setdefault(a["alert_id"], []).append(group)
                return got if all(ids & set(got) for ids in pairs.values()) else None

            got = await until(delivered, "every person+rule in an inbox")
            assert all(groups == [group_of[aid]] for aid, groups in got.items()), "delivered once, to the right group"

            # case tracker: every standing alert opened or joined the one open case of its rule and subject;
            # the case's SLA comes from its kind
            async def all_cases():
                ids = [await store.case_of_alert(a.alert_id, case_id_for_alert(a.alert_id)) for a in standing]
                cases = [await store.find(i) if i else None for i in ids]
                return cases if all(c is not None and a.alert_id in c.alert_ids for a, c in zip(standing, cases)) \
                    else None

            cases = await until(all_cases, "a case per alert, or the open case it joined")
            for alert, case in zip(standing, cases):
                assert case.state == "open" and case.kind == alert.rule
                assert case.sla_due == sla_for(alert.rule, alert.kind).due(case.opened_at)
            subjects = {(c.kind, subject_key(c.kind, c.person_key, c.household_id)) for c in cases}
            assert len(subjects) == len({c.case_id for c in cases}), "one open case per subject and rule"

            # analysts: every event and alert in ClickHouse, the weekly view adds up
            def q(sql: str):
                return analytics.query(sql).result_rows

            async def landed():
                return q("SELECT count() FROM (SELECT DISTINCT event_id FROM events)")[0][0] == len(event_ids) and \
                    q("SELECT sum(alerts) FROM alerts_per_week")[0][0] == len(standing) and \
                    q("SELECT countDistinct(case_id) FROM case_events")[0][0] >= len({c.case_id for c in cases})

            await until(landed, "events, alerts and case events in ClickHouse")
            by_rule = dict(q("SELECT rule, sum(alerts) FROM alerts_per_week GROUP BY rule"))
            assert by_rule == {r: sum(1 for a in standing if a.rule == r) for r in by_rule}
    finally:
        stop.set()  # the notifier and the sink stop on it; the tracker loop is cancelled
        if len(tasks) > 1:
            tasks[1].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stop_worker(worker)
        await webhook.aclose()
        await redis.aclose()
        await delete_run(s, app_id(s))
