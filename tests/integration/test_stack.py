"""The local stack: real Kafka, Redis and chDB answer, and `up` is idempotent."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from infra import stack as local_stack
from schemas.settings import Settings

INFRA = Path(local_stack.__file__).resolve().parent
COMPOSE = INFRA / "docker-compose.yml"


async def test_kafka_round_trip(settings: Settings) -> None:
    topic = settings.topic("roundtrip")
    async with AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True) as producer:
        await producer.send_and_wait(topic, key=b"k", value=b"hello")
    async with AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, group_id=f"{topic}-g",
                                auto_offset_reset="earliest") as consumer:
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
    assert (message.key, message.value) == (b"k", b"hello")


def test_redis_round_trip(redis_client) -> None:
    redis_client.set("greeting", "hello", ex=60)
    assert redis_client.get("greeting") == b"hello"
    assert redis_client.dbsize() == 1  # a database of its own


def test_chdb_round_trip(chdb_client, analytics_db: str) -> None:
    table = f"{analytics_db}.alerts"
    chdb_client.command(f"CREATE TABLE {table} (alert_id String, amount Decimal(12, 2)) "
                        "ENGINE = MergeTree ORDER BY alert_id")
    chdb_client.insert(table, [["a1", 10.5], ["a2", 2]], column_names=["alert_id", "amount"])
    result = chdb_client.query(f"SELECT count(), toFloat64(sum(amount)) FROM {table}")
    assert result.result_rows == [(2, 12.5)]


def test_up_is_idempotent(stack: Settings) -> None:
    first = local_stack.up(stack)
    second = local_stack.up(stack)
    assert second.started == ()
    assert second.healthy
    assert [s.pid for s in second.services] == [s.pid for s in first.services]


def test_status_reports_every_service(stack: Settings) -> None:
    result = local_stack.status(stack)
    assert [s.name for s in result.services] == ["kafka", "redis", "chdb"]
    assert "chdb://" in str(result)


def test_cluster_ids_never_read_as_options() -> None:
    ids = {local_stack._cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert not any(cid.startswith("-") for cid in ids)


def test_compose_file_declares_the_topology() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    images = {name: svc["image"].split(":")[0] for name, svc in compose["services"].items()}
    assert images == {"kafka": "apache/kafka", "redis": "redis", "clickhouse": "clickhouse/clickhouse-server",
                      "prometheus": "prom/prometheus", "grafana": "grafana/grafana"}
    scrape = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in scrape["scrape_configs"] for cfg in job["static_configs"] for t in cfg["targets"]}
    assert {f"localhost:{port}" for port in range(9101, 9106)} <= targets


def test_compose_config_is_valid() -> None:
    if shutil.which("docker") is None:
        pytest.skip("docker is not installed: cannot run `docker compose config`")
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"the docker compose plugin is not usable here: {(probe.stderr or probe.stdout).strip().splitlines()[0]}")
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
