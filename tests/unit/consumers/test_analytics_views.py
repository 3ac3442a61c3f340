"""The analytics views know every rule of the contract, and version-2 feed rows keep their categories."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import get_args

from consumers.analytics.migrate import discover
from consumers.analytics.sink import event_values, COLUMNS
from schemas.alerts import RuleName
from schemas.envelope import Envelope, VehicleRegistration

AUDITS = {"deceased_recipient", "disability_mismatch", "moved_away", "incarcerated", "vehicle_owner",
          "property_holder", "business_owner"}  # spec section 3, kind audit


def catalog() -> dict[str, str]:
    sql = next(m.sql for m in discover() if m.name == "rules_v2")
    body = sql[sql.index("CREATE VIEW IF NOT EXISTS rule_catalog"):]
    body = body[: body.index(";")]
    return dict(re.findall(r"\('([a-z_]+)', '(risk|audit)'\)", body))


def test_the_rule_catalog_is_the_contracts_thirteen_rules_with_their_kind() -> None:
    rules = catalog()
    assert set(rules) == set(get_args(RuleName)) and len(rules) == 13
    assert {r for r, kind in rules.items() if kind == "audit"} == AUDITS


def test_vehicle_rows_carry_type_and_price_but_not_the_plate() -> None:
    payload = VehicleRegistration(plate_ref="P0123456789abcdef", vehicle_type="小型轿车", action="注册登记",
                                  purchase_price_fen=12_000_000)
    e = Envelope(event_id="v" * 16, feed="vehicle", source_key="P0123456789abcdef|注册登记|2026-03-01",
                 event_time=date(2026, 3, 1), ingested_at=datetime(2026, 3, 2, tzinfo=timezone.utc),
                 person_key="a" * 64, masked_id="340403********123X", payload=payload)
    row = dict(zip(COLUMNS["events"], event_values(e.model_dump(mode="json"))))
    assert row["amount_fen"] == 12_000_000
    assert row["attributes"] == {"action": "注册登记", "vehicle_type": "小型轿车"}
    assert "P0123456789abcdef" not in repr(row)
