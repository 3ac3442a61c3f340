"""Routing: township -> group, county default, fallback, escalation to supervisors."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from consumers.notifier.routing import RoutingConfig, load_routing, route
from schemas.alerts import Alert

REPO = Path(__file__).resolve().parents[3]
CONFIG = RoutingConfig.model_validate({
    "fallback_group": "desk",
    "groups": {"desk": {"members": ["d"]}, "east": {"members": ["e1", "e2"]}, "rest": {"members": ["r"]}},
    "counties": {"340403": {"default_group": "rest", "supervisors": ["sup"], "townships": {"340403001": "east"}}},
})


def alert(township: str | None, severity: str = "high") -> Alert:
    return Alert(alert_id="a1", rule="medical_burden", kind="risk", severity=severity, subject="340403********123X",
                 person_key="a" * 64, township_code=township, event_time=date(2026, 3, 2),
                 triggered_at=datetime(2026, 3, 2, tzinfo=timezone.utc), rule_version="1", evidence=[])


@pytest.mark.parametrize(("township", "group", "members"), [
    ("340403001", "east", ("e1", "e2")),   # named township
    ("340403009", "rest", ("r",)),         # county default
    ("999999001", "desk", ("d",)),         # unknown county
    (None, "desk", ("d",)),                # no township at all
])
def test_route_picks_the_group(township, group, members) -> None:
    chosen = route(alert(township), CONFIG)
    assert (chosen.group, chosen.members, chosen.escalate_to) == (group, members, ())


def test_critical_alerts_escalate_to_county_supervisors() -> None:
    assert route(alert("340403001", "critical"), CONFIG).escalate_to == ("sup",)
    assert route(alert(None, "critical"), CONFIG).escalate_to == ()  # no county, nobody to escalate to


def test_undefined_groups_are_refused() -> None:
    with pytest.raises(ValidationError, match="not defined"):
        RoutingConfig.model_validate({"fallback_group": "nope", "groups": {}})


def test_shipped_routing_file_loads() -> None:
    config = load_routing(REPO / "infra" / "routing.yaml")
    assert route(alert("340404007"), config).group == "xiejiaji"
