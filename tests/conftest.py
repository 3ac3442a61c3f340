"""Shared fixtures: markers from folders, one stack per session, isolation per test.

Integration tests get a real Kafka, Redis and chDB. Each test has its own topic prefix, Redis
database and ClickHouse database, so tests never see each other's data. A missing broker fails
the session loudly: an integration test that silently skips proves nothing.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest

from schemas.settings import Settings, load_settings

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
LAYERS = ("unit", "integration", "slow", "browser")
_redis_dbs = itertools.cycle(range(1, 14))  # db 0 is the developers' own; 14, 15 belong to the web tests
os.environ.setdefault("SAFETYNET_DEV", "1")  # `make test` sets it too: the suite runs on the public dev defaults


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(item.path).resolve().relative_to(TESTS).parts
        if len(parts) > 1 and parts[0] in LAYERS:
            item.add_marker(parts[0])


@pytest.fixture(scope="session")
def stack() -> Iterator[Settings]:
    """Settings pointing at a running Kafka and Redis; stops at the end only what it started."""
    if os.environ.get("SAFETYNET_TEST_INFRA") == "docker":
        yield from _docker_stack()
        return
    from infra.stack import StackError, down, ensure_running

    base = load_settings(data_dir=REPO / ".data" / "test")
    try:
        started = ensure_running(base)
    except StackError as exc:
        pytest.fail(f"the test stack could not start: {exc}", pytrace=False)
    yield base
    if started:
        down(base)


def _docker_stack() -> Iterator[Settings]:
    """The same stack from testcontainers, for Docker hosts (SAFETYNET_TEST_INFRA=docker)."""
    from testcontainers.kafka import KafkaContainer
    from testcontainers.redis import RedisContainer

    with KafkaContainer("confluentinc/cp-kafka:7.7.1").with_kraft() as kafka, RedisContainer("redis:7") as redis:
        redis_url = f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0"
        yield load_settings(data_dir=REPO / ".data" / "test", kafka_bootstrap=kafka.get_bootstrap_server(),
                            redis_url=redis_url)


@pytest.fixture
def settings(stack: Settings) -> Settings:
    """Per-test settings: every topic this test creates starts with its own prefix."""
    return stack.model_copy(update={"topic_prefix": f"t{uuid4().hex[:10]}."})


@pytest.fixture
def redis_client(stack: Settings) -> Iterator["redis.Redis"]:
    import redis

    db = next(_redis_dbs)
    url = urlsplit(stack.redis_url)
    client = redis.Redis.from_url(urlunsplit(url._replace(path=f"/{db}")))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def chdb_client(stack: Settings):
    """One clickhouse-connect client on ONE chDB path: a process can open only one."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=stack.analytics_dsn)
    yield client
    client.close()


@pytest.fixture
def analytics_db(chdb_client) -> Iterator[str]:
    """A fresh ClickHouse database name for this test (qualify tables with it); dropped after."""
    name = f"t_{uuid4().hex[:12]}"
    chdb_client.command(f"CREATE DATABASE {name}")
    yield name
    chdb_client.command(f"DROP DATABASE IF EXISTS {name}")
