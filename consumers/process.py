"""What every long-running consumer process does the same way: expose metrics, stop on signals."""
from __future__ import annotations

import asyncio
import signal

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
