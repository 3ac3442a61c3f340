"""producers/hukou.py: household registration changes, and the 迁往地区代码 rule (迁出 only)."""
from __future__ import annotations

from datetime import date

import pytest

from tests.feedfiles import ALICE, BAD_CHECK, BOB, KEYS, envelopes, leaks, only_dead_letter, read, write

HEADER = ["身份证号", "姓名", "业务类型", "迁往地区代码", "业务日期"]


def row(id_number=ALICE, action="死亡注销", destination="", on="2025-06-01"):
    return [id_number, "张三", action, destination, on]


def test_every_action(tmp_path):
    rows = [row(), row(BOB, "迁出", "320102", "2025/06/02"), row(action="迁入"), row(action="服刑", on="20250701"),
            row(action="刑满释放", on="2025-08-01")]
    items, _ = read(write(tmp_path, "hukou.csv", HEADER, rows, "gb18030"), "hukou")
    death, moved, arrived, jailed, released = envelopes(items)
    assert death.feed == "hukou" and death.event_time == date(2025, 6, 1) and death.person_key == KEYS.key(ALICE)
    assert death.payload.action == "死亡注销" and death.payload.destination_code is None
    assert moved.payload.destination_code == "320102" and moved.person_key == KEYS.key(BOB)
    assert [e.payload.action for e in (arrived, jailed, released)] == ["迁入", "服刑", "刑满释放"]
    assert len({e.event_id for e in (death, moved, arrived, jailed, released)}) == 5
    assert not leaks(items, ALICE, BOB, "张三")


def test_destination_may_be_written_with_full_width_digits(tmp_path):
    (e,) = envelopes(read(write(tmp_path, "hukou.csv", HEADER, [row(action="迁出", destination="３２０１０２")]), "hukou")[0])
    assert e.payload.destination_code == "320102"


def test_a_file_without_the_destination_column_still_reads(tmp_path):
    items, _ = read(write(tmp_path, "hukou.csv", ["身份证号", "姓名", "业务类型", "业务日期"], [[ALICE, "张三", "服刑", "2025-01-02"]]),
                    "hukou")
    assert envelopes(items)[0].payload.action == "服刑"


@pytest.mark.parametrize(("bad", "column", "reason"), [
    (row(id_number=BAD_CHECK), "身份证号", "check digit"),
    (row(action="户口迁移"), "业务类型", "must be one of"),
    (row(action="迁出"), "迁往地区代码", "empty"),
    (row(action="迁出", destination="3201"), "迁往地区代码", "6-digit county code"),
    (row(action="迁出", destination="320102001"), "迁往地区代码", "6-digit county code"),
    (row(action="死亡注销", destination="320102"), "迁往地区代码", "must be empty unless 业务类型 is 迁出"),
    (row(action="迁入", destination="340403"), "迁往地区代码", "must be empty"),
    (row(on="2025-06"), "业务日期", "date"),
])
def test_bad_rows_are_dead_letters_naming_the_column(tmp_path, bad, column, reason):
    letter = only_dead_letter(tmp_path, "hukou", HEADER, row(), bad)
    assert letter.column == column and reason in letter.reason
    assert not leaks([letter], BAD_CHECK, "张三")
