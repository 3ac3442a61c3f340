"""Human resources: unemployment and employment registrations."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import as_fields, event_id, one_of, parse_date, person, required, text
from schemas.envelope import EmploymentChange, Envelope

COLUMNS = {"身份证号": "id_number", "姓名": "name", "业务类型": "action", "登记日期": "registered_on",
           "原单位": "employer"}
REQUIRED = frozenset({"id_number", "action", "registered_on"})
IDENTITIES = (("id_number", "name"),)
ACTIONS = frozenset({"失业登记", "就业登记"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 身份证号 + 业务类型 + 登记日期."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    registered = parse_date(required(row, "registered_on"), "registered_on")
    action = one_of(row, "action", ACTIONS)
    return Envelope(
        event_id=event_id("employment", who.key, action, registered.isoformat()),
        feed="employment",
        source_key=f"{keys.token(who.id_number)}|{action}|{registered.isoformat()}",
        event_time=registered,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        payload=EmploymentChange(action=action, employer=text(row, "employer")),
    )
