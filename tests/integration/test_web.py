"""The web pages over real HTTP, without a browser: CSRF, size limits, 403s, the live feed's scope.

Sync tests against servers in a background thread (tests/browser/services.py), so they run the
same before or after the Playwright tests.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import redis

from consumers.web.security import MAX_PHOTO_BYTES
from schemas.settings import Settings
from tests.browser.services import Services, isolated

REDIS_DB = 14
WARNING = {"reporter": "网格员王五", "subject_name": "李四", "subject_phone": "13912345678",
           "township_code": "340403001", "situation": "独居老人摔伤无人照料"}


@pytest.fixture(scope="module")
def services(stack: Settings, tmp_path_factory) -> Iterator[Services]:
    with Services(isolated(stack, REDIS_DB, tmp_path_factory.mktemp("web"))) as running:
        yield running


@pytest.fixture(scope="module")
def case_id(services: Services) -> str:
    """One 我要预警 case in township 340403001, moved to `visiting` by caseworker1."""
    with browser(services) as client:
        token, idem = form_token(client, "/warning")
        response = client.post("/warning", data={**WARNING, "csrf_token": token, "idem": idem})
        assert response.status_code == 200 and "预警已上报" in response.text
    with httpx.Client(base_url=services.cases_url) as api:
        me = {"Authorization": "Bearer " + api.post("/api/login", json={
            "user": "caseworker1", "password": "caseworker1-demo"}).json()["token"]}
        deadline = time.monotonic() + 45
        while not (cases := api.get("/api/cases", headers=me).json()):
            assert time.monotonic() < deadline, "the tracker never opened the case"
            time.sleep(0.2)
        case = cases[0]["case_id"]
        for to in ("assigned", "visiting"):
            assert api.post(f"/api/cases/{case}/transition", json={"to": to}, headers=me).status_code == 200
    return case


def browser(services: Services) -> httpx.Client:
    return httpx.Client(base_url=services.web_url, follow_redirects=False, timeout=20)


def form_token(client: httpx.Client, path: str) -> tuple[str, str]:
    """(csrf_token, idempotency key) of the form on `path`; the GET also sets the CSRF cookie."""
    html = client.get(path).text
    idem = re.search(r'name="idem" value="([0-9a-f]{32})"', html)
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1], idem[1] if idem else ""


@contextmanager
def logged_in(services: Services, user: str) -> Iterator[httpx.Client]:
    with browser(services) as client:
        token, _ = form_token(client, "/login")
        response = client.post("/login", data={"user": user, "password": f"{user}-demo", "csrf_token": token})
        assert response.status_code == 303, response.text
        yield client


def test_a_post_without_this_browsers_csrf_token_is_refused(services: Services) -> None:
    with browser(services) as client, browser(services) as other:
        token, _ = form_token(client, "/login")
        stolen, _ = form_token(other, "/login")
        creds = {"user": "caseworker1", "password": "caseworker1-demo"}
        assert client.post("/login", data=creds).status_code == 403
        refused = client.post("/login", data={**creds, "csrf_token": stolen})  # signed, but for another browser
        assert refused.status_code == 403 and "CSRF" in refused.text
        assert "sn_session" not in refused.headers.get("set-cookie", "")

        accepted = client.post("/login", data={**creds, "csrf_token": token})
        assert (accepted.status_code, accepted.headers["location"]) == (303, "/console")
        cookie = accepted.headers["set-cookie"]
        assert "sn_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "script-src 'self'" in accepted.headers["content-security-policy"]


def test_bodies_over_the_limits_are_413_and_photos_must_be_small_jpeg_or_png(services: Services,
                                                                            case_id: str) -> None:
    with browser(services) as anonymous:
        token, idem = form_token(anonymous, "/warning")
        big = anonymous.post("/warning", data={**WARNING, "situation": "很" * 30_000, "csrf_token": token})
        assert big.status_code == 413 and "提交内容过大" in big.text
        assert "网格员王五" in big.text and 'value="340403001" selected' in big.text  # what was typed is kept
    with logged_in(services, "caseworker1") as worker:
        token, _ = form_token(worker, f"/console/cases/{case_id}")
        fields = {"csrf_token": token, "visit_date": "2026-03-03", "findings": "见到医疗票据", "verdict": "confirmed"}
        url = f"/console/cases/{case_id}/survey"
        huge = worker.post(url, data=fields, files={"photos": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 7_000_000,
                                                               "image/png")})
        assert huge.status_code == 413
        large = worker.post(url, data=fields, files={"photos": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * MAX_PHOTO_BYTES,
                                                                "image/png")})
        assert large.status_code == 422 and "照片不能超过 2 MiB" in large.text
        gif = worker.post(url, data=fields, files={"photos": ("a.png", b"GIF89a" + b"0" * 100, "image/png")})
        assert gif.status_code == 422 and "只能上传 JPEG 或 PNG" in gif.text
        assert "走访中" in worker.get(f"/console/cases/{case_id}").text  # nothing was recorded


def test_another_township_gets_403_pages_and_caseworkers_no_overview(services: Services, case_id: str) -> None:
    with logged_in(services, "caseworker2") as neighbour:
        page = neighbour.get(f"/console/cases/{case_id}")
        assert page.status_code == 403 and "无权访问" in page.text
        token, _ = form_token(neighbour, "/console")
        reveal = neighbour.post(f"/console/cases/{case_id}/reveal", data={"reason": "好奇", "csrf_token": token})
        assert reveal.status_code == 403 and "李四" not in reveal.text
        assert neighbour.get(f"/console/cases/{case_id}/photos/{'0' * 20}.png").status_code == 403
        assert neighbour.get("/overview").status_code == 403
    with browser(services) as anonymous:
        assert anonymous.get("/console").headers["location"] == "/login"
        anonymous.cookies.set("sn_session", "forged.token.value")
        assert anonymous.get(f"/console/cases/{case_id}").headers["location"] == "/login"


def test_id_numbers_are_posted_never_put_in_urls(services: Services) -> None:
    with browser(services) as client:
        for path in ("/apply", "/status", "/tip-off", "/warning"):
            html = client.get(path).text
            assert re.search(rf'<form method="post" action="{path}"', html), path
        echoed = client.get("/status", params={"id_number": "34040319800101123X"})
        assert "34040319800101123X" not in echoed.text


def test_the_live_feed_pushes_this_townships_notifications_only(services: Services, case_id: str) -> None:
    inbox = redis.Redis.from_url(services.settings.redis_url)
    with logged_in(services, "caseworker1") as worker, worker.stream("GET", "/console/events") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 3000"
        for township, subject in (("340403002", "340403********0002"), ("340403001", "340403********0001")):
            inbox.xadd("inbox:tianjia-east", {"notification_id": township, "body": json.dumps(
                {"notification_id": f"n{township}", "subject": subject, "township_code": township,
                 "severity": "high", "alerts": [{"alert_id": f"A{township}", "rule": "medical_burden"}]})})
        seen, deadline = [], time.monotonic() + 20
        for line in lines:
            seen.append(line)
            if line == "event: notification" or time.monotonic() > deadline:
                break
        data = json.loads(next(lines).removeprefix("data: "))
    inbox.close()
    assert data["id"] == "n340403001" and "340403********0001" in data["html"] and "医疗支出负担" in data["html"]
    assert not any("0002" in line for line in seen)


def test_granting_assistance_in_the_console_needs_its_category(services: Services, case_id: str) -> None:
    """Runs last: it takes the shared case on to resolved."""
    with httpx.Client(base_url=services.cases_url) as api:
        me = {"Authorization": "Bearer " + api.post("/api/login", json={
            "user": "caseworker1", "password": "caseworker1-demo"}).json()["token"]}
        survey = {"case_id": case_id, "visit_date": "2026-03-03", "findings": "独居无收入", "verdict": "confirmed"}
        assert api.post(f"/api/cases/{case_id}/survey", json=survey, headers=me).status_code == 200
        assert api.post(f"/api/cases/{case_id}/transition", json={"to": "verified"}, headers=me).status_code == 200
        with logged_in(services, "caseworker1") as client:
            page = f"/console/cases/{case_id}"
            token, _ = form_token(client, page)
            assert "f-category" in client.get(page).text
            form = {"to": "resolved", "resolution": "assistance_granted", "csrf_token": token}
            refused = client.post(f"{page}/transition", data=form)
            assert refused.status_code == 422 and "救助类别" in refused.text
            done = client.post(f"{page}/transition", data={**form, "category": "特困", "monthly_benefit": "950.5"})
            assert done.status_code == 303, done.text
        case = api.get(f"/api/cases/{case_id}", headers=me).json()
        with logged_in(services, "caseworker1") as client:
            assert "月救助金额 950.50 元" in client.get(f"/console/cases/{case_id}").text
        assert (case["resolution"], case["grant"]["category"], case["grant"]["monthly_benefit_fen"]) == (
            "assistance_granted", "特困", 95050)
