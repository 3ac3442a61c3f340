"""Our status callbacks to the 12345 platform: signed like its pushes, retried until it answers.

POST <hotline_callback_url>  HotlineCallback JSON, headers X-12345-Timestamp / X-12345-Signature
answered = HTTP 2xx and, when the body is JSON with a `code`, code 0. Anything else is retried.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from consumers.notifier.channels import DeliveryError, Retry
from consumers.replies import metrics
from consumers.replies.status import HotlineCallback
from producers.hotline12345 import signed_headers

log = logging.getLogger(__name__)
UNTIL_ANSWERED = Retry(attempts=1_000_000, base_delay=0.5, max_delay=60.0)


class HotlinePlatform:
    def __init__(self, client: httpx.AsyncClient, url: str, secret: bytes,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.client, self.url, self.secret, self.now = client, url, secret, now

    async def send(self, callback: HotlineCallback) -> None:
        body = callback.model_dump_json().encode()
        try:
            response = await self.client.post(self.url, content=body,
                                              headers=signed_headers(self.secret, body, self.now()))
        except httpx.TransportError as exc:
            raise DeliveryError(f"12345 callback: {exc!r}", retryable=True) from exc
        if response.status_code >= 300:
            raise DeliveryError(f"12345 callback: HTTP {response.status_code}", retryable=True)
        code = _code(response)
        if code not in (None, 0):
            raise DeliveryError(f"12345 callback: code {code}", retryable=True)


async def until_answered(platform: HotlinePlatform, callback: HotlineCallback, retry: Retry = UNTIL_ANSWERED,
                         sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> int:
    """Send until the platform answers; returns the number of attempts. Every ticket is answered."""
    for attempt in range(1, retry.attempts + 1):
        try:
            await platform.send(callback)
        except DeliveryError as exc:
            metrics.REPLIES.labels("12345", "retry").inc()
            log.warning("%s (ticket callback %s, attempt %d)", exc, callback.callback_id, attempt)
            await sleep(retry.delay(attempt))
        else:
            metrics.REPLIES.labels("12345", "answered").inc()
            return attempt
    raise DeliveryError(f"12345 never answered callback {callback.callback_id}", retryable=False)


def _code(response: httpx.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) and isinstance(body.get("code"), int) else None
