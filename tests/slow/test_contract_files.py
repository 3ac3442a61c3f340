"""Department files in every shape the contract allows, through `safetynet replay`, against the oracle."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.factories import resident_id
from tests.oracle import expected_alerts

REPO = Path(__file__).resolve().parents[2]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

A, B, C, D = resident_id(11), resident_id(12), resident_id(13), resident_id(14, born="19500505")
KID = resident_id(15, born="20080101")
X = next(resident_id(n) for n in range(100, 200) if resident_id(n).endswith("X"))


def write(directory: Path, name: str, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    lines = [",".join(header)] + [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    (directory / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))


def make_exports(d: Path) -> None:
    write(d, "roster.csv", ["身份证号", "姓名", "户编号", "与户主关系", "乡镇街道代码", "救助类别", "状态", "家庭人口",
                            "家庭年收入", "月救助金额", "认定依据", "残疾等级", "变更日期", "备注"], [
        [A, "张三", "H100", "户主", "340403001", "低保", "在保", "2", "20,000.00元", "800", "残疾 家庭收入低", "二级", "2024/01/15", "x"],
        [B.translate(FULLWIDTH), "李四", "H100", "配偶", "340403001", "低保", "在保", "2", "20000", "", "收入低", "", "20240115", ""],
        [X.lower(), "王五", "H200", "户主", "340403002", "特困", "在保", "1", "12000", "900", "无劳动能力", "", "2024-02-01", ""],
        [D, "赵六", "H300", "户主", "340403002", "低保", "在保", "1", "5000", "800", "收入低", "", "2025-06-01", ""],
        ["340403198001011230", "坏号", "H400", "户主", "340403002", "低保", "在保", "1", "5000", "800", "x", "", "2024-01-01", ""],
    ], encoding="utf-8-sig")
    write(d, "medical.csv", ["结算单号", "身份证号", "姓名", "结算日期", "就诊类型", "医疗总费用", "基金支付", "个人自付", "医疗机构"], [
        ["JS1", A, "张三", "2025-03-01", "住院", "60,000.00", "35,000.00", "25,000.00", "市一院"],
        ["JS2", A, "张三", "2025-04-01", "住院", "20000", "14000", "6000.50元", "市一院"],
        ["JS3", C, "陈七", "2025-05-01", "住院", "80000", "40000", "40000", "市二院"],
        ["JS3", C, "陈七", "2025-05-20", "住院", "-80000", "-40000", "-40000", "市二院"],
        ["JS4", X, "王五", "2025-07-01", "门特", "9000", "6000", "3000", "市二院"],
        ["JS5", B, "李四", "2025/08/01", "门诊", "1000", "900", "100", "社区"],
        ["JS6", B, "李四", "2025-08-02", "门诊", "1000", "九百", "100", "社区"],
    ], encoding="gb18030")
    write(d, "medical_reexport.csv", ["settlement_id", "id_number", "name", "settled_on", "visit_type", "total_cost",
                                      "fund_paid", "out_of_pocket", "provider"], [
        ["JS2", A, "张三", "20250401", "住院", "20000", "14000", "6000.50", "市一院"],
    ])
    write(d, "disability.csv", ["残疾人证号", "身份证号", "姓名", "残疾类别", "残疾等级", "业务类型", "办理日期"], [
        [A + "42", A, "张三", "肢体", "四级", "等级变更", "2025-09-01"],
        [C + "11", C, "陈七", "视力", "一级", "新办", "2025-02-02"],
        [B + "11", B, "李四", "听力", "3", "新办", "2025-02-30"],
    ])
    write(d, "funeral.csv", ["火化证明编号", "身份证号", "姓名", "死亡日期", "火化日期", "殡仪馆"], [
        ["HH1", D, "赵六", "2025-05-01", "2025-05-04", "市殡仪馆"],
    ], encoding="gb18030")
    write(d, "education.csv", ["学籍号", "学生身份证号", "学生姓名", "监护人身份证号", "学段", "学年", "学杂费", "住宿费", "已获资助"], [
        ["G" + KID, KID, "王小五", X, "本科", "2025-2026", "6,500", "2000", ""],
    ])
    write(d, "employment.csv", ["身份证号", "姓名", "业务类型", "登记日期", "原单位"], [
        [B, "李四", "失业登记", "2025-10-10", "某厂"],
    ])
    write(d, "disaster.csv", ["户主身份证号", "姓名", "乡镇街道代码", "灾害类型", "直接经济损失", "报告日期"], [
        [X, "王五", "340403002", "洪涝", "12,000", "2025-07-20"],
    ])


def test_every_contract_shape_replays_to_the_oracles_alerts(tmp_path, stack):
    exports = tmp_path / "exports"
    exports.mkdir()
    make_exports(exports)
    out = tmp_path / "alerts.jsonl"
    run = subprocess.run([sys.executable, "-m", "safetynet_cli", "replay", str(exports), "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    expected = expected_alerts(exports)
    assert sorted((a["subject"], a["rule"], a["event_time"], a["severity"]) for a in got) == \
        sorted((a["subject"], a["rule"], a["event_time"], a["severity"]) for a in expected)
    assert {a["rule"] for a in expected} >= {"medical_burden", "expenditure_hardship", "new_severe_disability",
                                              "education_burden", "income_shock", "deceased_recipient", "disability_mismatch"}
    # dead letters are reported with their reasons; no raw ID or name leaks into the export or the summary
    assert "dead-lettered" in run.stderr
    for secret in (A, B, C, D, X, "张三", "李四", "坏号"):
        assert secret not in out.read_text() and secret not in run.stderr
    keys = set(got[0])
    assert list(got[0]) == ["alert_id", "rule", "kind", "severity", "subject", "person_key", "household_id",
                            "township_code", "event_time", "triggered_at", "rule_version", "evidence"], keys


def test_replay_back_tests_other_thresholds(tmp_path, stack):
    exports = tmp_path / "exports"
    exports.mkdir()
    make_exports(exports)
    rules = tmp_path / "rules.yaml"
    rules.write_text("defaults:\n  medical_burden_threshold: 5000\n  education_burden_threshold: 5000\n"
                     "  dibao_monthly_standard: 700\ncounties: {}\n", encoding="utf-8")
    out = tmp_path / "alerts.jsonl"
    run = subprocess.run([sys.executable, "-m", "safetynet_cli", "replay", str(exports), "--config", str(rules), "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    expected = expected_alerts(exports, {"medical_burden": 5000, "education_burden": 5000, "dibao_monthly": 700})
    assert sorted((a["subject"], a["rule"], a["event_time"], a["severity"]) for a in got) == \
        sorted((a["subject"], a["rule"], a["event_time"], a["severity"]) for a in expected)
    assert len({a["rule_version"] for a in got}) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults:\n  medical_burden_threshold: -1\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "safetynet_cli", "replay", str(exports), "--config", str(bad)],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "rules file" in refused.stderr
