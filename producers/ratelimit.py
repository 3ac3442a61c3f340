"""Per-client rate limits for every HTTP edge (intake, the case tracker's login, the web pages).

Counted in Redis, so every instance of a service shares the count, in fixed windows:

    <prefix>ratelimit:<rule>:<who>:<window number>   INCR, EXPIRE after the window
    over `requests` in the window -> 429 with Retry-After (seconds to the next window)

`who` is the client address as the server sees it (uvicorn takes X-Forwarded-For only from the
proxies in --forwarded-allow-ips, 127.0.0.1 by default: the web pages forward their visitor's
address to the intake and the tracker). Logins also count failures per user name (see
consumers/cases/api.py), so guessing one account's password from many addresses is slow too.
"""
from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    path: str  # a regular expression the whole request path must match
    requests: int
    seconds: int
    methods: tuple[str, ...] = ("POST",)

    def applies(self, method: str, path: str) -> bool:
        return method in self.methods and re.fullmatch(self.path, path) is not None


def window(now: float, seconds: int) -> tuple[int, int]:
    """(this window's number, whole seconds until the next one)."""
    number = int(now // seconds)
    return number, max(1, math.ceil((number + 1) * seconds - now))


class Limiter:
    """Counts hits per (rule, who) in Redis; `hit` says how long to wait once a client is over."""

    def __init__(self, redis, prefix: str = "", clock: Callable[[], float] = time.time) -> None:
        self.redis, self.prefix, self.clock = redis, prefix, clock

    async def hit(self, name: str, who: str, requests: int, seconds: int) -> int | None:
        """Count one hit; None while within the limit, else the seconds until the window ends."""
        number, left = window(self.clock(), seconds)
        key = f"{self.prefix}ratelimit:{name}:{who}:{number}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, seconds + 1)
            count, _ = await pipe.execute()
        return None if count <= requests else left

    async def over(self, name: str, who: str, requests: int, seconds: int) -> int | None:
        """Like `hit`, without counting: is `who` already over the limit?"""
        number, left = window(self.clock(), seconds)
        count = await self.redis.get(f"{self.prefix}ratelimit:{name}:{who}:{number}")
        return left if count is not None and int(count) >= requests else None


class RateLimit:
    """Pure ASGI middleware: 429 for a client over a rule of `rules`; `limiter_of(app)` gives the Limiter."""

    def __init__(self, app, rules: list[Rule], limiter_of: Callable[[object], Limiter | None]) -> None:
        self.app, self.rules, self.limiter_of = app, rules, limiter_of

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            rule = next((r for r in self.rules if r.applies(scope["method"], scope["path"])), None)
            limiter = self.limiter_of(scope["app"]) if rule and "app" in scope else None
            if rule and limiter is not None:
                who = (scope.get("client") or ("unknown",))[0]
                if (wait := await limiter.hit(rule.name, who, rule.requests, rule.seconds)) is not None:
                    return await too_many(send, wait)
        await self.app(scope, receive, send)


async def too_many(send, wait: int) -> None:
    body = json.dumps({"detail": f"too many requests from this address; try again in {wait} s"},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"retry-after", str(wait).encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RateLimited(Exception):
    def __init__(self, wait: int) -> None:
        super().__init__(f"try again in {wait} s")
        self.wait = wait
