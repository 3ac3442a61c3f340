"""producers/property.py: one row per owner, the unit number only as a token shared by its co-owners."""
from __future__ import annotations

from datetime import date

import pytest

from tests.feedfiles import ALICE, BAD_CHECK, BOB, KEYS, envelopes, leaks, only_dead_letter, read, write

HEADER = ["不动产单元号", "身份证号", "姓名", "房屋用途", "建筑面积", "业务类型", "登记日期"]
UNIT = "340403001001GB00001F00010001"


def row(unit=UNIT, id_number=ALICE, use="住宅", area="89.5", action="取得", on="2025-05-01"):
    return [unit, id_number, "张三", use, area, action, on]


def test_co_owners_share_one_unit_token_and_have_rows_of_their_own(tmp_path):
    rows = [row(), row(id_number=BOB), row(unit=UNIT.lower(), area="89.50㎡", action="注销", on="20251101")]
    items, _ = read(write(tmp_path, "property.csv", HEADER, rows, "utf-8-sig"), "property")
    alice, bob, sold = envelopes(items)
    assert alice.payload.unit_ref == bob.payload.unit_ref == sold.payload.unit_ref == KEYS.reference(UNIT)
    assert alice.event_id != bob.event_id and bob.person_key == KEYS.key(BOB)
    assert (alice.payload.use, alice.payload.floor_area_centi_m2, alice.payload.action) == ("住宅", 8_950, "取得")
    assert sold.payload.action == "注销" and sold.event_time == date(2025, 11, 1)
    assert not leaks(items, UNIT, UNIT[6:], ALICE, BOB, "张三")


@pytest.mark.parametrize(("text", "centi"), [("120", 12_000), ("1,024.05平方米", 102_405), ("６０．５", 6_050), ("0.5", 50)])
def test_areas(tmp_path, text, centi):
    (e,) = envelopes(read(write(tmp_path, "property.csv", HEADER, [row(area=text)]), "property")[0])
    assert e.payload.floor_area_centi_m2 == centi


def test_re_export_has_the_same_event_id(tmp_path):
    a, b = envelopes(read(write(tmp_path, "property.csv", HEADER, [row(), row(on="2025/05/01")]), "property")[0])
    assert a.event_id == b.event_id


@pytest.mark.parametrize(("bad", "column", "reason"), [
    (row(id_number=BAD_CHECK), "身份证号", "check digit"),
    (row(use="车库"), "房屋用途", "must be one of"),
    (row(action="抵押"), "业务类型", "must be one of"),
    (row(area="-80"), "建筑面积", "negative"),
    (row(area="80.123"), "建筑面积", "up to 2 decimals"),
    (row(area=""), "建筑面积", "empty"),
    (row(unit=""), "不动产单元号", "empty"),
    (row(on="2025-00-10"), "登记日期", "date"),
])
def test_bad_rows_are_dead_letters_naming_the_column(tmp_path, bad, column, reason):
    letter = only_dead_letter(tmp_path, "property", HEADER, row(), bad)
    assert letter.column == column and reason in letter.reason
    assert not leaks([letter], BAD_CHECK, "张三", UNIT)
