"""Topic records as ClickHouse rows: pure functions of the JSON dicts, picking named fields only.

Whatever a producer adds later never reaches ClickHouse by accident: a column is filled only from a
field named here, and feed payloads give only their `_fen` figures and the categorical ATTRIBUTES.
"""
from __future__ import annotations

COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("feed", "event_id", "kind", "person_key", "household_id", "township_code", "event_time",
               "ingested_at", "amount_fen", "attributes", "figures"),
    "alerts": ("alert_id", "rule", "kind", "severity", "person_key", "household_id", "township_code", "event_time",
               "triggered_at", "rule_version", "evidence_feeds", "top_figure"),
    "alert_withdrawals": ("alert_id", "rule", "township_code", "withdrawn_at"),
    "case_events": ("case_id", "version", "event_type", "to_state", "source", "alert_id", "rule", "person_key",
                    "township_code", "actor", "at", "verdict", "resolution", "monthly_benefit_fen"),
    "notifications": ("notification_id", "group_name", "person_key", "township_code", "severity", "escalated",
                      "rules", "alert_ids", "created_at", "delivered_at", "outcome"),
}
MAIN_FIGURE = {"roster": "monthly_benefit_fen", "medical": "out_of_pocket_fen", "disaster": "loss_fen",
               "vehicle": "purchase_price_fen", "business": "registered_capital_fen"}
ATTRIBUTES = ("category", "status", "relation", "visit_type", "action", "grade", "disability_grade", "stage",
              "school_year", "hazard", "is_reversal", "basis_disability", "household_size",
              # version 2 feeds: categorical fields only (plates, unit numbers and credit codes never)
              "monitor_type", "risk_type", "destination_code", "vehicle_type", "use", "entity_type")
Row = dict  # column -> JSON value; times stay ISO strings
Values = tuple  # the same row as values in COLUMNS order: what the sink buffers and inserts

_PAYLOAD_KEYS: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _payload_keys(p: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(money keys in payload order, attribute keys in ATTRIBUTES order) for a payload's key set, cached:
    a feed's payloads share a handful of shapes, so the string checks run once per shape, not per row."""
    shape = tuple(p)
    keys = _PAYLOAD_KEYS.get(shape)
    if keys is None:
        if len(_PAYLOAD_KEYS) >= 4096:  # unexpected shapes must not grow the cache without bound
            _PAYLOAD_KEYS.clear()
        keys = _PAYLOAD_KEYS[shape] = (tuple(k for k in shape if k.endswith("_fen")),
                                       tuple(k for k in ATTRIBUTES if k in p))
    return keys


def event_values(e: dict) -> Values:
    p = e["payload"]
    fen_keys, attr_keys = _payload_keys(p)
    figures = {k: v for k in fen_keys if type(v := p[k]) is int}
    kind = p["kind"]
    if kind == "education":
        figures["net_cost_fen"] = p["tuition_fen"] + p["boarding_fen"] - p["aid_fen"]
    feed = e["feed"]
    return (feed, e["event_id"], kind, e["person_key"], e.get("household_id"),
            e.get("township_code") or p.get("township_code") or "", e["event_time"], e["ingested_at"],
            figures.get(MAIN_FIGURE.get(feed, "net_cost_fen"), 0),
            {k: str(v) for k in attr_keys if (v := p[k]) is not None}, figures)


def alert_values(a: dict) -> Values:
    figures = [x["figure"] for x in a["evidence"] if x.get("figure") is not None]
    return (a["alert_id"], a["rule"], a["kind"], a["severity"], a["person_key"], a.get("household_id"),
            a.get("township_code") or "", a["event_time"], a["triggered_at"], a["rule_version"],
            sorted({x["feed"] for x in a["evidence"]}), max(figures) if figures else None)


def withdrawal_values(a: dict) -> Values:
    return (a["alert_id"], a["rule"], a.get("township_code") or "", a["triggered_at"])


def case_values(data: dict) -> Values:
    """One row per case event (schemas.cases.CaseEventRecord); only PII-free fields are kept."""
    e = data["event"]
    opened = e["type"] == "opened"
    from_alert = opened and e["category"] in ("risk", "audit")
    benefit = next((x.get("figure") or 0 for x in e.get("evidence") or [] if x["feed"] == "roster"), 0) if opened else 0
    return (e["case_id"], int(e["version"]), e["type"], e.get("to_state") or ("open" if opened else ""),
            ("alert" if from_alert else _channel(e)) if opened else "",
            e["source_id"] if from_alert else "", e["kind"] if from_alert else "",
            e.get("person_key") or "", e.get("township_code") or "",
            e["actor"], e["at"], e.get("verdict") or "", resolution_of(e), round(benefit * 100))


def resolution_of(e: dict) -> str:
    """What was done; a case closed because its alerts were withdrawn is `withdrawn` (counted apart)."""
    if e.get("resolution"):
        return e["resolution"]
    return "withdrawn" if e["type"] == "transitioned" and e.get("note") == "预警撤回" else ""


def _channel(opened: dict) -> str:
    """The channel a case came from, also when its caller was never matched (kind identify_person)."""
    actor = opened["actor"]
    return actor.removeprefix("channel.") if actor.startswith("channel.") else opened["kind"]


def notification_values(n: dict) -> Values:
    return (n["notification_id"], n["group"], n["person_key"], n.get("township_code") or "", n["severity"],
            int(bool(n.get("escalated"))), n["rules"], n["alert_ids"], n["created_at"], n["delivered_at"],
            n["outcome"])


def event_row(e: dict) -> Row:
    return dict(zip(COLUMNS["events"], event_values(e)))


def alert_row(a: dict) -> Row:
    return dict(zip(COLUMNS["alerts"], alert_values(a)))


def withdrawal_row(a: dict) -> Row:
    return dict(zip(COLUMNS["alert_withdrawals"], withdrawal_values(a)))


def case_row(data: dict) -> Row:
    """One row per case event (schemas.cases.CaseEventRecord); only PII-free fields are kept."""
    return dict(zip(COLUMNS["case_events"], case_values(data)))


def notification_row(n: dict) -> Row:
    return dict(zip(COLUMNS["notifications"], notification_values(n)))
