"""Inhibition: a deceased recipient silences risk alerts; an open case silences its rule's repeats."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from consumers.notifier.inhibit import inhibit, inhibited_by
from schemas.alerts import Alert

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
KIND = {"deceased_recipient": "audit", "disability_mismatch": "audit"}


def alert(alert_id: str, rule: str, person: str = "a") -> Alert:
    return Alert(alert_id=alert_id, rule=rule, kind=KIND.get(rule, "risk"), severity="high",
                 subject="340403********123X", person_key=person * 64, event_time=date(2026, 3, 2),
                 triggered_at=T0, rule_version="1", evidence=[])


@pytest.mark.parametrize(("candidate", "open_rules", "reason"), [
    (alert("m1", "medical_burden"), {}, None),
    (alert("m1", "medical_burden"), {"deceased_recipient": "d1"}, "deceased"),
    (alert("x1", "disability_mismatch"), {"deceased_recipient": "d1"}, None),  # audits still go out
    (alert("m2", "medical_burden"), {"medical_burden": "m1"}, "case_open"),
    (alert("m1", "medical_burden"), {"medical_burden": "m1"}, None),  # the opener itself, read again
    (alert("e1", "education_burden"), {"medical_burden": "m1"}, None),
])
def test_inhibited_by(candidate: Alert, open_rules: dict, reason: str | None) -> None:
    assert inhibited_by(candidate, open_rules) == reason


class FakeOpenCases:
    """Dict-backed stand-in for the Redis hash per person."""

    def __init__(self, state: dict[str, dict[str, str]]) -> None:
        self.state = state

    async def of(self, person_keys: set[str]) -> dict[str, dict[str, str]]:
        return {p: dict(self.state.get(p, {})) for p in person_keys}


async def test_stage_silences_and_reports() -> None:
    silenced: list[tuple[str, str]] = []
    stage = inhibit(FakeOpenCases({"b" * 64: {"income_shock": "i0"}}), lambda a, r: silenced.append((a.alert_id, r)))
    batch = [alert("d1", "deceased_recipient"), alert("m1", "medical_burden"),      # same batch: d1 silences m1
             alert("i1", "income_shock", "b"), alert("e1", "education_burden", "b")]
    kept = await stage(batch)
    assert [a.alert_id for a in kept] == ["d1", "e1"]
    assert silenced == [("m1", "deceased"), ("i1", "case_open")]
