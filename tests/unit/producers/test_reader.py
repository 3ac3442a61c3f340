"""The generic reader and every feed's row → Envelope, on files shaped exactly like spec section 1."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from producers.identity import Pseudonymizer, check_char, mask
from producers.reader import FileReport, RowError, parse_date, parse_grade, parse_money, read_feed
from schemas.envelope import DeadLetter, Envelope

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
KEYS = Pseudonymizer("test-secret")


def make_id(county: str = "340403", born: str = "19800517", seq: int = 123) -> str:
    first17 = f"{county}{born}{seq:03d}"
    return first17 + check_char(first17)


ALICE, BOB, KID = make_id(seq=101), make_id("340404", "19750101", 202), make_id("340405", "20120901", 303)
BAD_CHECK = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")


def write(tmp_path: Path, name: str, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    lines = [",".join(header)] + [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def read(path: Path, feed: str) -> tuple[list[Envelope | DeadLetter], FileReport]:
    report = FileReport(path.name)
    return list(read_feed(path, feed, KEYS, NOW, report)), report


def envelopes(items) -> list[Envelope]:
    return [i for i in items if isinstance(i, Envelope)]


def dead(items) -> list[DeadLetter]:
    return [i for i in items if isinstance(i, DeadLetter)]


MEDICAL = ["结算单号", "身份证号", "姓名", "结算日期", "就诊类型", "医疗总费用", "基金支付", "个人自付", "医疗机构"]


def medical_row(sid="JS2025000001", id_number=ALICE, day="2025-03-02", oop="1,234.50元", total="5000", fund="3765.50"):
    return [sid, id_number, "张三", day, "住院", total, fund, oop, "市第一人民医院"]


# --- values ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "fen"), [
    ("0", 0), ("12", 1200), ("12.5", 1250), ("12.05", 1205), ("12,345.60", 1234560), ("300元", 30000),
    ("-45.50", -4550), ("１２３．４", 12340), (" 1,000 元 ", 100000), ("￥8.00", 800), (".5", 50),
])
def test_money_to_fen(text, fen):
    assert parse_money(text, "out_of_pocket") == fen


@pytest.mark.parametrize(("text", "reason"), [
    ("12.345", "more than 2 decimals"), ("abc", "not a number"), ("", "empty"), ("1.2.3", "not a number"),
])
def test_money_refused_with_reason_naming_column(text, reason):
    with pytest.raises(RowError, match=reason) as info:
        parse_money(text, "out_of_pocket")
    assert info.value.column == "out_of_pocket"


@pytest.mark.parametrize("text", ["2025-03-02", "2025/03/02", "20250302", "２０２５-３-２", "2025-3-2"])
def test_three_date_formats(text):
    assert parse_date(text, "settled_on") == date(2025, 3, 2)


@pytest.mark.parametrize("text", ["2025-02-30", "20251301", "2025.13.01", "03/02/2025", "yesterday"])
def test_impossible_dates_refused(text):
    with pytest.raises(RowError):
        parse_date(text, "settled_on")


@pytest.mark.parametrize(("text", "grade"), [("一级", 1), ("二级", 2), ("三级", 3), ("四级", 4), ("1", 1),
                                             ("4", 4), ("1级", 1), ("２级", 2)])
def test_grades(text, grade):
    assert parse_grade(text, "grade") == grade


@pytest.mark.parametrize("text", ["五级", "0", "5", "severe"])
def test_bad_grades(text):
    with pytest.raises(RowError, match="grade"):
        parse_grade(text, "grade")


# --- every feed, happy path ------------------------------------------------------------------

def test_roster(tmp_path):
    header = ["身份证号", "姓名", "户编号", "与户主关系", "乡镇街道代码", "救助类别", "状态", "家庭人口", "家庭年收入",
              "月救助金额", "认定依据", "残疾等级", "变更日期"]
    rows = [[ALICE, "张三", "HH001", "户主", "340403001", "低保", "在保", "3", "12,000.00", "500", "重度残疾", "二级",
             "2025/01/15"],
            [BOB, "李四", "G" + BOB, "户主", "340404002", "特困", "退出", "1", "0", "", "家庭收入低于标准", "", "20250201"]]
    items, _ = read(write(tmp_path, "roster.csv", header, rows), "roster")
    a, b = envelopes(items)
    assert a.event_time == date(2025, 1, 15) and a.household_id == "HH001" and a.township_code == "340403001"
    assert a.payload.basis_disability and a.payload.disability_grade == 2 and a.payload.household_income_fen == 1_200_000
    assert a.person_key == KEYS.key(ALICE) and a.masked_id == mask(ALICE)
    assert not b.payload.basis_disability and b.payload.status == "退出" and b.payload.monthly_benefit_fen == 0
    assert BOB not in b.model_dump_json()  # a household id embedding an ID is tokenised


def test_medical(tmp_path):
    items, _ = read(write(tmp_path, "medical.csv", MEDICAL, [medical_row()]), "medical")
    (e,) = envelopes(items)
    assert e.feed == "medical" and e.event_time == date(2025, 3, 2)
    assert (e.payload.total_fen, e.payload.fund_fen, e.payload.out_of_pocket_fen) == (500_000, 376_550, 123_450)
    assert e.household_id is None and e.township_code is None and not e.payload.is_reversal
    assert e.source_key == "JS2025000001" and len(e.event_id) == 32


def test_disability(tmp_path):
    header = ["残疾人证号", "身份证号", "姓名", "残疾类别", "残疾等级", "业务类型", "办理日期"]
    items, _ = read(write(tmp_path, "disability.csv", header,
                          [[ALICE + "12", ALICE, "张三", "肢体", "一级", "新办", "2025-04-01"]]), "disability")
    (e,) = envelopes(items)
    assert e.payload.grade == 1 and e.payload.action == "新办"
    assert ALICE not in e.model_dump_json() and e.payload.certificate_ref.endswith("12")


def test_funeral(tmp_path):
    header = ["火化证明编号", "身份证号", "姓名", "死亡日期", "火化日期", "殡仪馆"]
    items, _ = read(write(tmp_path, "funeral.csv", header,
                          [["HH2025001", ALICE, "张三", "2025-05-01", "2025-05-03", "市殡仪馆"]]), "funeral")
    (e,) = envelopes(items)
    assert e.event_time == date(2025, 5, 1) and e.payload.cremated_on == date(2025, 5, 3)


def test_education_keys_the_guardian(tmp_path):
    header = ["学籍号", "学生身份证号", "学生姓名", "监护人身份证号", "学段", "学年", "学杂费", "住宿费", "已获资助"]
    items, _ = read(write(tmp_path, "education.csv", header,
                          [["G" + KID, KID, "张小三", ALICE, "初中", "2025-2026", "6000", "1200", "500"]]), "education")
    (e,) = envelopes(items)
    assert e.person_key == KEYS.key(ALICE) and e.masked_id == mask(ALICE)
    assert e.payload.student_key == KEYS.key(KID) and e.payload.student_masked_id == mask(KID)
    assert e.event_time == date(2025, 9, 1) and e.payload.net_cost_fen == 670_000
    assert KID not in e.model_dump_json()


def test_education_bad_student_id_is_dead_lettered(tmp_path):
    header = ["学籍号", "学生身份证号", "学生姓名", "监护人身份证号", "学段", "学年", "学杂费", "住宿费", "已获资助"]
    bad_kid = KID[:17] + ("1" if KID[17] != "1" else "2")
    items, _ = read(write(tmp_path, "education.csv", header,
                          [["S1", bad_kid, "张小三", ALICE, "初中", "2025-2026", "6000", "0", "0"]]), "education")
    (d,) = dead(items)
    assert d.column == "学生身份证号" and "check digit" in d.reason and bad_kid not in d.reason


def test_employment(tmp_path):
    items, _ = read(write(tmp_path, "employment.csv", ["身份证号", "姓名", "业务类型", "登记日期", "原单位"],
                          [[ALICE, "张三", "失业登记", "2025-06-01", "某公司"]]), "employment")
    (e,) = envelopes(items)
    assert e.payload.action == "失业登记" and e.event_time == date(2025, 6, 1)


def test_disaster_takes_township_from_the_row(tmp_path):
    header = ["户主身份证号", "姓名", "乡镇街道代码", "灾害类型", "直接经济损失", "报告日期"]
    items, _ = read(write(tmp_path, "disaster.csv", header,
                          [[ALICE, "张三", "340403005", "洪涝", "12,000元", "2025-07-01"]]), "disaster")
    (e,) = envelopes(items)
    assert e.township_code == "340403005" and e.payload.loss_fen == 1_200_000 and e.household_id is None


# --- what real exports look like -------------------------------------------------------------

def test_gbk_file(tmp_path):
    items, _ = read(write(tmp_path, "medical.csv", MEDICAL, [medical_row()], encoding="gbk"), "medical")
    (e,) = envelopes(items)
    assert e.payload.provider == "市第一人民医院"


def test_gb18030_and_utf8_bom_files(tmp_path):
    for encoding in ("gb18030", "utf-8-sig"):
        items, report = read(write(tmp_path, f"m-{encoding}.csv", MEDICAL, [medical_row()], encoding), "medical")
        assert len(envelopes(items)) == 1 and report.extra_columns == []


def test_english_aliases_spaces_and_extra_columns(tmp_path):
    header = [" settlement_id", "ID_NUMBER ", "name", "settled_on", "visit_type", "total_cost", "fund_paid",
              "out_of_pocket", "provider", "备注", "经办人"]
    items, report = read(write(tmp_path, "medical.csv", header, [medical_row() + ["x", "y"]]), "medical")
    assert len(envelopes(items)) == 1
    assert report.extra_columns == ["备注", "经办人"]


def test_missing_required_columns_refuse_the_file(tmp_path):
    items, report = read(write(tmp_path, "medical.csv", MEDICAL[:-2], [medical_row()[:-2]]), "medical")
    (d,) = items
    assert isinstance(d, DeadLetter) and "个人自付" in d.reason and report.unreadable


def test_column_order_is_free(tmp_path):
    order = list(reversed(range(len(MEDICAL))))
    items, _ = read(write(tmp_path, "medical.csv", [MEDICAL[i] for i in order],
                          [[medical_row()[i] for i in order]]), "medical")
    assert len(envelopes(items)) == 1


def test_full_width_digits_in_id_and_money(tmp_path):
    wide = ALICE.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    items, _ = read(write(tmp_path, "medical.csv", MEDICAL, [medical_row(id_number=f" {wide} ", oop="１２３")]), "medical")
    (e,) = envelopes(items)
    assert e.person_key == KEYS.key(ALICE) and e.payload.out_of_pocket_fen == 12_300


@pytest.mark.parametrize(("row", "column", "reason"), [
    (medical_row(id_number=BAD_CHECK), "身份证号", "check digit"),
    (medical_row(id_number=make_id(born="19800230")[:17] + "0"), "身份证号", "not a real date"),
    (medical_row(day="2025-02-30"), "结算日期", "not a real date"),
    (medical_row(oop="abc"), "个人自付", "not a number"),
    (medical_row(oop="1.234"), "个人自付", "more than 2 decimals"),
])
def test_bad_rows_become_dead_letters_with_file_line_and_reason(tmp_path, row, column, reason):
    items, report = read(write(tmp_path, "medical.csv", MEDICAL, [medical_row(sid="OK1"), row]), "medical")
    (d,) = dead(items)
    assert (d.file, d.line, d.column) == ("medical.csv", 3, column)
    assert reason in d.reason and column in d.reason
    assert BAD_CHECK not in d.reason and "张三" not in d.model_dump_json()
    assert len(envelopes(items)) == 1 and report.rows == 2


def test_duplicate_rows_share_an_event_id(tmp_path):
    other_format = medical_row(day="20250302", oop="1234.50")
    items, _ = read(write(tmp_path, "medical.csv", MEDICAL, [medical_row(), medical_row(), other_format]), "medical")
    assert len({e.event_id for e in envelopes(items)}) == 1


def test_reversal_is_its_own_record(tmp_path):
    reversal = medical_row(day="2025-03-09", total="-5000", fund="-3765.50", oop="-1234.50")
    original, rev = envelopes(read(write(tmp_path, "medical.csv", MEDICAL, [medical_row(), reversal]), "medical")[0])
    assert rev.payload.is_reversal and rev.payload.out_of_pocket_fen == -123_450
    assert rev.payload.settlement_id == original.payload.settlement_id and rev.event_id != original.event_id
    assert rev.source_key == "JS2025000001|-"


def test_mixed_signs_refused(tmp_path):
    items, _ = read(write(tmp_path, "medical.csv", MEDICAL, [medical_row(total="-5000", fund="3765.50")]), "medical")
    (d,) = dead(items)
    assert "mix" in d.reason


def test_unknown_category_names_the_column(tmp_path):
    row = medical_row()
    row[4] = "急诊"
    (d,) = dead(read(write(tmp_path, "medical.csv", MEDICAL, [row]), "medical")[0])
    assert d.column == "就诊类型"


def test_blank_lines_and_short_rows(tmp_path):
    path = write(tmp_path, "medical.csv", MEDICAL, [medical_row(), [""], medical_row(sid="S2")[:8]])
    items, report = read(path, "medical")
    assert len(envelopes(items)) == 2 and report.rows == 2


def test_empty_file_is_reported(tmp_path):
    (tmp_path / "medical.csv").write_bytes(b"")
    items, report = read(tmp_path / "medical.csv", "medical")
    assert isinstance(items[0], DeadLetter) and report.unreadable == "file is empty"


def test_fast_built_medical_envelopes_are_valid(tmp_path):
    reversal = medical_row(sid="G" + ALICE, day="2025-03-09", total="-5000", fund="-3765.50", oop="-1234.50")
    for e in envelopes(read(write(tmp_path, "medical.csv", MEDICAL, [medical_row(), reversal]), "medical")[0]):
        assert Envelope.model_validate_json(e.model_dump_json()) == e


def test_to_event_takes_a_row_with_chinese_headers_too():
    from producers import medical

    e = medical.to_event(dict(zip(MEDICAL, medical_row())), KEYS)
    assert e.payload.out_of_pocket_fen == 123_450 and e.ingested_at.tzinfo is not None
    with pytest.raises(RowError):
        medical.to_event({"结算单号": "JS1", "身份证号": ALICE}, KEYS, NOW)


def test_what_spreadsheets_do_to_exports(tmp_path):
    header = [h + " （元） " if h in ("医疗总费用", "基金支付", "个人自付") else h for h in MEDICAL]
    row = medical_row(id_number=f"'{ALICE}", day="2025年3月2日")
    (e,) = envelopes(read(write(tmp_path, "medical.csv", header, [row]), "medical")[0])
    assert e.person_key == KEYS.key(ALICE) and e.event_time == date(2025, 3, 2)


@given(st.text(alphabet="0123456789,.-+ 元¥１", max_size=12))
def test_money_fast_path_agrees_with_the_careful_one(text):
    from producers.values import _parse_money_slowly

    def outcome(parse):
        try:
            return parse(text, "total_cost")
        except RowError as exc:
            return exc.reason
    fast = outcome(parse_money)
    assert isinstance(fast, str) or fast == outcome(_parse_money_slowly)
