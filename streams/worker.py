"""Run one faust worker of the pipeline: `safetynet worker` or `python -m streams.worker`.

Settings come from the environment (SAFETYNET_*), the rules from SAFETYNET_RULES_FILE or the
default rules file. Start several on one topic prefix and they split the partitions.
"""
from __future__ import annotations

import gc
import logging
import os

import faust
from prometheus_client import start_http_server

from schemas.settings import Settings, load_service_settings
from streams.app import create_app
from streams.config import load_rules
from streams.topics import create_topics, pipeline_topics


def run(settings: Settings, loglevel: str = "warning") -> None:
    # Each event allocates thousands of short-lived objects: at Python's default threshold (700) the
    # collector runs hundreds of times a second, and its full passes walk every in-memory table value.
    gc.set_threshold(50_000, 20, 20)
    rules = load_rules(settings.rules_file)
    (settings.data_dir / "faust").mkdir(parents=True, exist_ok=True)
    pipeline = create_app(settings, rules)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr="127.0.0.1")

    @pipeline.app.task(on_leader=False)
    async def _announce() -> None:
        # after mode has set up logging: debug records cost ~20 % of the CPU when left on
        level = logging.getLevelName(loglevel.upper())
        for name in ("", "aiokafka", "faust", "mode", "kafka"):
            logging.getLogger(name).setLevel(level)
        gc.freeze()  # what start-up built lives for good: keep it out of every later collection
        print(f"safetynet worker ready: rules {rules.version}, prefix {settings.topic_prefix!r}", flush=True)

    import asyncio

    asyncio.run(create_topics(settings, pipeline_topics(settings)))
    worker = faust.Worker(pipeline.app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()


def main() -> None:
    run(load_service_settings(), loglevel=os.environ.get("SAFETYNET_LOGLEVEL", "warning"))


if __name__ == "__main__":
    main()
