"""What every long-running consumer process does the same way: expose metrics, stop on signals, hold clients."""
from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

from schemas.settings import Settings


def expose_metrics(settings: Settings) -> None:
    """Serve /metrics on 127.0.0.1:<metrics_port> when one is set (Prometheus scrapes it)."""
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr="127.0.0.1")


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM; call from inside the running loop."""
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    return stop


def serve_with_clients(settings: Settings, serve: Callable[..., Awaitable[None]]) -> None:
    """Expose metrics, then run `serve(redis=..., http=..., stop=...)` until SIGINT/SIGTERM; a Redis client
    and an HTTP client (10 s timeout) are open around it and closed after."""
    import httpx
    import redis.asyncio as redis

    expose_metrics(settings)

    async def main() -> None:
        stop = stop_on_signals()
        client = redis.Redis.from_url(settings.redis_url)
        async with httpx.AsyncClient(timeout=10.0) as http:
            try:
                await serve(redis=client, http=http, stop=stop)
            finally:
                await client.aclose()

    asyncio.run(main())
