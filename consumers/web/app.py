"""`create_web_app(settings)`: the server-rendered pages of the console, the public channels and the overview.

    /                       public: 申请救助, 进度查询, 举报, 我要预警 (public.py)
    /hotline                12345 operators: file a ticket, follow it to closure (hotline.py)
    /login, /console        caseworkers: inbox, live feed (live.py), case page and actions (console.py)
    /overview               supervisors: cases by state and SLA per township, trends from ClickHouse (overview.py)
    /operators              the Grafana dashboards' panels drawn from Prometheus (operators.py)

The pages talk to the case tracker API and the intake API over HTTP (backends.py) and to Redis only
to read the notifier's inbox streams and to remember 12345 ticket numbers.
"""
from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from starlette.exceptions import HTTPException as StarletteHTTPException

from consumers.notifier.routing import load_routing
from consumers.web import channel_pages, console, field, hotline, live, operators, overview, public
from consumers.web.backends import AnalyticsClient, BackendError, CasesClient, IntakeClient, PrometheusClient
from consumers.web.photos import PhotoStore
from consumers.analytics.queries_http import read_token
from consumers.web.security import BodyTooLarge, CsrfRejected, Guard
from producers.ratelimit import Limiter, RateLimit, Rule
from consumers.web.views import HERE, error_page
from schemas.settings import Settings

CASES_URL = "http://127.0.0.1:8040"
INTAKE_URL = "http://127.0.0.1:8030"
GRAFANA_URL = "http://127.0.0.1:3000"
PROMETHEUS_URL = "http://127.0.0.1:9090"
REACHABLE_TTL_S = 30.0
ROUTING = Path(__file__).resolve().parents[2] / "infra" / "routing.yaml"
# per visitor address (producers/ratelimit.py); the intake and the tracker count the same visitor again
LIMITS = [Rule("web-login", r"/login", requests=30, seconds=300),
          Rule("web-status", r"/status", requests=10, seconds=60),
          Rule("web-forms", r"/(apply|tip-off|warning|hotline|hotline/lookup)", requests=30, seconds=60)]


def create_web_app(settings: Settings, *, cases_url: str = CASES_URL, intake_url: str = INTAKE_URL,
                   grafana_url: str = GRAFANA_URL, prometheus_url: str = PROMETHEUS_URL,
                   analytics_url: str | None = None, routing_file: Path = ROUTING, secure_cookies: bool = False,
                   clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> FastAPI:
    """The web app; its lifespan opens the HTTP clients of its backends and a Redis client. Analytics:
    the analytics service's query port on loopback unless `analytics_url` says otherwise."""
    analytics_url = analytics_url or f"http://127.0.0.1:{settings.analytics_query_port}"
    app = FastAPI(title="safetynet web", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_clients(settings, cases_url, intake_url, prometheus_url, analytics_url))
    app.state.settings, app.state.clock, app.state.secure = settings, clock, secure_cookies
    app.state.grafana_url, app.state.routing = grafana_url.rstrip("/"), load_routing(routing_file)
    app.state.prometheus_url = prometheus_url.rstrip("/")
    app.state.photos = PhotoStore(settings.data_dir / "web" / "photos")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (public, hotline, console, live, overview, operators, channel_pages, field):
        app.include_router(module.router)
    _handle_errors(app)
    app.add_middleware(RateLimit, rules=LIMITS, limiter_of=_limiter)
    app.add_middleware(Guard, secure=secure_cookies)
    return app


def _limiter(app) -> Limiter | None:
    redis = getattr(app.state, "redis", None)
    return Limiter(redis, app.state.settings.topic_prefix) if redis is not None else None


def _clients(settings: Settings, cases_url: str, intake_url: str, prometheus_url: str, analytics_url: str):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url)
        async with httpx.AsyncClient(base_url=cases_url, timeout=10.0) as cases, \
                httpx.AsyncClient(base_url=intake_url, timeout=10.0) as intake, \
                httpx.AsyncClient(base_url=prometheus_url, timeout=5.0) as prometheus, \
                httpx.AsyncClient(base_url=analytics_url, timeout=20.0) as analytics, \
                httpx.AsyncClient(timeout=1.0) as probe:
            app.state.cases, app.state.intake, app.state.redis = CasesClient(cases), IntakeClient(intake), redis
            app.state.prometheus, app.state.analytics = PrometheusClient(prometheus), AnalyticsClient(
                analytics, lambda: read_token(settings.data_dir))
            app.state.reachable = _reachable(probe)
            try:
                yield
            finally:
                await redis.aclose()

    return lifespan


def _reachable(probe: httpx.AsyncClient) -> Callable:
    """Does a server answer? Pages link only to servers that do (remembered for REACHABLE_TTL_S)."""
    seen: dict[str, tuple[float, bool]] = {}

    async def reachable(url: str) -> bool:
        now = time.monotonic()
        if url in seen and now - seen[url][0] < REACHABLE_TTL_S:
            return seen[url][1]
        try:
            answer = (await probe.get(url)).status_code < 500
        except httpx.HTTPError:
            answer = False
        seen[url] = (now, answer)
        return answer

    return reachable


def _handle_errors(app: FastAPI) -> None:
    async def csrf(request: Request, exc: CsrfRejected):
        return error_page(request, 403, "页面已过期或来源不明（CSRF 校验失败）。请刷新页面后重新提交。")

    async def too_large(request: Request, exc: BodyTooLarge):
        return error_page(request, 413)

    async def backend(request: Request, exc: BackendError):
        if exc.status == 401:
            return error_page(request, 401, "登录已过期，请重新登录。")
        if exc.status == 403 and isinstance(exc.detail, str):
            return error_page(request, 403, exc.detail)  # the tracker names the real reason, in Chinese
        return error_page(request, exc.status if exc.status in (403, 404, 409, 429) else 503)

    async def unreachable(request: Request, exc: httpx.TransportError):
        return error_page(request, 503)

    async def http_error(request: Request, exc: StarletteHTTPException):
        return error_page(request, exc.status_code)

    async def login_first(request: Request, exc: console.LoginRequired):
        return RedirectResponse("/login", status_code=303)

    app.add_exception_handler(console.LoginRequired, login_first)
    app.add_exception_handler(CsrfRejected, csrf)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_exception_handler(BackendError, backend)
    app.add_exception_handler(httpx.TransportError, unreachable)
    app.add_exception_handler(StarletteHTTPException, http_error)
