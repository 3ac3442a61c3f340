"""producers/rural.py: 防返贫监测 rows from the rural revitalisation bureau."""
from __future__ import annotations

from datetime import date

import pytest

from tests.feedfiles import ALICE, BAD_CHECK, KEYS, envelopes, leaks, only_dead_letter, read, write

HEADER = ["身份证号", "姓名", "乡镇街道代码", "监测类型", "风险类型", "业务类型", "业务日期"]


def row(id_number=ALICE, township="340403001", monitor="边缘易致贫户", risk="因病", action="纳入", on="2025-03-01"):
    return [id_number, "张三", township, monitor, risk, action, on]


def test_monitoring_rows_carry_the_township(tmp_path):
    items, _ = read(write(tmp_path, "rural.csv", HEADER, [row(), row(action="消除", on="20250901")], "gb18030"), "rural")
    a, b = envelopes(items)
    assert a.feed == "rural" and a.event_time == date(2025, 3, 1) and a.person_key == KEYS.key(ALICE)
    assert a.township_code == a.payload.township_code == "340403001"
    assert (a.payload.monitor_type, a.payload.risk_type, a.payload.action) == ("边缘易致贫户", "因病", "纳入")
    assert b.payload.action == "消除" and a.event_id != b.event_id
    assert not leaks(items, ALICE, "张三")


def test_re_export_in_another_date_format_has_the_same_event_id(tmp_path):
    a, b = envelopes(read(write(tmp_path, "rural.csv", HEADER, [row(), row(on="2025/03/01")]), "rural")[0])
    assert a.event_id == b.event_id


@pytest.mark.parametrize(("bad", "column", "reason"), [
    (row(id_number=BAD_CHECK), "身份证号", "check digit"),
    (row(monitor="一般户"), "监测类型", "must be one of"),
    (row(risk="因懒"), "风险类型", "must be one of"),
    (row(action="退出"), "业务类型", "must be one of"),
    (row(township="3404030"), "乡镇街道代码", "9 digits"),
    (row(on="2025-02-29"), "业务日期", "not a real date"),
])
def test_bad_rows_are_dead_letters_naming_the_column(tmp_path, bad, column, reason):
    letter = only_dead_letter(tmp_path, "rural", HEADER, row(), bad)
    assert letter.column == column and reason in letter.reason
    assert not leaks([letter], BAD_CHECK, "张三")
