"""The notifier through a group robot webhook: a fake robot on loopback checks the body, the rate
(never more than 20 messages a minute: what exceeds is held, counted, and sent grouped later) and the
retries (errcode -1 retried; 93000, a wrong key, goes to the dead letters)."""
from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import pytest
from prometheus_client import REGISTRY

from consumers.notifier.channels import Retry
from consumers.notifier.routing import RoutingConfig
from consumers.notifier.service import serve
from schemas.settings import Settings
from schemas.townships import places
from test_notifier import WINDOW, alert, publish, redis, until  # noqa: F401 (fixture)
from tests.fakes import FakeRobot
from tests.loopback import serving

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROUTING = RoutingConfig.model_validate({
    "fallback_group": "desk", "groups": {"desk": {"members": ["d"]}, "east": {"members": ["e1"]},
                                         "west": {"members": ["w1"]}},
    "counties": {"340403": {"default_group": "east", "supervisors": ["sup"], "townships": {"340403004": "west"}}},
})


def person(a, number: int):
    return a.model_copy(update={"person_key": f"{number:064x}"})


def held(group: str) -> float:
    return REGISTRY.get_sample_value("safetynet_notifier_robot_held_total", {"group": group}) or 0.0


async def test_robot_messages_keep_to_the_budget_are_grouped_and_retried(settings: Settings, redis) -> None:
    east, west = FakeRobot(per_minute=20, fail=[-1, -1]), FakeRobot(fail=[93000])
    shift = 0.0
    east.clock = lambda: time.monotonic() + shift
    async with serving(east.app()) as east_url, serving(west.app()) as west_url:
        settings = settings.model_copy(update={"robot_webhooks": {
            "east": f"{east_url}/cgi-bin/webhook/send?key=EAST", "west": f"{west_url}/cgi-bin/webhook/send?key=WEST"},
            "web_base_url": "https://mz.example.gov.cn"})
        before = held("east")
        await publish(settings, *[person(alert(f"e{i:02d}"), i) for i in range(25)])  # 25 people: 25 notifications
        await publish(settings, person(alert("w1", township="340403004"), 99))
        stop = asyncio.Event()
        async with httpx.AsyncClient(timeout=30.0) as http:
            task = asyncio.create_task(serve(settings, ROUTING, redis=redis, http=http, stop=stop, window=WINDOW,
                                             retry=Retry(attempts=4, base_delay=0.05, max_delay=0.1)))
            await until(lambda: _true(held("east") - before == 7))
            assert len(east.received) == 18 and east.refused == 2  # 20 slots: two went to the failed attempts
            await until(lambda: redis.llen("notifications:dead"))
            # a minute passes, for the robot and for our budget
            shift = 61.0
            for key in await redis.keys("robot-sent:*"):
                await redis.zremrangebyscore(key, "-inf", "+inf")
            await until(lambda: _true(len(east.received) == 19))
            stop.set()
            await asyncio.wait_for(task, 30)
    bodies = [body for _, body in east.received]
    assert all(b["msgtype"] == "markdown" for b in bodies)
    contents = [b["markdown"]["content"] for b in bodies]
    assert contents[-1].startswith("### 救助预警（7 条合并发送）")
    links = [link for c in contents for link in re.findall(r"\(https://mz\.example\.gov\.cn/console/cases/(CA\w+)\)", c)]
    assert len(set(links)) == 25  # every alert reached the group, none twice
    first = contents[0]
    assert "医疗支出负担" in first and places().label("340403001") in first and "核实时限" in first
    assert not any("123X" in c or "340403**" in c for c in contents)  # not even the masked ID
    assert east.refused == 2 and west.received == [] and west.refused == 1  # 93000 is not retried
    dead = [json.loads(r) for r in await redis.lrange("notifications:dead", 0, -1)]
    assert [(d["channel"], d["attempts"], d["error"].endswith("errcode 93000")) for d in dead] == [("robot", 1, True)]


async def _true(value: bool) -> bool:
    return value
