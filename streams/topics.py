"""Create, measure and delete the pipeline's topics; wait on consumer-group offsets."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (CoordinatorLoadInProgressError, GroupCoordinatorNotAvailableError,
                             NotCoordinatorForGroupError, TopicAlreadyExistsError)

from schemas.settings import Settings
from schemas.topology import FEED_TOPICS, PIPELINE, changelog_topics, topic_name


def feed_topics(settings: Settings) -> list[str]:
    return [topic_name(settings, t) for t in FEED_TOPICS.values()]


def pipeline_topics(settings: Settings) -> list[str]:
    """Every topic a stream worker reads or writes, its tables' changelogs included."""
    return [*(topic_name(settings, t) for t in PIPELINE), *changelog_topics(settings)]


async def create_topics(settings: Settings, names: Iterable[str], compacted: Iterable[str] = ()) -> None:
    """Create the missing ones (changelogs compacted)."""
    names = list(names)
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        compact = set(compacted) | {n for n in names if n.endswith("-changelog")}
        new = [NewTopic(n, settings.topic_partitions, 1, topic_configs={"cleanup.policy": "compact"} if n in compact else {})
               for n in names if n not in existing]
        if new:
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
            await wait_for_leaders(admin, [t.name for t in new], settings.topic_partitions)
    finally:
        await admin.close()


async def wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str], partitions: int, timeout: float = 30.0) -> None:
    """New topics take a moment to show all their partitions with leaders. A producer that asks
    before then may see fewer partitions and put one person's records in different partition numbers
    of different feeds: a RocksDB table (one database per partition) then loses that person's state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = await admin.describe_topics(names)
        if all(t["error_code"] == 0 and len(t["partitions"]) == partitions and all(p["leader"] >= 0 for p in t["partitions"])
               for t in described):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topics {names} have no leaders for all {partitions} partitions after {timeout:.0f} s")


async def delete_topics(settings: Settings, *prefixes: str) -> None:
    """Delete every topic whose name starts with one of `prefixes` (a replay's own topics)."""
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(tuple(prefixes))]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


async def list_topics(settings: Settings) -> list[str]:
    """Every topic on the broker, as its metadata says now."""
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        return await admin.list_topics()
    finally:
        await admin.close()


async def delete_run(settings: Settings, group: str) -> None:
    """Remove a finished run's topics, its faust-internal topics (named after the group) and the group."""
    await delete_topics(settings, settings.topic_prefix, f"{group}-")
    await delete_group(settings, group)


async def delete_group(settings: Settings, group: str) -> None:
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        await admin.delete_consumer_groups([group])
    except Exception:  # noqa: BLE001 - a group that never formed has nothing to delete
        pass
    finally:
        await admin.close()


async def end_offsets(settings: Settings, topics: Iterable[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or await partitions(consumer, t))]
        return await consumer.end_offsets(parts) if parts else {}
    finally:
        await consumer.stop()


async def partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
    return consumer.partitions_for_topic(topic) or set()


# a broker that has just started needs a moment before it coordinates groups
COORDINATOR_WARMING = (GroupCoordinatorNotAvailableError, CoordinatorLoadInProgressError, NotCoordinatorForGroupError)


async def committed(settings: Settings, group: str) -> dict[TopicPartition, int]:
    """The group's committed offsets; empty while the broker's group coordinator is still starting."""
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items()}
    except COORDINATOR_WARMING:
        return {}
    finally:
        await admin.close()


async def wait_consumed(settings: Settings, group: str, targets: dict[TopicPartition, int], *,
                        timeout: float, alive: callable = lambda: True, poll: float = 0.2,
                        report: callable = None) -> None:
    """Return once `group` has committed every target offset; raise on timeout or a dead worker.
    `report(done, total)` hears how many of the target messages are committed, at every poll."""
    deadline = time.monotonic() + timeout
    pending = {tp: end for tp, end in targets.items() if end > 0}
    while pending:
        done = await committed(settings, group)
        if report is not None:
            report(sum(min(max(done.get(tp, 0), 0), end) for tp, end in targets.items()), sum(targets.values()))
        pending = {tp: end for tp, end in pending.items() if done.get(tp, -1) < end}
        if not pending:
            return
        if not alive():
            raise RuntimeError("the stream worker exited before consuming its input")
        if time.monotonic() > deadline:
            lag = sum(end - max(done.get(tp, 0), 0) for tp, end in pending.items())
            raise TimeoutError(f"group {group} still {lag} messages behind after {timeout:.0f} s")
        await asyncio.sleep(poll)


async def group_members(settings: Settings, group: str) -> tuple[str, int]:
    """(state, member count) of a consumer group, e.g. ("Stable", 2)."""
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        response = (await admin.describe_consumer_groups([group]))[0]
        entry = response.to_object()["groups"][0]
        return entry["state"], len(entry["members"])
    except COORDINATOR_WARMING:
        return "CoordinatorStarting", 0
    finally:
        await admin.close()


async def wait_group_stable(settings: Settings, group: str, members: int, *, timeout: float,
                            alive: callable = lambda: True, poll: float = 0.2) -> None:
    """Wait until `members` workers have joined the group and it settled: no rebalance mid-input."""
    deadline = time.monotonic() + timeout
    while True:
        state, count = await group_members(settings, group)
        if state == "Stable" and count == members:
            return
        if not alive():
            raise RuntimeError("a stream worker exited while joining its group")
        if time.monotonic() > deadline:
            raise TimeoutError(f"group {group}: {count}/{members} workers, state {state} after {timeout:.0f} s")
        await asyncio.sleep(poll)
