"""Public security: household registration changes (死亡注销, 迁出, 迁入, 服刑, 刑满释放).

迁往地区代码 is a 6-digit county code on a 迁出 row and empty on every other row (contract §1):
a 迁出 without a valid one, or any other row with one, is a dead letter, since `moved_away`
could not be judged on it and the row contradicts itself.
"""
from __future__ import annotations

from datetime import UTC, datetime

from producers.cells import county
from producers.actions import person_action
from producers.identity import Pseudonymizer
from producers.reader import RowError, as_fields
from schemas.envelope import Envelope, HukouChange

COLUMNS = {
    "身份证号": "id_number", "姓名": "name", "业务类型": "action", "迁往地区代码": "destination_code",
    "业务日期": "action_date",
}
REQUIRED = frozenset({"id_number", "action", "action_date"})
IDENTITIES = (("id_number", "name"),)
ACTIONS = frozenset({"死亡注销", "迁出", "迁入", "服刑", "刑满释放"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 身份证号 + 业务类型 + 业务日期."""
    row = as_fields(row, COLUMNS)
    return person_action("hukou", row, keys, date_column="action_date", actions=ACTIONS,
                         payload=lambda action: HukouChange(action=action, destination_code=destination(row, action)),
                         ingested_at=ingested_at or datetime.now(UTC))


def destination(row: dict[str, str], action: str) -> str | None:
    """迁往地区代码: required on 迁出, refused elsewhere."""
    if action == "迁出":
        return county(row, "destination_code")
    if row.get("destination_code"):
        raise RowError("destination_code", "must be empty unless 业务类型 is 迁出")
    return None
