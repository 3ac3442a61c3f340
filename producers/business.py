"""Market regulation: business registrations by their 法定代表人 or 经营者. A 个体工商户's credit code
points at one person, so every 统一社会信用代码 travels only as a token."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.cells import amount, identifier
from producers.identity import Pseudonymizer
from producers.reader import as_fields, event_id, one_of, parse_date, person, required
from schemas.envelope import BusinessRegistration, Envelope

COLUMNS = {
    "统一社会信用代码": "credit_code", "身份证号": "id_number", "姓名": "name", "主体类型": "entity_type",
    "注册资本": "registered_capital", "业务类型": "action", "业务日期": "action_date",
}
REQUIRED = frozenset({"credit_code", "id_number", "entity_type", "action", "action_date"})
IDENTITIES = (("id_number", "name"),)
ENTITY_TYPES = frozenset({"个体工商户", "有限责任公司", "股份有限公司", "农民专业合作社"})
ACTIONS = frozenset({"设立", "注销"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 统一社会信用代码 + 业务类型 + 业务日期.

    注册资本 is required where a rule reads it, a 个体工商户's 设立; elsewhere blank is 0 (a company's
    设立 fires `business_owner` whatever its capital).
    """
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    on = parse_date(required(row, "action_date"), "action_date")
    action = one_of(row, "action", ACTIONS)
    credit = identifier(row, "credit_code", keys)
    entity = one_of(row, "entity_type", ENTITY_TYPES)
    return Envelope(
        event_id=event_id("business", credit, action, on.isoformat()),
        feed="business",
        source_key=f"{credit}|{action}|{on.isoformat()}",
        event_time=on,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        payload=BusinessRegistration(
            credit_ref=credit,
            entity_type=entity,
            registered_capital_fen=amount(row, "registered_capital", needed=(entity, action) == ("个体工商户", "设立")),
            action=action,
        ),
    )
