"""Funeral and cremation records; event time is the date of death."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import RowError, as_fields, event_id, parse_date, person, required, text
from schemas.envelope import Envelope, FuneralRecord

COLUMNS = {
    "火化证明编号": "record_no", "身份证号": "id_number", "姓名": "name", "死亡日期": "died_on",
    "火化日期": "cremated_on", "殡仪馆": "facility",
}
REQUIRED = frozenset({"record_no", "id_number", "died_on"})
IDENTITIES = (("id_number", "name"),)


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 火化证明编号."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    died = parse_date(required(row, "died_on"), "died_on")
    cremated = parse_date(row["cremated_on"], "cremated_on") if row.get("cremated_on") else None
    if cremated is not None and cremated < died:
        raise RowError("cremated_on", "cremation date is before the date of death")
    record = keys.tokenise(required(row, "record_no"))
    return Envelope(
        event_id=event_id("funeral", record),
        feed="funeral",
        source_key=record,
        event_time=died,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        payload=FuneralRecord(record_no=record, died_on=died, cremated_on=cremated, facility=text(row, "facility")),
    )
