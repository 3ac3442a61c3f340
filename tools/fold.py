"""The bench's ceiling: a bare faust agent over the feed topics, one table write per event.

`python -m tools.fold` (started by `safetynet bench` as a subprocess, like a pipeline worker) runs a
faust app of its own (`fold_id(settings)`: its own consumer group, store and changelog) built by the
pipeline's `new_app`: same broker, transport, store (RocksDB in the bench) and producer settings.
Its one agent counts events per person key, so each event costs faust's per-event machinery and one
table write: what the pipeline's `pipeline_eps` is judged against (`faust_fold_eps`).

    feed.<name> (raw bytes, key person_key) -> count_events -> table fold-by-key {person_key: count}
"""
from __future__ import annotations

import asyncio
import os

import faust

from schemas.settings import Settings, load_service_settings
from schemas.topology import app_id
from streams.app import new_app
from streams.topics import create_topics, feed_topics

TABLE = "fold-by-key"


def fold_id(settings: Settings) -> str:
    """The bare agent's app id: its group, and the prefix of its changelog (`delete_run` of the
    pipeline's group removes that topic too; the group is the caller's to delete)."""
    return f"{app_id(settings)}-fold"


def changelog_topic(settings: Settings) -> str:
    return f"{fold_id(settings)}-{TABLE}-changelog"


def create_fold(settings: Settings) -> faust.App:
    app = new_app(settings, fold_id(settings))
    feeds = app.topic(*feed_topics(settings), key_serializer="raw", value_serializer="raw")
    counts = app.Table(TABLE, default=int, key_type=bytes, value_type=int)

    @app.agent(feeds, name="count-events")
    async def count_events(events):
        async for event in events.events():
            counts[event.key] += 1

    return app


def run(settings: Settings, loglevel: str = "warning") -> None:
    (settings.data_dir / "faust").mkdir(parents=True, exist_ok=True)
    app = create_fold(settings)
    # created before the worker starts: a changelog faust finds missing on a busy broker may show no
    # partitions yet, and faust then refuses every table write (see schemas.topology.changelog_topics)
    asyncio.run(create_topics(settings, [changelog_topic(settings)]))
    faust.Worker(app, loglevel=loglevel, quiet=True).execute_from_commandline()


def main() -> None:
    run(load_service_settings(), loglevel=os.environ.get("SAFETYNET_LOGLEVEL", "warning"))


if __name__ == "__main__":
    main()
