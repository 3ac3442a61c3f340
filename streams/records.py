"""Compact, JSON-native copies of envelopes: what the tables keep about each record.

Every record is a dict with `f` (feed), `d` (event date, ISO), `id` (event_id) and `k` (the
natural key, for deterministic same-day order), plus a few figures of its feed.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from schemas.envelope import Envelope

Record = dict[str, Any]


def to_record(event: Envelope) -> Record:
    p = event.payload
    base: Record = {"f": event.feed, "d": event.event_time.isoformat(), "id": event.event_id, "k": event.source_key}
    match p.kind:
        case "roster":
            extra = {"h": p.household_id, "t": p.township_code, "on": p.status == "在保", "inc": p.household_income_fen,
                     "n": p.household_size, "dis": p.basis_disability, "mb": p.monthly_benefit_fen}
        case "medical":
            extra = {"sid": p.settlement_id, "rev": p.is_reversal, "oop": p.out_of_pocket_fen}
        case "disability":
            extra = {"ref": p.certificate_ref, "a": p.action, "g": p.grade}
        case "funeral":
            extra = {"ref": p.record_no}
        case "education":
            extra = {"ref": p.student_ref, "sk": p.student_key, "sm": p.student_masked_id, "net": p.net_cost_fen}
        case "employment":
            extra = {"a": p.action}
        case "disaster":
            extra = {"t": p.township_code, "loss": p.loss_fen}
    return base | extra


def day(record: Record) -> date:
    return date.fromisoformat(record["d"])


def order(record: Record) -> tuple[str, str, str]:
    return (record["d"], record["f"], record["k"])


def live_claims(records: list[Record]) -> list[Record]:
    """Medical claims that count: originals not cancelled by a reversal, in event-time order."""
    reversed_ids = {r["sid"] for r in records if r["f"] == "medical" and r["rev"]}
    return sorted((r for r in records if r["f"] == "medical" and not r["rev"] and r["sid"] not in reversed_ids), key=order)


def window_start(on: date, days: int) -> date:
    """The first day inside the window of `days` ending on `on`: dates in (on - days, on]."""
    return on - timedelta(days=days - 1)


def prune(records: dict[str, Record], horizon: str, reach_days: int) -> tuple[dict[str, Record], str | None]:
    """Forget records dated before the horizon, but the last roster row before it.

    Returns the kept records and the first day whose judgement no dropped record can touch any
    more (None when nothing was dropped): alerts before that day are frozen.
    """
    kept = {eid: r for eid, r in records.items() if r["d"] >= horizon}
    old_roster = [r for r in records.values() if r["f"] == "roster" and r["d"] < horizon]
    if old_roster:
        last = max(old_roster, key=order)
        kept[last["id"]] = last
    # a reversal must outlive its original; keep both while either is still inside
    live_sids = {r["sid"] for r in kept.values() if r["f"] == "medical"}
    kept.update({eid: r for eid, r in records.items() if r["f"] == "medical" and r["sid"] in live_sids})
    dropped = [r for eid, r in records.items() if eid not in kept]
    if not dropped:
        return records, None
    reach = [(day(r) + timedelta(days=reach_days)).isoformat() for r in dropped if r["f"] != "roster"]
    reach += [last["d"] for r in dropped if r["f"] == "roster"]  # superseded rows only ever answered earlier days
    return kept, max(reach)
