"""Real-estate registry: one row per owner and 取得 or 注销. The unit number travels only as a token,
the same for every co-owner of the unit, so a household's distinct units can be counted."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.cells import area, identifier
from producers.identity import Pseudonymizer
from producers.reader import as_fields, event_id, one_of, parse_date, person, required
from schemas.envelope import Envelope, PropertyRegistration

COLUMNS = {
    "不动产单元号": "unit_no", "身份证号": "id_number", "姓名": "name", "房屋用途": "use",
    "建筑面积": "floor_area", "业务类型": "action", "登记日期": "registered_on",
}
REQUIRED = frozenset({"unit_no", "id_number", "use", "floor_area", "action", "registered_on"})
IDENTITIES = (("id_number", "name"),)
USES = frozenset({"住宅", "商业", "办公", "工业"})
ACTIONS = frozenset({"取得", "注销"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 不动产单元号 + 身份证号 + 业务类型 + 登记日期."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    on = parse_date(required(row, "registered_on"), "registered_on")
    action = one_of(row, "action", ACTIONS)
    unit = identifier(row, "unit_no", keys)
    return Envelope(
        event_id=event_id("property", unit, who.key, action, on.isoformat()),
        feed="property",
        source_key=f"{unit}|{keys.token(who.id_number)}|{action}|{on.isoformat()}",
        event_time=on,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        payload=PropertyRegistration(
            unit_ref=unit, use=one_of(row, "use", USES), floor_area_centi_m2=area(row, "floor_area"), action=action,
        ),
    )
