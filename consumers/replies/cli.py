"""`safetynet replies run`: 12345 status callbacks and WeChat template messages from case events."""
from __future__ import annotations

import asyncio
from pathlib import Path

import click

from schemas.settings import load_settings


@click.group()
def replies() -> None:
    """Answer the systems on the other side: 12345 callbacks, WeChat template messages."""


@replies.command()
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def run(config_file: Path | None) -> None:
    """Consume case-events until SIGINT/SIGTERM."""
    import httpx
    import redis.asyncio as redis

    from consumers.process import expose_metrics, stop_on_signals
    from consumers.replies.service import serve

    settings = load_settings(config_file)
    expose_metrics(settings)

    async def main() -> None:
        stop = stop_on_signals()
        client = redis.Redis.from_url(settings.redis_url)
        async with httpx.AsyncClient(timeout=10.0) as http:
            try:
                await serve(settings, redis=client, http=http, stop=stop)
            finally:
                await client.aclose()

    asyncio.run(main())
