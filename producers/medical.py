"""Medical insurance settlements. A reversal repeats the 结算单号 with negated amounts.

Natural key: 结算单号 + the sign of its amounts, so an original and its reversal are two records.
A reversal keeps its amounts as given (negative) and sets `is_reversal`; the streams cancel the
original with the same settlement_id. Amounts of mixed signs are refused.

This is the busiest feed, so its models are built with `reader.build` after the checks below,
which cover every constraint the schema would check (tests round-trip the result through
`Envelope.model_validate_json` to keep that true).
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from producers.identity import Pseudonymizer
from producers.reader import RowError, as_fields, build, one_of, parse_date, parse_money, person, required, text
from schemas.envelope import Envelope, MedicalClaim

COLUMNS = {
    "结算单号": "settlement_id", "身份证号": "id_number", "姓名": "name", "结算日期": "settled_on",
    "就诊类型": "visit_type", "医疗总费用": "total_cost", "基金支付": "fund_paid", "个人自付": "out_of_pocket",
    "医疗机构": "provider",
}
REQUIRED = frozenset({"settlement_id", "id_number", "settled_on", "visit_type", "total_cost", "fund_paid",
                      "out_of_pocket"})
IDENTITIES = (("id_number", "name"),)
VISIT_TYPES = frozenset({"门诊", "住院", "门特"})


def to_event(row: dict[str, str], keys: Pseudonymizer, ingested_at: datetime | None = None) -> Envelope:
    row, ingested_at = as_fields(row, COLUMNS), ingested_at or datetime.now(UTC)
    who = person(row, "id_number", keys)
    settled = parse_date(row.get("settled_on", ""), "settled_on")
    total = parse_money(row.get("total_cost", ""), "total_cost")
    fund = parse_money(row.get("fund_paid", ""), "fund_paid")
    oop = parse_money(row.get("out_of_pocket", ""), "out_of_pocket")
    reversal = total < 0 or fund < 0 or oop < 0
    if reversal and (total > 0 or fund > 0 or oop > 0):
        raise RowError("out_of_pocket", "amounts mix positive and negative values")
    settlement = keys.tokenise(required(row, "settlement_id"))  # the only cell whose emptiness would pass
    if len(settlement) > 64:
        raise RowError("settlement_id", "longer than 64 characters")
    return build(
        Envelope,
        schema_version=1,
        event_id=hashlib.sha256(f"medical|{settlement}|{'-' if reversal else '+'}".encode()).hexdigest()[:32],
        feed="medical",
        source_key=f"{settlement}|-" if reversal else settlement,
        event_time=settled,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        household_id=None,
        township_code=None,
        payload=build(
            MedicalClaim,
            kind="medical",
            settlement_id=settlement,
            visit_type=one_of(row, "visit_type", VISIT_TYPES),
            total_fen=total,
            fund_fen=fund,
            out_of_pocket_fen=oop,
            provider=text(row, "provider"),
            is_reversal=reversal,
        ),
    )
