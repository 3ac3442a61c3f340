"""Emergency management: household losses, reported by the head of household."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import RowError, as_fields, event_id, parse_date, parse_money, person, required, text, township
from schemas.envelope import DisasterLoss, Envelope

COLUMNS = {"户主身份证号": "head_id_number", "姓名": "name", "乡镇街道代码": "township_code",
           "灾害类型": "hazard", "直接经济损失": "loss", "报告日期": "reported_on"}
REQUIRED = frozenset({"head_id_number", "township_code", "loss", "reported_on"})
IDENTITIES = (("head_id_number", "name"),)


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 户主身份证号 + 报告日期."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    head = person(row, "head_id_number", keys)
    reported = parse_date(required(row, "reported_on"), "reported_on")
    code = township(row, "township_code")
    loss = parse_money(required(row, "loss"), "loss")
    if loss < 0:
        raise RowError("loss", "loss cannot be negative")
    return Envelope(
        event_id=event_id("disaster", head.key, reported.isoformat()),
        feed="disaster",
        source_key=f"{keys.token(head.id_number)}|{reported.isoformat()}",
        event_time=reported,
        ingested_at=ingested_at,
        person_key=head.key,
        masked_id=head.masked,
        township_code=code,
        payload=DisasterLoss(township_code=code, hazard=text(row, "hazard", 64), loss_fen=loss),
    )
