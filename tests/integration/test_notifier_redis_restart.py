"""The notifier through a Redis restart: nothing lost, nothing delivered twice.

The test runs a Redis server of its own (AOF on, as the stack runs it) so it can stop and start it.
"""
from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.integration.test_notifier import Running, alert, delivered_ids, inbox, publish, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.dir, self.port, self.proc = directory, free_port(), None

    def start(self) -> None:
        self.proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.dir),
                                      "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)


async def test_redis_restart_mid_stream_loses_and_doubles_nothing(settings, tmp_path) -> None:
    server = OwnRedis(tmp_path)
    server.start()
    redis = aioredis.Redis(port=server.port)
    await until(lambda: redis.ping())
    try:
        await publish(settings, alert("r1", person="a"), alert("r2", person="b"))
        async with Running(settings, redis):
            await until(lambda: _delivered(redis, 2))
            server.stop()  # Redis goes away while alerts keep coming
            await publish(settings, alert("r3", person="c"), alert("r4", person="d"), alert("r1", person="a"))
            await asyncio.sleep(1.0)  # the notifier meets the outage: it must wait, not drop or commit
            server.start()
            await until(lambda: _delivered(redis, 4), timeout=60)
        assert delivered_ids(await inbox(redis, "east")) == ["r1", "r2", "r3", "r4"]
    finally:
        await redis.aclose()
        if server.proc.poll() is None:
            server.stop()


async def _delivered(redis, n: int) -> bool:
    try:
        return len(delivered_ids(await inbox(redis, "east"))) >= n
    except (aioredis.ConnectionError, OSError):
        return False
