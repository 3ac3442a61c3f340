"""Dedup stage: alerts already delivered, and repeats in a batch, are dropped."""
from __future__ import annotations

from datetime import date, datetime, timezone

from consumers.notifier.dedup import dedup
from schemas.alerts import Alert


def alert(alert_id: str) -> Alert:
    return Alert(alert_id=alert_id, rule="medical_burden", kind="risk", severity="high",
                 subject="340403********123X", person_key="a" * 64, event_time=date(2026, 3, 2),
                 triggered_at=datetime(2026, 3, 2, tzinfo=timezone.utc), rule_version="1", evidence=[])


class FakeDeliveryLog:
    def __init__(self, delivered: set[str]) -> None:
        self.done = delivered

    async def delivered(self, alert_ids: list[str]) -> set[str]:
        return self.done & set(alert_ids)


async def test_dedup_drops_delivered_and_repeated() -> None:
    kept = await dedup(FakeDeliveryLog({"a1"}))([alert("a1"), alert("a2"), alert("a2"), alert("a3")])
    assert [a.alert_id for a in kept] == ["a2", "a3"]
