"""Student aid records. The guardian is the envelope's person (their roster status decides);
the student, the alert's subject, travels in the payload. Event time: 1 September of the
school year's first year. A 学籍号 is often 'G' + the student's ID, so it is tokenised.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

from producers.identity import Pseudonymizer
from producers.reader import RowError, as_fields, event_id, money_or_zero, one_of, parse_money, person, required
from schemas.envelope import EducationAid, Envelope

COLUMNS = {
    "学籍号": "student_no", "学生身份证号": "student_id_number", "学生姓名": "student_name",
    "监护人身份证号": "guardian_id_number", "学段": "stage", "学年": "school_year", "学杂费": "tuition",
    "住宿费": "boarding", "已获资助": "aid_received",
}
REQUIRED = frozenset({"student_no", "student_id_number", "guardian_id_number", "stage", "school_year", "tuition"})
IDENTITIES = (("student_id_number", "student_name"),)
STAGES = frozenset({"学前", "小学", "初中", "高中", "中职", "高职", "本科"})
_YEAR = re.compile(r"(\d{4})\s*(?:学年)?\s*[-/—–~至]\s*(\d{2}|\d{4})\s*(?:学年)?")


def school_year(raw: str) -> tuple[str, date]:
    """`2025-2026` (also `2025/2026`, `2025-26`) → ("2025-2026", 2025-09-01)."""
    match = _YEAR.fullmatch(raw.translate({ord("０") + d: ord("0") + d for d in range(10)}).strip())
    if match is None:
        raise RowError("school_year", "school year must look like 2025-2026")
    first, second = int(match.group(1)), int(match.group(2))
    if second < 100:
        second += first // 100 * 100
    if second != first + 1:
        raise RowError("school_year", "school year must span two consecutive years")
    return f"{first}-{second}", date(first, 9, 1)


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """Natural key 学籍号 + 学年."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    student = person(row, "student_id_number", keys)
    guardian = person(row, "guardian_id_number", keys)
    year, starts = school_year(required(row, "school_year"))
    student_ref = keys.tokenise(required(row, "student_no"))
    return Envelope(
        event_id=event_id("education", student_ref, year),
        feed="education",
        source_key=f"{student_ref}|{year}",
        event_time=starts,
        ingested_at=ingested_at,
        person_key=guardian.key,
        masked_id=guardian.masked,
        payload=EducationAid(
            student_ref=student_ref,
            student_key=student.key,
            student_masked_id=student.masked,
            stage=one_of(row, "stage", STAGES),
            school_year=year,
            tuition_fen=parse_money(required(row, "tuition"), "tuition"),
            boarding_fen=money_or_zero(row, "boarding"),
            aid_fen=money_or_zero(row, "aid_received"),
        ),
    )
