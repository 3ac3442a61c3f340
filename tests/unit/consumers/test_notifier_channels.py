"""Webhook delivery: Idempotency-Key, retries with exponential backoff, dead letter after N failures."""
from __future__ import annotations

from datetime import date, datetime, timezone

import httpx
import pytest

from consumers.notifier.channels import DeliveryError, Retry, WebhookChannel, send_with_retry
from consumers.notifier.grouping import notify
from consumers.notifier.routing import Route
from schemas.alerts import Alert

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
URL = "https://hooks.example/caseworkers"


def notification():
    alert = Alert(alert_id="a1", rule="medical_burden", kind="risk", severity="high", subject="340403********123X",
                  person_key="a" * 64, event_time=date(2026, 3, 2), triggered_at=T0, rule_version="1", evidence=[])
    return notify(Route(group="east", members=("e1",)), [alert], T0)


class Webhook:
    """A receiver that answers from a script of status codes (or raises), then 200."""

    def __init__(self, script: list[int | Exception]) -> None:
        self.script, self.requests = list(script), []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step)


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def send(script: list, retry: Retry = Retry(attempts=4, base_delay=0.5)):
    hook, sleeps = Webhook(script), Sleeps()
    async with httpx.AsyncClient(transport=httpx.MockTransport(hook)) as client:
        receipt = await send_with_retry(WebhookChannel(client, URL), notification(), retry, sleep=sleeps)
    return receipt, hook, sleeps


async def test_delivers_with_the_notification_id_as_idempotency_key() -> None:
    receipt, hook, sleeps = await send([])
    assert (receipt.outcome, receipt.attempts, sleeps) == ("delivered", 1, [])
    [request] = hook.requests
    assert request.headers["Idempotency-Key"] == notification().notification_id
    assert request.method == "POST" and b'"alert_id":"a1"' in request.content


async def test_retries_with_exponential_backoff_then_delivers() -> None:
    receipt, hook, sleeps = await send([503, httpx.ConnectError("refused"), 429])
    assert (receipt.outcome, receipt.attempts) == ("delivered", 4)
    assert sleeps == [0.5, 1.0, 2.0]
    assert {r.headers["Idempotency-Key"] for r in hook.requests} == {notification().notification_id}


async def test_dead_letter_after_the_last_attempt() -> None:
    receipt, hook, sleeps = await send([500] * 10)
    assert (receipt.outcome, receipt.attempts, len(hook.requests)) == ("dead_letter", 4, 4)
    assert "HTTP 500" in receipt.error and sleeps == [0.5, 1.0, 2.0]


async def test_a_client_error_is_not_retried() -> None:
    receipt, hook, sleeps = await send([400])
    assert (receipt.outcome, len(hook.requests), sleeps) == ("dead_letter", 1, [])


def test_backoff_is_capped() -> None:
    assert [Retry(base_delay=1, max_delay=5).delay(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_delivery_error_says_whether_to_retry() -> None:
    assert DeliveryError("x", retryable=True).retryable
    with pytest.raises(TypeError):
        DeliveryError("x")  # the caller must decide
