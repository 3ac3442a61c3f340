"""Civil affairs roster: who is under assistance or monitoring, one row per change."""
from __future__ import annotations

from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import (as_fields, event_id, money_or_zero, one_of, parse_date, parse_grade, parse_int,
                              parse_money, person, required, township)
from schemas.envelope import Envelope, RosterChange

COLUMNS = {
    "身份证号": "id_number", "姓名": "name", "户编号": "household_id", "与户主关系": "relation",
    "乡镇街道代码": "township_code", "救助类别": "category", "状态": "status", "家庭人口": "household_size",
    "家庭年收入": "household_annual_income", "月救助金额": "monthly_benefit", "认定依据": "basis",
    "残疾等级": "disability_grade", "变更日期": "effective_date",
}
REQUIRED = frozenset({"id_number", "household_id", "township_code", "category", "status", "household_size",
                      "household_annual_income", "effective_date"})
IDENTITIES = (("id_number", "name"),)
CATEGORIES = frozenset({"低保", "特困", "低保边缘", "支出型困难", "防返贫监测"})
STATUSES = frozenset({"在保", "退出"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    """One roster change; natural key 身份证号 + 变更日期."""
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    effective = parse_date(required(row, "effective_date"), "effective_date")
    household = keys.tokenise(required(row, "household_id"))
    code = township(row, "township_code")
    grade = row.get("disability_grade", "")
    return Envelope(
        event_id=event_id("roster", who.key, effective.isoformat()),
        feed="roster",
        source_key=f"{keys.token(who.id_number)}|{effective.isoformat()}",
        event_time=effective,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        household_id=household,
        township_code=code,
        payload=RosterChange(
            household_id=household,
            relation=row.get("relation", "")[:32],
            township_code=code,
            category=one_of(row, "category", CATEGORIES),
            status=one_of(row, "status", STATUSES),
            household_size=parse_int(required(row, "household_size"), "household_size"),
            household_income_fen=parse_money(required(row, "household_annual_income"), "household_annual_income"),
            monthly_benefit_fen=money_or_zero(row, "monthly_benefit"),
            basis_disability="残疾" in row.get("basis", ""),
            disability_grade=parse_grade(grade, "disability_grade") if grade else None,
        ),
    )
