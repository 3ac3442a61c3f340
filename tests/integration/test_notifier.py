"""The notifier against real Kafka and Redis: right inbox, exactly once, nothing lost."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from consumers.notifier.channels import Retry
from consumers.notifier.history import History
from consumers.notifier.routing import RoutingConfig
from consumers.notifier.service import serve
from schemas.alerts import Alert, AlertNotice
from schemas.settings import Settings

ROUTING = RoutingConfig.model_validate({
    "fallback_group": "desk",
    "groups": {"desk": {"members": ["d"]}, "east": {"members": ["e1"]},
               "west": {"members": ["w1"], "webhook": "https://hooks.example/west"}},
    "counties": {"340403": {"default_group": "east", "supervisors": ["sup"], "townships": {"340403004": "west"}}},
})
WINDOW = timedelta(milliseconds=300)
pytestmark = pytest.mark.asyncio(loop_scope="session")  # the same loop as the async fixtures


def alert(alert_id: str, person: str = "a", township: str = "340403001", rule: str = "medical_burden") -> Alert:
    kind = "audit" if rule == "deceased_recipient" else "risk"
    return Alert(alert_id=alert_id, rule=rule, kind=kind, severity="high", subject="340403********123X",
                 person_key=person * 64, township_code=township, event_time=date(2026, 3, 2),
                 triggered_at=datetime(2026, 3, 2, tzinfo=timezone.utc), rule_version="1", evidence=[])


_published: dict[str, int] = {}


async def publish(settings: Settings, *alerts: Alert, action: str = "raised") -> None:
    _published[settings.topic_prefix] = _published.get(settings.topic_prefix, 0) + len(alerts)
    async with AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap) as producer:
        for a in alerts:
            notice = AlertNotice(action=action, alert=a)
            await producer.send_and_wait(settings.topic("alerts"), key=a.alert_id.encode(),
                                         value=notice.model_dump_json().encode())


@pytest.fixture
async def redis(redis_client):
    client = aioredis.Redis(connection_pool=aioredis.ConnectionPool(**redis_client.connection_pool.connection_kwargs))
    yield client
    await client.aclose()


class Running:
    """A notifier task: `async with Running(...)` starts it, leaving stops it cleanly."""

    def __init__(self, settings: Settings, redis, transport: httpx.MockTransport | None = None,
                 retry: Retry = Retry(attempts=3, base_delay=0.05), group_id: str | None = None) -> None:
        self.settings, self.redis, self.retry, self.group_id = settings, redis, retry, group_id
        self.transport = transport or httpx.MockTransport(lambda r: httpx.Response(200))

    async def __aenter__(self) -> "Running":
        self.stop, self.http = asyncio.Event(), httpx.AsyncClient(transport=self.transport)
        self.task = asyncio.create_task(serve(self.settings, ROUTING, redis=self.redis, http=self.http,
                                              stop=self.stop, window=WINDOW, retry=self.retry, group_id=self.group_id))
        return self

    async def __aexit__(self, *exc) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 30)
        await self.http.aclose()


async def until(condition: Callable[[], object], timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout} s")


async def inbox(redis, group: str) -> list[dict]:
    return [json.loads(fields[b"body"]) for _, fields in await redis.xrange(f"inbox:{group}")]


def delivered_ids(entries: list[dict]) -> list[str]:
    return sorted(a["alert_id"] for e in entries for a in e["alerts"])


async def test_alerts_reach_the_right_inbox_exactly_once_across_restarts(settings: Settings, redis) -> None:
    await publish(settings, alert("a1"), alert("a2"), alert("b1", person="b", township="340404001"))
    await publish(settings, alert("a1"))  # the same alert, delivered twice
    async with Running(settings, redis):
        await until(lambda: _count(redis, ["inbox:east", "inbox:desk"], 2))
        east = await inbox(redis, "east")
        assert [delivered_ids([e]) for e in east] == [["a1", "a2"]]  # one notification for person a
        assert delivered_ids(await inbox(redis, "desk")) == ["b1"]  # unknown county -> fallback group

    await publish(settings, alert("a1"), alert("c1", person="c"))  # a repeat after the restart, and a new one
    async with Running(settings, redis):
        await until(lambda: _count(redis, ["inbox:east"], 2))
    # the same log read from the start by a fresh group (offsets lost): nothing new is delivered
    async with Running(settings, redis, group_id=f"{settings.topic_prefix}replay"):
        await until(lambda: _lag_is_zero(settings, f"{settings.topic_prefix}replay"))
        await asyncio.sleep(WINDOW.total_seconds() * 2)
    assert delivered_ids(await inbox(redis, "east")) == ["a1", "a2", "c1"]
    history = await History(redis, None, "").query(group="east")
    assert {tuple(r["alert_ids"]) for r in history} == {("a1", "a2"), ("c1",)}
    notifications = await read_topic(settings, settings.topic("notifications"), 3)
    assert sorted(n["group"] for n in notifications) == ["desk", "east", "east"]


async def test_inhibited_alerts_are_silenced(settings: Settings, redis) -> None:
    await publish(settings, alert("d1", rule="deceased_recipient"))
    async with Running(settings, redis):
        await until(lambda: _count(redis, ["inbox:east"], 1))
        await publish(settings, alert("m1"), alert("e1", person="e"))  # m1: risk for the deceased
        await until(lambda: _count(redis, ["inbox:east"], 2))
        await until(lambda: _lag_is_zero(settings, f"{settings.topic_prefix}safetynet-notifier"))
    assert delivered_ids(await inbox(redis, "east")) == ["d1", "e1"]


async def test_webhook_down_then_up_loses_nothing(settings: Settings, redis) -> None:
    seen: list[httpx.Request] = []
    up = asyncio.Event()

    def hook(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200 if up.is_set() else 503)

    await publish(settings, alert("w1", township="340403004"))
    async with Running(settings, redis, httpx.MockTransport(hook), retry=Retry(attempts=50, base_delay=0.05, max_delay=0.2)):
        await until(lambda: _true(len(seen) >= 3))
        assert await redis.xlen("inbox:west") == 1  # the inbox does not wait for the webhook
        assert await _committed(settings) in (None, 0)  # held while the webhook is down
        up.set()
        await until(lambda: _true(seen and seen[-1] and len(seen) > 3))
        await until(lambda: _lag_is_zero(settings, f"{settings.topic_prefix}safetynet-notifier"))
    keys = {r.headers["Idempotency-Key"] for r in seen}
    assert len(keys) == 1
    [record] = await History(redis, None, "").query(group="west")
    assert record["outcome"] == "delivered" and {r["channel"] for r in record["receipts"]} == {"inbox", "webhook"}


async def test_webhook_that_stays_down_goes_to_dead_letter(settings: Settings, redis) -> None:
    await publish(settings, alert("w2", township="340403004"))
    failing = httpx.MockTransport(lambda r: httpx.Response(502))
    async with Running(settings, redis, failing, retry=Retry(attempts=3, base_delay=0.01)):
        await until(lambda: _true(redis.llen("notifications:dead")), timeout=45)
        await until(lambda: _lag_is_zero(settings, f"{settings.topic_prefix}safetynet-notifier"))
    [dead] = [json.loads(x) for x in await redis.lrange("notifications:dead", 0, -1)]
    assert dead["channel"] == "webhook" and dead["attempts"] == 3
    [on_topic] = await read_topic(settings, settings.topic("notifications.dead"), 1)
    assert on_topic["notification"]["alerts"][0]["alert_id"] == "w2"


async def _true(value) -> bool:
    return bool(await value) if asyncio.iscoroutine(value) else bool(value)


async def _count(redis, streams: list[str], n: int) -> bool:
    return sum([await redis.xlen(s) for s in streams]) >= n


async def _committed(settings: Settings, group: str | None = None) -> int | None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group or f"{settings.topic_prefix}safetynet-notifier")
    finally:
        await admin.close()
    values = [o.offset for tp, o in offsets.items() if tp.topic == settings.topic("alerts") and o.offset >= 0]
    return sum(values) if values else None


async def _lag_is_zero(settings: Settings, group: str) -> bool:
    """`group` has committed every notice published to the alerts topic."""
    return await _committed(settings, group) == _published.get(settings.topic_prefix, 0)


async def read_topic(settings: Settings, topic: str, n: int) -> list[dict]:
    async with AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                                group_id=None) as consumer:
        found: list[dict] = []
        deadline = time.monotonic() + 30
        while len(found) < n and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            found += [json.loads(r.value) for rs in batch.values() for r in rs]
    return found
