"""Rural revitalisation bureau: 防返贫监测 (monitoring against return to poverty), 纳入 and 消除."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import as_fields, event_id, one_of, parse_date, person, required, township
from schemas.envelope import Envelope, RuralMonitoring

COLUMNS = {
    "身份证号": "id_number", "姓名": "name", "乡镇街道代码": "township_code", "监测类型": "monitor_type",
    "风险类型": "risk_type", "业务类型": "action", "业务日期": "action_date",
}
REQUIRED = frozenset({"id_number", "township_code", "monitor_type", "risk_type", "action", "action_date"})
IDENTITIES = (("id_number", "name"),)
MONITOR_TYPES = frozenset({"脱贫不稳定户", "边缘易致贫户", "突发严重困难户"})
RISK_TYPES = frozenset({"因病", "因学", "因残", "因灾", "因意外", "因失业", "其他"})
ACTIONS = frozenset({"纳入", "消除"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 身份证号 + 业务类型 + 业务日期."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    on = parse_date(required(row, "action_date"), "action_date")
    action = one_of(row, "action", ACTIONS)
    code = township(row, "township_code")
    return Envelope(
        event_id=event_id("rural", who.key, action, on.isoformat()),
        feed="rural",
        source_key=f"{keys.token(who.id_number)}|{action}|{on.isoformat()}",
        event_time=on,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        township_code=code,
        payload=RuralMonitoring(
            township_code=code,
            monitor_type=one_of(row, "monitor_type", MONITOR_TYPES),
            risk_type=one_of(row, "risk_type", RISK_TYPES),
            action=action,
        ),
    )
