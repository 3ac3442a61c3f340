"""`safetynet intake`: serve the public channel API (OpenAPI at /docs) with uvicorn."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import click

from schemas.settings import Settings, load_service_settings


def serving_app(settings: Settings):
    """The intake app with a Kafka publisher started and stopped by the server's lifespan."""
    from producers.intake import KafkaPublisher, create_intake_app
    from producers.publish import ensure_topics

    publisher = KafkaPublisher(settings)
    app = create_intake_app(settings, publisher)

    @asynccontextmanager
    async def lifespan(_app) -> AsyncIterator[None]:
        await ensure_topics(settings, feeds=())  # the compacted vault; channel.requests auto-creates
        async with publisher:
            yield

    app.router.lifespan_context = lifespan
    return app


@click.command()
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML settings file (otherwise SAFETYNET_* environment variables).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8030, show_default=True, type=int)
def intake(config: Path | None, host: str, port: int) -> None:
    """Serve the public channels: hotline, applications, tip-offs, 我要预警."""
    import uvicorn

    from prometheus_client import start_http_server

    settings = load_service_settings(config)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr="127.0.0.1")
    uvicorn.run(serving_app(settings), host=host, port=port)
