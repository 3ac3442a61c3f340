"""Disabled Persons' Federation certificates. A 残疾人证号 embeds the ID, so it is tokenised."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import as_fields, event_id, one_of, parse_date, parse_grade, person, required
from schemas.envelope import DisabilityCertificate, Envelope

COLUMNS = {
    "残疾人证号": "certificate_no", "身份证号": "id_number", "姓名": "name", "残疾类别": "category",
    "残疾等级": "grade", "业务类型": "action", "办理日期": "issued_on",
}
REQUIRED = frozenset({"certificate_no", "id_number", "category", "grade", "action", "issued_on"})
IDENTITIES = (("id_number", "name"),)
CATEGORIES = frozenset({"视力", "听力", "言语", "肢体", "智力", "精神", "多重"})
ACTIONS = frozenset({"新办", "换领", "等级变更", "注销"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 残疾人证号 + 业务类型 + 办理日期."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    issued = parse_date(required(row, "issued_on"), "issued_on")
    certificate = keys.tokenise(required(row, "certificate_no"))
    action = one_of(row, "action", ACTIONS)
    return Envelope(
        event_id=event_id("disability", certificate, action, issued.isoformat()),
        feed="disability",
        source_key=f"{certificate}|{action}|{issued.isoformat()}",
        event_time=issued,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        payload=DisabilityCertificate(
            certificate_ref=certificate,
            category=one_of(row, "category", CATEGORIES),
            grade=parse_grade(required(row, "grade"), "grade"),
            action=action,
        ),
    )
