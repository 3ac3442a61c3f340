"""Which alerts stand for a subject: diff what the rules say now against what was raised before."""
from __future__ import annotations

from dataclasses import dataclass

from streams.firing import Firing


@dataclass(frozen=True)
class Changes:
    raise_: list[Firing]  # new, or changed content under the same id
    withdraw: list[dict]  # alert JSON of alerts that no longer hold


def diff(raised: dict[str, dict], firings: list[Firing], frozen_before: str) -> Changes:
    """`raised`: alert_id -> {"fp": fingerprint, "alert": alert JSON}.

    Alerts older than `frozen_before` are past what pruned state can re-judge: they stay as they are.
    """
    now = {f.alert_id: f for f in firings}
    to_raise = [f for aid, f in now.items() if aid not in raised or raised[aid]["fp"] != f.fingerprint()]
    to_withdraw = [entry["alert"] for aid, entry in raised.items()
                   if aid not in now and entry["alert"]["event_time"] >= frozen_before]
    return Changes(sorted(to_raise, key=lambda f: f.order), to_withdraw)


def apply(raised: dict[str, dict], changes: Changes, alerts: dict[str, dict], horizon: str) -> dict[str, dict]:
    """The new raised map: `alerts` holds the JSON of what was just sent, by id."""
    withdrawn = {a["alert_id"] for a in changes.withdraw}
    kept = {aid: e for aid, e in raised.items() if aid not in withdrawn and e["alert"]["event_time"] >= horizon}
    for f in changes.raise_:
        kept[f.alert_id] = {"fp": f.fingerprint(), "alert": alerts[f.alert_id]}
    return kept
