"""Public endpoints and logins are limited per client; logins cost the same for unknown users (issue 12, item 4)."""
from __future__ import annotations

import hashlib
import threading

import httpx
from redis.asyncio import Redis

from consumers.cases import api as cases_api
from consumers.cases import auth
from producers.intake import create_intake_app
from schemas.settings import Settings
from test_cases import case_settings, tracker  # noqa: F401 (fixture)
from test_intake import ID_NUMBER


class NoPublisher:
    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        raise AssertionError("a status query publishes nothing")


def client(app, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://t")


async def test_status_queries_are_limited_per_client(case_settings: Settings) -> None:
    redis = Redis.from_url(case_settings.redis_url)
    app = create_intake_app(case_settings, NoPublisher(), redis=redis)
    query = {"application_no": "CR-guess", "id_number": ID_NUMBER}
    try:
        async with client(app, "10.0.0.1") as guesser, client(app, "10.0.0.2") as neighbour:
            answers = [(await guesser.post("/api/intake/applications/status", json=query)).status_code
                       for _ in range(12)]
            assert answers[:10] == [404] * 10 and answers[10:] == [429, 429]
            blocked = await guesser.post("/api/intake/applications/status", json=query)
            assert int(blocked.headers["Retry-After"]) >= 1
            assert (await neighbour.post("/api/intake/applications/status", json=query)).status_code == 404
    finally:
        await redis.aclose()


async def test_logins_are_limited_per_client_and_per_user_name(case_settings: Settings) -> None:
    async with tracker(case_settings) as store:
        app = cases_api.create_cases_app(case_settings, store=store)
        wrong = {"user": "caseworker1", "password": "guess"}
        async with client(app, "10.0.0.3") as a, client(app, "10.0.0.4") as b, client(app, "10.0.0.5") as c:
            tries = [(await (a if i % 2 else b).post("/api/login", json=wrong)).status_code for i in range(10)]
            assert tries == [401] * 10
            right = {"user": "caseworker1", "password": "caseworker1-demo"}
            locked = await c.post("/api/login", json=right)  # a fresh address, the right password: still locked
            assert locked.status_code == 429 and "Retry-After" in locked.headers
            assert (await c.post("/api/login", json={"user": "caseworker2", "password": "caseworker2-demo"})
                    ).status_code == 200
            statuses = [(await c.post("/api/login", json={"user": f"nobody{i}", "password": "x"})).status_code
                        for i in range(40)]
            assert statuses.count(429) >= 10 and 429 not in statuses[:28]


def test_an_unknown_user_costs_one_scrypt_like_a_known_one(monkeypatch) -> None:
    users = {"caseworker1": auth.UserRecord(user="caseworker1", role="caseworker", township_code="340403001",
                                           password_hash=auth.hash_password("right"))}
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(auth.hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert auth.authenticate(users, "nobody", "right") is None
    assert auth.authenticate(users, "caseworker1", "wrong") is None
    assert auth.authenticate(users, "caseworker1", "right") is not None
    assert calls == [1, 1, 1]


async def test_password_hashing_runs_off_the_event_loop(case_settings: Settings, monkeypatch) -> None:
    threads = []
    real = cases_api.authenticate
    monkeypatch.setattr(cases_api, "authenticate", lambda *a: threads.append(threading.current_thread()) or real(*a))
    async with tracker(case_settings) as store:
        app = cases_api.create_cases_app(case_settings, store=store)
        async with client(app, "10.0.0.6") as c:
            assert (await c.post("/api/login", json={"user": "auditor1", "password": "auditor1-demo"})).status_code == 200
    assert threads and threads[0] is not threading.main_thread()
