"""Human resources: unemployment and employment registrations."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.actions import person_action
from producers.identity import Pseudonymizer
from producers.reader import as_fields, text
from schemas.envelope import EmploymentChange, Envelope

COLUMNS = {"身份证号": "id_number", "姓名": "name", "业务类型": "action", "登记日期": "registered_on",
           "原单位": "employer"}
REQUIRED = frozenset({"id_number", "action", "registered_on"})
IDENTITIES = (("id_number", "name"),)
ACTIONS = frozenset({"失业登记", "就业登记"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 身份证号 + 业务类型 + 登记日期."""
    row = as_fields(row, COLUMNS)
    return person_action("employment", row, keys, date_column="registered_on", actions=ACTIONS,
                         payload=lambda action: EmploymentChange(action=action, employer=text(row, "employer")),
                         ingested_at=ingested_at or datetime.now(UTC))
