"""The inbox's live feed: a case opened between the page and its stream is still sent (a race seen in CI)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consumers.cases.auth import User
from consumers.notifier.routing import RoutingConfig
from consumers.web.live import inbox_events

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
ROUTING = RoutingConfig(fallback_group="city", groups={"city": {}})
WORKER = User(user="caseworker1", role="caseworker", township_code="340403001")


def row(case_id: str, opened: datetime) -> dict:
    return {"case_id": case_id, "kind": "warning_report", "category": "channel", "subject": None,
            "township_code": "340403001", "state": "open", "severity": None, "opened_at": opened.isoformat(),
            "sla_due": (opened + timedelta(days=3)).isoformat(), "escalated": False, "version": 1, "withdrawn": False,
            "channel": "warning_report", "assignee": None, "source": "warning_report"}


class Cases:
    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows

    async def list(self, token: str) -> list[dict]:
        return self.rows


class Inboxes:
    async def xrevrange(self, stream, count):
        return []

    async def xread(self, streams, block, count):
        return []


async def first_round(rendered: datetime | None) -> list[str]:
    cases = Cases([row("old", NOW - timedelta(days=1)), row("raced", NOW + timedelta(seconds=1))])
    stream = inbox_events(WORKER, "t", cases=cases, redis=Inboxes(), routing=ROUTING, now=lambda: NOW,
                          rendered=rendered)
    lines = []
    async for chunk in stream:
        lines.append(chunk)
        if chunk.startswith(": keep-alive"):
            break
    return [c for c in lines if c.startswith("event: case")]


async def test_a_case_opened_after_the_page_was_rendered_is_sent_as_new():
    sent = await first_round(rendered=NOW)
    assert len(sent) == 1 and '"case_id": "raced"' in sent[0] and '"new": true' in sent[0]


async def test_without_the_pages_time_nothing_already_there_is_sent_again():
    assert await first_round(rendered=None) == []
