"""The console's two backends, over HTTP: the case tracker API and the intake API.

Pages never touch the tracker's store: they call its API with the user's own token, so every read
and write passes the tracker's checks (403 for another township, 409 for a wrong step, audited reveals).
"""
from __future__ import annotations

from datetime import date

import httpx

from schemas.cases import Case


class CasesClient:
    """`/api/...` of `safetynet cases serve`, as the logged-in user."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def login(self, user: str, password: str, client: str | None = None) -> str | None:
        response = await self.http.post("/api/login", json={"user": user, "password": password},
                                        headers=forwarded(client))
        if response.status_code == 401:
            return None
        return _ok(response)["token"]

    async def list(self, token: str, limit: int = 100_000) -> list[dict]:
        """Every case the user may see, newest first (the overview counts them all)."""
        return _ok(await self.http.get("/api/cases", params={"limit": limit}, headers=_bearer(token)))

    async def inbox(self, token: str, *, state: str, source: str, rule: str, page: int, size: int = 50) -> dict:
        """One page in urgency order: {"total", "page", "pages", "size", "by_source", "items"}."""
        params = {"state": state, "source": source, "rule": rule, "page": page, "size": size}
        return _ok(await self.http.get("/api/inbox", params=params, headers=_bearer(token)))

    async def of_alert(self, token: str, alert_id: str) -> dict:
        return _ok(await self.http.get(f"/api/alerts/{alert_id}", headers=_bearer(token)))

    async def related(self, token: str, case_id: str) -> list[dict]:
        return _ok(await self.http.get(f"/api/cases/{case_id}/related", headers=_bearer(token)))

    async def get(self, token: str, case_id: str) -> Case:
        return Case.model_validate(_ok(await self.http.get(f"/api/cases/{case_id}", headers=_bearer(token))))

    async def transition(self, token: str, case_id: str, to: str, *, resolution: str | None = None,
                         grant: dict | None = None, note: str = "") -> Case:
        body = {"to": to, "resolution": resolution, "grant": grant, "note": note}
        return Case.model_validate(_ok(await self.http.post(f"/api/cases/{case_id}/transition", json=body,
                                                            headers=_bearer(token))))

    async def survey(self, token: str, case_id: str, visit_date: date, findings: str, verdict: str) -> Case:
        body = {"case_id": case_id, "visit_date": visit_date.isoformat(), "findings": findings, "verdict": verdict}
        return Case.model_validate(_ok(await self.http.post(f"/api/cases/{case_id}/survey", json=body,
                                                            headers=_bearer(token))))

    async def reveal(self, token: str, case_id: str, reason: str) -> dict:
        return _ok(await self.http.post(f"/api/cases/{case_id}/reveal", json={"reason": reason},
                                        headers=_bearer(token)))


class IntakeClient:
    """`/api/intake/...` of `safetynet intake`: public channels, no user token."""

    PATHS = {"application": "/api/intake/applications", "tip_off": "/api/intake/tip-offs",
             "warning_report": "/api/intake/warnings", "hotline": "/api/intake/hotline"}

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def submit(self, channel: str, body: dict, idempotency_key: str, client: str | None = None) -> dict:
        """The receipt; BackendError(422) with the intake's per-field detail when a field is wrong."""
        response = await self.http.post(self.PATHS[channel], json=body,
                                        headers={"Idempotency-Key": idempotency_key, **forwarded(client)})
        return _ok(response)

    async def status(self, application_no: str, id_number: str | None, client: str | None = None) -> dict:
        response = await self.http.post("/api/intake/applications/status",
                                        json={"application_no": application_no, "id_number": id_number},
                                        headers=forwarded(client))
        return _ok(response)


def forwarded(client: str | None) -> dict[str, str]:
    """The visitor's address for the backend's per-client rate limits (trusted from loopback only)."""
    return {"X-Forwarded-For": client} if client else {}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ok(response: httpx.Response):
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise BackendError(response.status_code, detail)
    return response.json()


class BackendError(Exception):
    """The tracker or intake said no; `status` is its HTTP status, `detail` its explanation."""

    def __init__(self, status: int, detail: object) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail = status, detail


class AnalyticsClient:
    """`POST /query` of the analytics service (it owns the chDB path): rows, or None when it is not running.

    `token()` reads the service's bearer token (a file only the services' OS user can read, new at each
    start of the service), so it is read again for every query."""

    def __init__(self, http: httpx.AsyncClient, token=lambda: None) -> None:
        self.http, self.token = http, token

    async def rows(self, sql: str) -> list[list] | None:
        token = self.token()
        try:
            response = await self.http.post("/query", json={"query": sql},
                                            headers={"Authorization": f"Bearer {token}"} if token else {})
        except httpx.TransportError:
            return None
        return response.json()["rows"] if response.status_code == 200 else None


class PrometheusClient:
    """The Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`); None when it is not running."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def up(self) -> bool:
        try:
            return (await self.http.get("/-/ready")).status_code == 200
        except httpx.TransportError:
            return False

    async def query(self, expr: str, *, start: float | None = None, end: float | None = None,
                    step: float = 60.0) -> list[dict] | None:
        """`result` of an instant query, or of a range query when `start` is given."""
        path, params = ("/api/v1/query", {"query": expr}) if start is None else (
            "/api/v1/query_range", {"query": expr, "start": start, "end": end, "step": step})
        try:
            response = await self.http.get(path, params=params)
        except httpx.TransportError:
            return None
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        return body.get("data", {}).get("result") if body.get("status") == "success" else None
