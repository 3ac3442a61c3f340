"""producers/vehicle.py on files shaped like feeds.md §1: good rows, bad rows, and no plate in clear."""
from __future__ import annotations

from datetime import date

import pytest

from tests.feedfiles import ALICE, BAD_CHECK, BOB, KEYS, dead, envelopes, leaks, only_dead_letter, read, write

HEADER = ["号牌号码", "身份证号", "姓名", "车辆类型", "业务类型", "购置价格", "登记日期"]


def row(plate="皖D12345", id_number=ALICE, vtype="小型轿车", action="注册登记", price="50,000.00元", on="2025-04-01"):
    return [plate, id_number, "张三", vtype, action, price, on]


def test_registration(tmp_path):
    items, _ = read(write(tmp_path, "vehicle.csv", HEADER, [row(), row("皖DD12345", BOB, "摩托车", "转入登记", "8000", "20250502")]),
                    "vehicle")
    a, b = envelopes(items)
    assert a.feed == "vehicle" and a.event_time == date(2025, 4, 1) and a.person_key == KEYS.key(ALICE)
    assert (a.payload.vehicle_type, a.payload.action, a.payload.purchase_price_fen) == ("小型轿车", "注册登记", 5_000_000)
    assert b.payload.vehicle_type == "摩托车" and b.payload.purchase_price_fen == 800_000
    assert a.payload.plate_ref != b.payload.plate_ref and a.payload.plate_ref.startswith("R")
    assert not leaks(items, "皖D12345", "D12345", ALICE, BOB, "张三")


def test_plate_token_ignores_width_case_and_separators(tmp_path):
    items, _ = read(write(tmp_path, "vehicle.csv", HEADER, [row("皖D·12345"), row("皖ｄ 12345", action="注销登记", price="")]),
                    "vehicle")
    a, b = envelopes(items)
    assert a.payload.plate_ref == b.payload.plate_ref == KEYS.reference("皖D12345")
    assert b.payload.purchase_price_fen == 0  # a blank price is allowed on a 注销登记 only


def test_re_export_has_the_same_event_id_and_another_action_does_not(tmp_path):
    rows = [row(), row(on="2025/04/01", price="50000"), row(action="注销登记")]
    a, b, c = envelopes(read(write(tmp_path, "vehicle.csv", HEADER, rows), "vehicle")[0])
    assert a.event_id == b.event_id != c.event_id
    assert a.source_key.startswith(a.payload.plate_ref)


def test_english_aliases_and_gb18030(tmp_path):
    header = ["plate_no", "id_number", "name", "vehicle_type", "action", "purchase_price", "registered_on", "颜色"]
    items, report = read(write(tmp_path, "vehicle.csv", header, [row() + ["白"]], "gb18030"), "vehicle")
    assert len(envelopes(items)) == 1 and report.extra_columns == ["颜色"]


@pytest.mark.parametrize(("bad", "column", "reason"), [
    (row(id_number=BAD_CHECK), "身份证号", "check digit"),
    (row(vtype="轿车"), "车辆类型", "must be one of"),
    (row(action="过户"), "业务类型", "must be one of"),
    (row(price="-1"), "购置价格", "negative"),
    (row(price=""), "购置价格", "empty"),
    (row(on="2025-13-01"), "登记日期", "date"),
    (row(plate=""), "号牌号码", "empty"),
    (row(plate="·-"), "号牌号码", "no letters or digits"),
])
def test_bad_rows_are_dead_letters_naming_the_column(tmp_path, bad, column, reason):
    letter = only_dead_letter(tmp_path, "vehicle", HEADER, row("皖D00001"), bad)
    assert letter.column == column and reason in letter.reason
    assert not leaks([letter], BAD_CHECK, "张三", "皖D12345")


def test_missing_plate_column_refuses_the_file(tmp_path):
    items, report = read(write(tmp_path, "vehicle.csv", HEADER[1:], [row()[1:]]), "vehicle")
    assert len(dead(items)) == 1 and "号牌号码" in report.unreadable
