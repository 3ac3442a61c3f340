"""The batch oracle pinned on small hand-built department files: one rule, one edge, per test."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from tests.oracle import (
    expected_alerts,
    expected_pairs,
    id_check_char,
    mask,
    normalise_id,
    parse_date,
    parse_grade,
    parse_money,
)

HEADERS = {
    "roster": ["身份证号", "姓名", "户编号", "与户主关系", "乡镇街道代码", "救助类别", "状态", "家庭人口",
               "家庭年收入", "月救助金额", "认定依据", "残疾等级", "变更日期"],
    "medical": ["结算单号", "身份证号", "姓名", "结算日期", "就诊类型", "医疗总费用", "基金支付", "个人自付", "医疗机构"],
    "disability": ["残疾人证号", "身份证号", "姓名", "残疾类别", "残疾等级", "业务类型", "办理日期"],
    "funeral": ["火化证明编号", "身份证号", "姓名", "死亡日期", "火化日期", "殡仪馆"],
    "education": ["学籍号", "学生身份证号", "学生姓名", "监护人身份证号", "学段", "学年", "学杂费", "住宿费", "已获资助"],
    "employment": ["身份证号", "姓名", "业务类型", "登记日期", "原单位"],
    "disaster": ["户主身份证号", "姓名", "乡镇街道代码", "灾害类型", "直接经济损失", "报告日期"],
}


def pid(n: int, birth: str = "19800101") -> str:
    """A valid resident ID: county 340403, the birth date, sequence n, its MOD 11-2 check character."""
    first17 = f"340403{birth}{n:03d}"
    return first17 + id_check_char(first17)


A, B, C, D, S = pid(1), pid(2), pid(3), pid(4), pid(5, "20100301")


def write(directory: Path, name: str, rows: list[list[str]], *, encoding: str = "utf-8", header: list[str] | None = None) -> Path:
    feed = name.split("_")[0].removesuffix(".csv")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header or HEADERS[feed], *rows])
    path = directory / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def roster(person: str, on: str, *, household: str = "H001", status: str = "在保", size: int = 4,
           income: str = "40000", basis: str = "低保") -> list[str]:
    return [person, "某某", household, "户主", "340403001", "低保", status, str(size), income, "800", basis, "", on]


def claim(settlement: str, person: str, on: str, out_of_pocket: str, *, total: str | None = None) -> list[str]:
    return [settlement, person, "某某", on, "住院", total or out_of_pocket, "0", out_of_pocket, "市人民医院"]


def reversal(settlement: str, person: str, on: str, out_of_pocket: str) -> list[str]:
    return [settlement, person, "某某", on, "住院", f"-{out_of_pocket}", "0", f"-{out_of_pocket}", "市人民医院"]


def alert(rule: str, person: str, on: str, severity: str, household: str | None) -> dict:
    return {"rule": rule, "subject": mask(person), "event_time": on, "severity": severity, "household_id": household}


BRIEF = ("rule", "subject", "event_time", "severity", "household_id")


def brief(directory: Path, *args, **kwargs) -> list[dict]:
    """The oracle's alerts cut to the five fields these tests pin."""
    return [{k: a[k] for k in BRIEF} for a in expected_alerts(directory, *args, **kwargs)]


def of_rule(directory: Path, rule: str, **kwargs) -> list[dict]:
    return [a for a in brief(directory, **kwargs) if a["rule"] == rule]


# ------------------------------------------------------------------ values


@pytest.mark.parametrize("raw", [pid(7), f"  {pid(7)} ", pid(7).translate(str.maketrans("0123456789", "０１２３４５６７８９"))])
def test_ids_are_normalised(raw):
    assert normalise_id(raw) == pid(7)


def test_lowercase_x_check_character_is_upper_cased():
    first17 = next(f"34040319800101{n:03d}" for n in range(1000) if id_check_char(f"34040319800101{n:03d}") == "X")
    assert normalise_id(first17 + "x") == first17 + "X"
    assert mask(first17 + "X") == "340403********" + first17[14:] + "X"


@pytest.mark.parametrize("raw", [pid(7)[:17] + ("0" if pid(7)[17] != "0" else "1"), pid(7)[:17], "34040319801301001X", ""])
def test_bad_ids_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_id(raw)


def test_bad_birth_date_is_refused_even_with_a_good_check_character():
    first17 = "34040319800230001"  # 30 February
    with pytest.raises(ValueError):
        normalise_id(first17 + id_check_char(first17))


@pytest.mark.parametrize("raw, fen", [("12,345.60", 1234560), ("300元", 30000), ("-1,234.5", -123450), ("０.０１", 1), (" 7 元 ", 700)])
def test_money(raw, fen):
    assert parse_money(raw, signed=True) == fen


@pytest.mark.parametrize("raw", ["", "abc", "1.234", "12元5", "--3"])
def test_bad_money(raw):
    with pytest.raises(ValueError):
        parse_money(raw, signed=True)


@pytest.mark.parametrize("raw", ["2025-03-01", "2025/03/01", "20250301", "2025/3/1"])
def test_dates(raw):
    assert parse_date(raw) == date(2025, 3, 1)


@pytest.mark.parametrize("raw", ["2025-13-01", "2025-02-30", "01/03/2025", "2025.03.01", ""])
def test_bad_dates(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


@pytest.mark.parametrize("raw, grade", [("一级", 1), ("二级", 2), ("三级", 3), ("四级", 4), ("1", 1), ("４", 4), ("2级", 2)])
def test_grades(raw, grade):
    assert parse_grade(raw) == grade


# ------------------------------------------------------------------ medical_burden


def test_medical_burden_fires_for_anyone_when_the_year_reaches_30000(tmp_path):
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "12,345.60"), claim("JS2", A, "2025-06-01", "17654.40元")])
    assert brief(tmp_path) == [alert("medical_burden", A, "2025-06-01", "high", None)]


def test_medical_burden_near_miss(tmp_path):
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "12,345.60"), claim("JS2", A, "2025-06-01", "17654.39")])
    assert brief(tmp_path) == []


def test_medical_window_is_365_days_ending_on_the_claim(tmp_path):
    write(tmp_path, "medical.csv", [
        claim("JS1", A, "2025-01-01", "20000"), claim("JS2", A, "2026-01-01", "10000"),  # 365 days apart: out
        claim("JS3", B, "2025-01-01", "20000"), claim("JS4", B, "2025-12-31", "10000"),  # 364 days apart: in
    ])
    assert brief(tmp_path) == [alert("medical_burden", B, "2025-12-31", "high", None)]


def test_medical_burden_takes_the_household_from_the_roster_as_of_the_claim(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", household="H001"), roster(A, "2025-05-01", household="H002")])
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "30000")])
    assert of_rule(tmp_path, "medical_burden") == [alert("medical_burden", A, "2025-03-01", "high", "H001")]


def test_reversal_cancels_its_original_whatever_its_date(tmp_path):
    write(tmp_path, "medical.csv", [
        claim("JS1", A, "2025-03-01", "30000"), reversal("JS1", A, "2026-09-01", "30000"),  # reversal long after
        claim("JS2", B, "2025-03-01", "30000"), reversal("JS2", B, "2024-01-01", "30000"),  # reversal dated before
    ])
    assert brief(tmp_path) == []


def test_reversal_without_its_original_counts_for_nothing(tmp_path):
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "30000"), reversal("JS9", A, "2025-02-01", "5000")])
    assert brief(tmp_path) == [alert("medical_burden", A, "2025-03-01", "high", None)]


def test_a_re_exported_row_counts_once(tmp_path):
    write(tmp_path, "medical_2025a.csv", [claim("JS1", A, "2025/03/01", "20000"), claim("JS2", A, "2025-04-01", "9999.99")])
    write(tmp_path, "medical_2025b.csv", [claim("JS1", A, "20250301", "20,000.00")])
    assert brief(tmp_path) == []


def test_cooldown_suppresses_the_same_severity_and_lets_a_higher_one_through(tmp_path):
    write(tmp_path, "medical.csv", [
        claim("JS1", A, "2025-01-10", "30000"),  # high
        claim("JS2", A, "2025-02-09", "1000"),  # high again, 30 days later: suppressed
        claim("JS3", A, "2025-03-11", "29000"),  # 60,000: critical, escalation fires
        claim("JS4", A, "2025-04-20", "100"),  # critical 40 days after a critical: suppressed
        claim("JS5", A, "2025-07-29", "1"),  # critical 140 days after: fires
    ])
    assert brief(tmp_path) == [
        alert("medical_burden", A, "2025-01-10", "high", None),
        alert("medical_burden", A, "2025-03-11", "critical", None),
        alert("medical_burden", A, "2025-07-29", "critical", None),
    ]


def test_cooldown_is_less_than_90_days(tmp_path):
    write(tmp_path, "medical.csv", [
        claim("JS1", A, "2025-01-10", "30000"), claim("JS2", A, "2025-04-09", "1"),  # 89 days: suppressed
        claim("JS3", B, "2025-01-10", "30000"), claim("JS4", B, "2025-04-10", "1"),  # 90 days: fires
    ])
    assert [(a["subject"], a["event_time"]) for a in brief(tmp_path)] == [
        (mask(A), "2025-01-10"), (mask(B), "2025-01-10"), (mask(B), "2025-04-10")]


def test_thresholds_can_be_overridden(tmp_path):
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "25000")])
    assert brief(tmp_path) == []
    assert brief(tmp_path, {"medical_burden": 20000}) == [alert("medical_burden", A, "2025-03-01", "high", None)]
    assert brief(tmp_path, {"medical_burden": 12500}) == [alert("medical_burden", A, "2025-03-01", "critical", None)]


def test_rows_that_the_pipeline_dead_letters_count_for_nothing(tmp_path):
    bad_id = A[:17] + ("0" if A[17] != "0" else "1")
    write(tmp_path, "medical.csv", [
        claim("JS1", bad_id, "2025-03-01", "30000"),
        claim("JS2", B, "2025-03-01", "三万"),
        claim("JS3", C, "2025-02-30", "30000"),
        claim("JS4", D, "2025-03-01", "30000"),
    ])
    assert brief(tmp_path) == [alert("medical_burden", D, "2025-03-01", "high", None)]


def test_gbk_file_and_full_width_id(tmp_path):
    full_width = A.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    path = write(tmp_path, "roster_gbk.csv", [roster(full_width, "2025-01-01", household="户001")], encoding="gbk")
    write(tmp_path, "employment.csv", [[A, "某某", "失业登记", "2025-06-01", "某厂"]], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert brief(tmp_path) == [alert("income_shock", A, "2025-06-01", "medium", "户001")]


def test_english_headers_and_unknown_columns(tmp_path):
    header = ["settlement_id", "id_number", "name", "settled_on", "visit_type", "total_cost", "fund_paid", "out_of_pocket", "provider", "备注"]
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "30000") + ["多余"]], header=header)
    write(tmp_path, "medical_bom.csv", [claim("JS2", B, "2025-03-01", "30000")], encoding="utf-8-sig")
    assert expected_pairs(tmp_path) == {(mask(A), "medical_burden"), (mask(B), "medical_burden")}


# ------------------------------------------------------------------ expenditure_hardship


def household(tmp_path: Path, income: str = "40000") -> None:
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", income=income), roster(B, "2025-01-01", income=income)])


@pytest.mark.parametrize("spend, severity", [("1700", "medium"), ("21000", "high"), ("1600", None), ("20800", "medium")])
def test_expenditure_hardship(tmp_path, spend, severity):
    # 40,000 / 4 = 10,000 per head; the line is 9,600 and half of it 4,800.
    household(tmp_path)
    write(tmp_path, "medical.csv", [claim("JS1", B, "2025-03-01", spend)])
    expected = [alert("expenditure_hardship", B, "2025-03-01", severity, "H001")] if severity else []
    assert brief(tmp_path) == expected


def test_expenditure_hardship_sums_members_medical_and_guardians_education(tmp_path):
    household(tmp_path)
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "1000")])  # 39,000 / 4 = 9,750: not yet
    write(tmp_path, "education.csv", [["XJ1", S, "某某", B, "高中", "2025-2026", "800", "300", "100"]])  # net 1,000
    assert brief(tmp_path) == [alert("expenditure_hardship", B, "2025-09-01", "medium", "H001")]


def test_household_figures_come_from_the_households_latest_row_of_any_member(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", income="40000"), roster(B, "2025-02-01", income="30000"),
                                   roster(A, "2025-04-01", income="40000")])
    write(tmp_path, "medical.csv", [claim("JS1", B, "2025-03-01", "1600"), claim("JS2", B, "2025-05-01", "100")])
    # On 3 March B's row (30,000 / 4) is the latest: under the line on income alone, nothing to cross.
    # On 1 May A's row is back (40,000 - 1,600 = 38,400: eligible); the 100 tips it.
    assert brief(tmp_path) == [alert("expenditure_hardship", B, "2025-05-01", "medium", "H001")]


def test_a_household_that_was_never_eligible_does_not_cross(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", income="40000"), roster(B, "2025-02-01", income="30000"),
                                   roster(A, "2025-04-01", income="40000")])
    write(tmp_path, "medical.csv", [claim("JS1", B, "2025-03-01", "1700"), claim("JS2", B, "2025-05-01", "1")])
    # When A's row restores the income on 1 April the household is already below (38,300 < 38,400):
    # a roster row is no tipping record, and the claim of 1 May finds it across already.
    assert brief(tmp_path) == []


def test_expenditure_hardship_not_for_a_household_already_under_the_line(tmp_path):
    household(tmp_path, income="38000")
    write(tmp_path, "medical.csv", [claim("JS1", B, "2025-03-01", "5000")])
    assert brief(tmp_path) == []


def test_expenditure_hardship_not_for_an_inactive_household(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", status="退出"), roster(B, "2025-01-01", status="退出")])
    write(tmp_path, "medical.csv", [claim("JS1", B, "2025-03-01", "5000")])
    assert brief(tmp_path) == []


# ------------------------------------------------------------------ new_severe_disability, disability_mismatch


def certificate(number: str, person: str, grade: str, action: str, on: str = "2025-04-01") -> list[str]:
    return [number, person, "某某", "肢体", grade, action, on]


def test_new_severe_disability(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01")])
    write(tmp_path, "disability.csv", [
        certificate("CJ1", A, "一级", "新办"), certificate("CJ2", B, "2", "等级变更"),
        certificate("CJ3", C, "三级", "新办"), certificate("CJ4", D, "1", "换领"),
    ])
    assert brief(tmp_path) == [
        alert("new_severe_disability", A, "2025-04-01", "critical", "H001"),
        alert("new_severe_disability", B, "2025-04-01", "high", None),
    ]


def test_disability_mismatch(tmp_path):
    write(tmp_path, "roster.csv", [
        roster(A, "2025-01-01", household="H1", basis="肢体残疾二级"),
        roster(B, "2025-01-01", household="H2", basis="重度残疾人"),
        roster(C, "2025-01-01", household="H3", basis="低保户"),
        roster(D, "2025-01-01", household="H4", basis="残疾"), roster(D, "2025-03-01", household="H4", basis="残疾", status="退出"),
    ])
    write(tmp_path, "disability.csv", [
        certificate("CJ1", A, "二级", "注销"), certificate("CJ2", B, "三级", "等级变更"),
        certificate("CJ3", C, "二级", "注销"), certificate("CJ4", D, "二级", "注销"),
    ])
    assert brief(tmp_path) == [
        alert("disability_mismatch", A, "2025-04-01", "high", "H1"),
        alert("disability_mismatch", B, "2025-04-01", "medium", "H2"),
    ]


# ------------------------------------------------------------------ education_burden


def student(number: str, guardian: str, tuition: str, boarding: str, aid: str, year: str = "2025-2026") -> list[str]:
    return [number, S, "某某", guardian, "高中", year, tuition, boarding, aid]


@pytest.mark.parametrize("tuition, severity", [("6000", "medium"), ("5999.99", None), ("14,000.00元", "high")])
def test_education_burden(tmp_path, tuition, severity):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", household="H9", income="6000")])
    write(tmp_path, "education.csv", [student("XJ1", A, tuition, "3000", "1000")])  # net = tuition + 2,000
    expected = [alert("education_burden", S, "2025-09-01", severity, "H9")] if severity else []
    assert brief(tmp_path) == expected


def test_education_burden_needs_an_active_guardian(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2024-01-01", income="6000"), roster(A, "2025-08-31", status="退出", income="6000")])
    write(tmp_path, "education.csv", [student("XJ1", A, "9000", "0", "0")])
    assert brief(tmp_path) == []


# ------------------------------------------------------------------ income_shock


def test_income_shock_for_unemployment_in_an_active_household(tmp_path):
    write(tmp_path, "roster.csv", [
        roster(A, "2025-01-01"), roster(B, "2025-01-01", status="退出"),  # B exited, but H001 is active through A
        roster(C, "2025-01-01", household="H3"), roster(C, "2025-05-01", household="H3", status="退出"),  # exited before
        roster(D, "2025-07-01", household="H4"),  # on the roster only after registering
    ])
    write(tmp_path, "employment.csv", [
        [B, "某某", "失业登记", "2025-06-01", "某厂"], [A, "某某", "就业登记", "2025-06-01", "某厂"],
        [C, "某某", "失业登记", "2025-06-01", "某厂"], [D, "某某", "失业登记", "2025-06-01", "某厂"],
    ])
    assert brief(tmp_path) == [alert("income_shock", B, "2025-06-01", "medium", "H001")]


@pytest.mark.parametrize("loss, severity", [("10000", "medium"), ("9,999.99", None), ("50000元", "high"), ("49999.99", "medium")])
def test_income_shock_for_disaster_loss(tmp_path, loss, severity):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01")])
    write(tmp_path, "disaster.csv", [[A, "某某", "340403001", "洪涝", loss, "2025-07-15"]])
    expected = [alert("income_shock", A, "2025-07-15", severity, "H001")] if severity else []
    assert brief(tmp_path) == expected


def test_same_day_records_are_judged_by_feed_name_then_key(tmp_path):
    # disaster sorts before employment: the high disaster alert comes first and the medium one is cooled down.
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01")])
    write(tmp_path, "employment.csv", [[A, "某某", "失业登记", "2025-07-15", "某厂"]])
    write(tmp_path, "disaster.csv", [[A, "某某", "340403001", "洪涝", "50000", "2025-07-15"]])
    assert brief(tmp_path) == [alert("income_shock", A, "2025-07-15", "high", "H001")]


# ------------------------------------------------------------------ deceased_recipient


def funeral(number: str, person: str, died: str) -> list[str]:
    return [number, person, "某某", died, died, "市殡仪馆"]


def test_deceased_recipient(tmp_path):
    write(tmp_path, "roster.csv", [
        roster(A, "2025-01-01", household="H1"),
        roster(B, "2024-01-01", household="H2"), roster(B, "2025-01-01", household="H2", status="退出"),
        roster(C, "2025-08-01", household="H3"),  # put on the roster after death
    ])
    write(tmp_path, "funeral.csv", [funeral("HH1", A, "2025-05-01"), funeral("HH2", B, "2025-05-01"),
                                    funeral("HH3", C, "2025-05-01"), funeral("HH4", D, "2025-05-01")])
    assert brief(tmp_path) == [
        alert("deceased_recipient", A, "2025-05-01", "high", "H1"),
        alert("deceased_recipient", C, "2025-05-01", "high", "H3"),
    ]


def test_expected_pairs(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01")])
    write(tmp_path, "funeral.csv", [funeral("HH1", A, "2025-05-01")])
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "30000"), claim("JS2", A, "2025-04-01", "1")])
    assert expected_pairs(tmp_path) == {(mask(A), "deceased_recipient"), (mask(A), "medical_burden"),
                                        (mask(A), "expenditure_hardship")}


# ------------------------------------------------------------------ version 2: the household crossing

HEADERS.update({
    "rural": ["身份证号", "姓名", "乡镇街道代码", "监测类型", "风险类型", "业务类型", "业务日期"],
    "hukou": ["身份证号", "姓名", "业务类型", "迁往地区代码", "业务日期"],
    "vehicle": ["号牌号码", "身份证号", "姓名", "车辆类型", "业务类型", "购置价格", "登记日期"],
    "property": ["不动产单元号", "身份证号", "姓名", "房屋用途", "建筑面积", "业务类型", "登记日期"],
    "business": ["统一社会信用代码", "身份证号", "姓名", "主体类型", "注册资本", "业务类型", "业务日期"],
})


def pairs_with_day(directory: Path, rule: str) -> list[tuple[str, str]]:
    return [(a["subject"], a["event_time"]) for a in of_rule(directory, rule)]


def test_a_second_members_claim_after_the_crossing_raises_nothing(tmp_path):
    household(tmp_path)  # 40,000 / 4: eligible until 1,600 of spend
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-03-01", "1700"), claim("JS2", B, "2025-04-01", "100"),
                                    claim("JS3", B, "2025-05-01", "5000")])
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(A), "2025-03-01")]


def test_a_late_earlier_claim_moves_the_crossing_to_another_member(tmp_path):
    household(tmp_path)
    write(tmp_path, "medical_2025.csv", [claim("JS2", B, "2025-05-01", "1700")])
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(B), "2025-05-01")]
    # the hospital's late export, read last, holds an earlier claim of A: the crossing is A's now
    write(tmp_path, "medical_zz_late.csv", [claim("JS1", A, "2025-03-01", "1700")])
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(A), "2025-03-01")]


def test_a_late_file_with_an_old_claim(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2024-01-01"), roster(B, "2024-01-01")])
    write(tmp_path, "medical_2026.csv", [claim("JS3", A, "2026-03-01", "1700"), claim("JS4", C, "2025-02-01", "20000")])
    write(tmp_path, "medical_zz_late.csv", [claim("JS1", B, "2024-06-01", "1700"), claim("JS2", C, "2024-06-01", "10000")])
    # B's old claim is a crossing of its own; A's claim 638 days later finds the spend gone and crosses again
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(B), "2024-06-01"), (mask(A), "2026-03-01")]
    # C's old claim lies inside the window of C's 2025 claim: together 30,000
    assert pairs_with_day(tmp_path, "medical_burden") == [(mask(C), "2025-02-01")]


def test_spend_leaving_the_window_then_a_re_crossing(tmp_path):
    household(tmp_path)
    write(tmp_path, "medical.csv", [
        claim("JS1", A, "2025-01-10", "1700"),  # crossing
        claim("JS2", B, "2025-06-01", "100"),  # still across: nothing
        claim("JS3", A, "2026-01-10", "1700"),  # JS1 is 365 days old: out; 40,000 - 100 eligible, then across
        claim("JS4", B, "2026-01-11", "100"),  # across: nothing
    ])
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(A), "2025-01-10"), (mask(A), "2026-01-10")]


def test_a_crossing_back_within_the_cooldown_fires_only_for_another_person(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01"), roster(B, "2025-01-01"),
                                   roster(A, "2025-03-01", income="50000"), roster(B, "2025-03-01", income="50000")])
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-01-10", "1700"), claim("JS2", A, "2025-03-15", "10000")])
    # income rises on 1 March (eligible again); A's claim on 15 March crosses again, 64 days after
    # A's medium alert: the cooldown holds it back
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(A), "2025-01-10")]
    write(tmp_path, "medical.csv", [claim("JS1", A, "2025-01-10", "1700"), claim("JS2", B, "2025-03-15", "10000")])
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(A), "2025-01-10"), (mask(B), "2025-03-15")]


def test_members_are_read_on_the_day_of_the_tipping_record(tmp_path):
    # C joins A's household on 1 June; C's older spend counts for the household from then on
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", size=3, income="30000"),
                                   roster(C, "2025-01-01", household="H2", size=1, income="20000"),
                                   roster(C, "2025-06-01", household="H001", size=3, income="30000")])
    write(tmp_path, "medical.csv", [claim("JS1", C, "2025-02-01", "1000"), claim("JS2", A, "2025-07-01", "300")])
    # on 1 July: 30,000 - 1,000 = 29,000 >= 28,800 before A's claim, 28,700 after: A tips it
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(A), "2025-07-01")]


def test_same_day_claims_tip_in_the_order_of_their_keys(tmp_path):
    household(tmp_path)
    write(tmp_path, "medical.csv", [claim("JS9", A, "2025-03-01", "1000"), claim("JS1", B, "2025-03-01", "1000")])
    assert pairs_with_day(tmp_path, "expenditure_hardship") == [(mask(A), "2025-03-01")]


# ------------------------------------------------------------------ version 2: death evidence from hukou


def hukou(person: str, action: str, on: str, destination: str = "") -> list[str]:
    return [person, "某某", action, destination, on]


def test_a_hukou_death_cancellation_is_death_evidence(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", household="H1"), roster(B, "2025-01-01", household="H2"),
                                   roster(C, "2025-09-01", household="H3"), roster(D, "2024-01-01", household="H4"),
                                   roster(D, "2025-01-01", household="H4", status="退出")])
    write(tmp_path, "hukou.csv", [hukou(A, "死亡注销", "2025-05-20"), hukou(B, "死亡注销", "2025-06-01"),
                                  hukou(C, "死亡注销", "2025-06-01"), hukou(D, "死亡注销", "2025-06-01")])
    write(tmp_path, "funeral.csv", [funeral("HH1", A, "2025-05-01")])
    found = [a for a in expected_alerts(tmp_path) if a["rule"] == "deceased_recipient"]
    assert [(a["subject"], a["event_time"], a["household_id"]) for a in found] == [
        (mask(A), "2025-05-01", "H1"), (mask(B), "2025-06-01", "H2"), (mask(C), "2025-06-01", "H3")]
    assert [e["feed"] for e in found[0]["evidence"]] == ["funeral", "hukou"]  # every death record, one alert
    assert all(A not in str(a) for a in found)


# ------------------------------------------------------------------ version 2: the person rules


def test_moved_away_compares_the_first_four_digits_with_the_roster_township(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", household="H1"), roster(B, "2025-01-01", household="H2"),
                                   roster(C, "2025-01-01", household="H3"), roster(D, "2025-01-01", household="H4", status="退出")])
    write(tmp_path, "hukou.csv", [hukou(A, "迁出", "2025-04-01", "340404"),  # same city (3404): no
                                  hukou(B, "迁出", "2025-04-01", "340501"),  # another city: yes
                                  hukou(C, "迁入", "2025-04-01"), hukou(D, "迁出", "2025-04-01", "110101")])
    assert pairs_with_day(tmp_path, "moved_away") == [(mask(B), "2025-04-01")]


def test_incarcerated_only_for_an_active_person(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", household="H1"), roster(B, "2024-01-01", household="H2"),
                                   roster(B, "2025-01-01", household="H2", status="退出")])
    write(tmp_path, "hukou.csv", [hukou(A, "服刑", "2025-04-01"), hukou(B, "服刑", "2025-04-01"),
                                  hukou(A, "刑满释放", "2025-12-01")])
    assert pairs_with_day(tmp_path, "incarcerated") == [(mask(A), "2025-04-01")]


def rural(person: str, action: str, on: str) -> list[str]:
    return [person, "某某", "340403001", "边缘易致贫户", "因病", action, on]


def test_rural_unassisted_for_a_person_not_active_on_the_date(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", household="H1"), roster(B, "2024-01-01", household="H2"),
                                   roster(B, "2025-01-01", household="H2", status="退出"),
                                   roster(D, "2025-06-01", household="H4")])
    write(tmp_path, "rural.csv", [rural(A, "纳入", "2025-04-01"), rural(B, "纳入", "2025-04-01"),
                                  rural(C, "纳入", "2025-04-01"), rural(C, "消除", "2025-10-01"),
                                  rural(D, "纳入", "2025-04-01")])
    found = of_rule(tmp_path, "rural_unassisted")
    assert [(a["subject"], a["household_id"]) for a in found] == [(mask(B), "H2"), (mask(C), None), (mask(D), None)]


def vehicle(plate: str, person: str, kind: str, action: str, price: str, on: str = "2025-04-01") -> list[str]:
    return [plate, person, "某某", kind, action, price, on]


def test_vehicle_owner_threshold_and_exempt_types(tmp_path):
    people = [pid(n) for n in range(20, 31)]
    write(tmp_path, "roster.csv", [roster(p, "2025-01-01", household=f"H{i}") for i, p in enumerate(people[:10])]
          + [roster(people[10], "2025-01-01", household="H10", status="退出")])
    write(tmp_path, "vehicle.csv", [
        vehicle("皖D1", people[0], "小型轿车", "注册登记", "50000"),  # exactly: fires
        vehicle("皖D2", people[1], "小型轿车", "注册登记", "49,999.99"),
        vehicle("皖D3", people[2], "小型越野车", "转入登记", "80000元"),  # fires
        vehicle("皖D4", people[3], "中型客车", "注册登记", "120000"),  # fires
        vehicle("皖D5", people[4], "残疾人专用车", "注册登记", "90000"),
        vehicle("皖D6", people[5], "摩托车", "注册登记", "90000"),
        vehicle("皖D7", people[6], "三轮汽车", "注册登记", "90000"),
        vehicle("皖D8", people[7], "货车", "注册登记", "200000"),
        vehicle("皖D9", people[8], "小型轿车", "注销登记", "90000"),
        vehicle("皖D10", people[10], "小型轿车", "注册登记", "90000"),  # not active
    ])
    assert {a["subject"] for a in of_rule(tmp_path, "vehicle_owner")} == {mask(people[0]), mask(people[2]), mask(people[3])}


def test_thresholds_per_county(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", household="H1"),
                                   [B, "某某", "H2", "户主", "340404002", "低保", "在保", "4", "40000", "800", "低保", "", "2025-01-01"]])
    write(tmp_path, "vehicle.csv", [vehicle("皖D1", A, "小型轿车", "注册登记", "45000"),
                                    vehicle("皖D2", B, "小型轿车", "注册登记", "45000")])
    assert of_rule(tmp_path, "vehicle_owner") == []
    county = {"counties": {"340404": {"vehicle_price_threshold": 40000}}}
    assert pairs_with_day_cfg(tmp_path, "vehicle_owner", county) == [(mask(B), "2025-04-01")]
    rules_yaml = {"defaults": {"vehicle_price_threshold": 45000}, "counties": {"340404": {"vehicle_price_threshold": 60000}}}
    assert pairs_with_day_cfg(tmp_path, "vehicle_owner", rules_yaml) == [(mask(A), "2025-04-01")]


def pairs_with_day_cfg(directory: Path, rule: str, thresholds: dict) -> list[tuple[str, str]]:
    return [(a["subject"], a["event_time"]) for a in expected_alerts(directory, thresholds) if a["rule"] == rule]


def business(code: str, person: str, entity: str, capital: str, action: str = "设立", on: str = "2025-04-01") -> list[str]:
    return [code, person, "某某", entity, capital, action, on]


def test_business_owner_capital_and_entity_types(tmp_path):
    people = [pid(n) for n in range(40, 47)]
    write(tmp_path, "roster.csv", [roster(p, "2025-01-01", household=f"H{i}") for i, p in enumerate(people[:6])]
          + [roster(people[6], "2025-01-01", household="H6", status="退出")])
    write(tmp_path, "business.csv", [
        business("91A", people[0], "个体工商户", "99,999.99"),
        business("91B", people[1], "个体工商户", "100000"),  # fires
        business("91C", people[2], "有限责任公司", "1"),  # fires
        business("91D", people[3], "股份有限公司", "5000000"),  # fires
        business("91E", people[4], "农民专业合作社", "900000"),
        business("91F", people[5], "有限责任公司", "100000", action="注销"),
        business("91G", people[6], "有限责任公司", "100000"),  # not active
    ])
    assert {a["subject"] for a in of_rule(tmp_path, "business_owner")} == {mask(people[1]), mask(people[2]), mask(people[3])}


def unit(number: str, person: str, use: str, action: str, on: str) -> list[str]:
    return [number, person, "某某", use, "89.50", action, on]


def test_property_holder_two_homes_across_two_members(tmp_path):
    household(tmp_path)
    write(tmp_path, "property.csv", [unit("U1", A, "住宅", "取得", "2025-02-01"), unit("U2", B, "住宅", "取得", "2025-03-01"),
                                     unit("U3", A, "住宅", "取得", "2025-04-01")])  # across already: nothing
    assert pairs_with_day(tmp_path, "property_holder") == [(mask(B), "2025-03-01")]


def test_property_holder_disposal_co_ownership_and_a_new_crossing(tmp_path):
    household(tmp_path)
    write(tmp_path, "property.csv", [
        unit("U1", A, "住宅", "取得", "2024-02-01"), unit("U1", A, "住宅", "注销", "2024-05-01"),
        unit("U2", A, "住宅", "取得", "2025-02-01"),  # one home at a time: no
        unit("U2", B, "住宅", "取得", "2025-03-01"),  # the same unit co-owned: still one home
        unit("U2", A, "住宅", "注销", "2025-04-01"), unit("U2", B, "住宅", "注销", "2025-04-01"),
        unit("S1", B, "商业", "取得", "2025-06-01"),  # a shop: crossing
        unit("S1", B, "商业", "注销", "2025-08-01"),  # back
        unit("S2", A, "办公", "取得", "2025-12-01"),  # a new crossing
    ])
    assert pairs_with_day(tmp_path, "property_holder") == [(mask(B), "2025-06-01"), (mask(A), "2025-12-01")]


def test_property_holder_needs_an_active_household(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01", status="退出"), roster(B, "2025-01-01", status="退出")])
    write(tmp_path, "property.csv", [unit("S1", A, "工业", "取得", "2025-02-01")])
    assert of_rule(tmp_path, "property_holder") == []


def test_new_feeds_with_english_headers_and_gb18030(tmp_path):
    write(tmp_path, "roster.csv", [roster(A, "2025-01-01")])
    write(tmp_path, "hukou_en.csv", [hukou(A, "服刑", "2025-04-01")], encoding="gb18030",
          header=["id_number", "name", "action", "destination_code", "action_date"])
    write(tmp_path, "business_bom.csv", [business("91B", A, "有限责任公司", "1")], encoding="utf-8-sig",
          header=["credit_code", "id_number", "name", "entity_type", "registered_capital", "action", "action_date"])
    assert expected_pairs(tmp_path) == {(mask(A), "incarcerated"), (mask(A), "business_owner")}


def test_alerts_carry_kind_township_and_evidence_without_raw_numbers(tmp_path):
    household(tmp_path)
    write(tmp_path, "property.csv", [unit("340403001001GB00001F0001", A, "商业", "取得", "2025-02-01")])
    (found,) = expected_alerts(tmp_path)
    assert (found["kind"], found["township_code"], found["rule"]) == ("audit", "340403001", "property_holder")
    assert len(found["evidence"]) == 1 and "GB00001" not in str(found) and A not in str(found)
