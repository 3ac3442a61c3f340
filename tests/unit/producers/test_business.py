"""producers/business.py: registrations by 法定代表人 or 经营者; the credit code only as a token."""
from __future__ import annotations

from datetime import date

import pytest

from tests.feedfiles import ALICE, BAD_CHECK, KEYS, envelopes, leaks, only_dead_letter, read, write

HEADER = ["统一社会信用代码", "身份证号", "姓名", "主体类型", "注册资本", "业务类型", "业务日期"]
CODE = "92340403MA2N0XXX1K"


def row(code=CODE, id_number=ALICE, entity="个体工商户", capital="100,000.00", action="设立", on="2025-07-01"):
    return [code, id_number, "张三", entity, capital, action, on]


def test_registration_and_closure(tmp_path):
    rows = [row(), row(action="注销", capital="", on="2025/12/01"), row("91340403MA2N0YYY2L", entity="有限责任公司",
                                                                         capital="500000元")]
    items, _ = read(write(tmp_path, "business.csv", HEADER, rows), "business")
    opened, closed, company = envelopes(items)
    assert opened.feed == "business" and opened.event_time == date(2025, 7, 1) and opened.person_key == KEYS.key(ALICE)
    assert (opened.payload.entity_type, opened.payload.registered_capital_fen) == ("个体工商户", 10_000_000)
    assert closed.payload.action == "注销" and closed.payload.registered_capital_fen == 0
    assert opened.payload.credit_ref == closed.payload.credit_ref != company.payload.credit_ref
    assert company.payload.registered_capital_fen == 50_000_000
    assert not leaks(items, CODE, "91340403MA2N0YYY2L", ALICE, "张三")


def test_capital_may_be_blank_where_no_rule_reads_it(tmp_path):
    rows = [row(entity="有限责任公司", capital=""), row(entity="个体工商户", action="注销", capital="", on="2025-09-01")]
    company, closed = envelopes(read(write(tmp_path, "business.csv", HEADER, rows), "business")[0])
    assert company.payload.registered_capital_fen == closed.payload.registered_capital_fen == 0


def test_re_export_has_the_same_event_id(tmp_path):
    a, b = envelopes(read(write(tmp_path, "business.csv", HEADER, [row(), row(code=CODE.lower(), on="20250701")]),
                          "business")[0])
    assert a.event_id == b.event_id


@pytest.mark.parametrize(("bad", "column", "reason"), [
    (row(id_number=BAD_CHECK), "身份证号", "check digit"),
    (row(entity="合伙企业"), "主体类型", "must be one of"),
    (row(action="变更"), "业务类型", "must be one of"),
    (row(capital="-5"), "注册资本", "negative"),
    (row(capital=""), "注册资本", "empty"),  # a 个体工商户's 设立: the rule reads it
    (row(capital="10万"), "注册资本", "not a number"),
    (row(code=""), "统一社会信用代码", "empty"),
    (row(on="2025-07-32"), "业务日期", "date"),
])
def test_bad_rows_are_dead_letters_naming_the_column(tmp_path, bad, column, reason):
    letter = only_dead_letter(tmp_path, "business", HEADER, row(), bad)
    assert letter.column == column and reason in letter.reason
    assert not leaks([letter], BAD_CHECK, "张三", CODE)
