"""Traffic police: motor vehicle registrations. The plate names its owner, so only its token travels."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.cells import amount, identifier
from producers.identity import Pseudonymizer
from producers.reader import as_fields, event_id, one_of, parse_date, person, required
from schemas.envelope import Envelope, VehicleRegistration

COLUMNS = {
    "号牌号码": "plate_no", "身份证号": "id_number", "姓名": "name", "车辆类型": "vehicle_type",
    "业务类型": "action", "购置价格": "purchase_price", "登记日期": "registered_on",
}
REQUIRED = frozenset({"plate_no", "id_number", "vehicle_type", "action", "registered_on"})
IDENTITIES = (("id_number", "name"),)
VEHICLE_TYPES = frozenset({"小型轿车", "小型越野车", "中型客车", "货车", "摩托车", "三轮汽车", "残疾人专用车"})
ACTIONS = frozenset({"注册登记", "转入登记", "注销登记"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 号牌号码 + 业务类型 + 登记日期. 购置价格 may be blank only on a 注销登记."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    on = parse_date(required(row, "registered_on"), "registered_on")
    action = one_of(row, "action", ACTIONS)
    plate = identifier(row, "plate_no", keys)
    return Envelope(
        event_id=event_id("vehicle", plate, action, on.isoformat()),
        feed="vehicle",
        source_key=f"{plate}|{action}|{on.isoformat()}",
        event_time=on,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        payload=VehicleRegistration(
            plate_ref=plate,
            vehicle_type=one_of(row, "vehicle_type", VEHICLE_TYPES),
            action=action,
            purchase_price_fen=amount(row, "purchase_price", needed=action != "注销登记"),
        ),
    )
