"""The services a browser needs, served for real on free ports from one background thread.

    case tracker API + loop (create_cases_app)   intake API (serving_app)   web pages (create_web_app)

One asyncio loop in a thread runs the three uvicorn servers, so Playwright's sync API (which owns
the main thread's loop) and the servers never share a loop.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import redis
import uvicorn

from schemas.settings import Settings


def isolated(stack: Settings, db: int, data_dir: Path) -> Settings:
    """Own topics (prefix), own Redis database (flushed), own data_dir for photos."""
    url = urlunsplit(urlsplit(stack.redis_url)._replace(path=f"/{db}"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return stack.model_copy(update={"topic_prefix": f"w{uuid4().hex[:10]}.", "redis_url": url, "data_dir": data_dir})


class Services:
    """`with Services(settings) as s:` -> s.web_url, s.cases_url, s.intake_url serving until exit."""

    def __init__(self, settings: Settings, start_timeout: float = 90.0, **web_options: object) -> None:
        self.settings, self.start_timeout, self.web_options = settings, start_timeout, web_options
        self.sockets = {name: _free_socket() for name in ("cases", "intake", "web")}
        self.urls = {name: f"http://127.0.0.1:{s.getsockname()[1]}" for name, s in self.sockets.items()}
        self.servers: list[uvicorn.Server] = []
        self.failure: BaseException | None = None

    web_url = property(lambda self: self.urls["web"])
    cases_url = property(lambda self: self.urls["cases"])
    intake_url = property(lambda self: self.urls["intake"])

    def __enter__(self) -> Services:
        self.thread = threading.Thread(target=self._run, name="web-services", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not (self.servers and all(s.started for s in self.servers)):
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"services did not start: {self.failure!r}")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.should_exit = True
        self.thread.join(30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 (reported by __enter__)
            self.failure = exc

    async def _serve(self) -> None:
        from consumers.cases.api import create_cases_app
        from consumers.web.app import create_web_app
        from producers.intake_cli import serving_app

        apps = {"cases": create_cases_app(self.settings), "intake": serving_app(self.settings),
                "web": create_web_app(self.settings, cases_url=self.cases_url, intake_url=self.intake_url,
                                      **self.web_options)}
        self.servers = [uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                                      timeout_graceful_shutdown=2)) for app in apps.values()]
        await asyncio.gather(*(server.serve(sockets=[self.sockets[name]])
                               for server, name in zip(self.servers, apps)))


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock
