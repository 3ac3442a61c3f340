"""Evidence and timelines in a caseworker's words: labelled facts with units, no English, no tokens."""
from __future__ import annotations

import re

import pytest

from consumers.web.evidence import evidence_lines, summary_text
from consumers.web.labels import KINDS, WHY, note_text, sla_view
from schemas.alerts import Evidence, RuleName

pytestmark = pytest.mark.unit
TOKEN = "P2860aaa28602fe6c"
LATIN_WORD = re.compile(r"(?<![\w-])[A-Za-z]{2,}(?![\w-])")  # a word of letters only; codes carry digits


def test_the_household_figures_read_as_sentences():
    lines = evidence_lines("expenditure_hardship", [
        Evidence(feed="medical", key="JS2025-77", figure=4200.5),
        Evidence(feed="roster", key=f"{TOKEN}|2025-01-01", figure=36000.0),
        Evidence(feed="household", key="365d_rigid_spend", figure=13961.46),
        Evidence(feed="household", key="per_capita_after_spend", figure=7346.18)])
    assert [line.text for line in lines] == [
        "个人自付 4,200.50 元（结算单号 JS2025-77）",
        "家庭年收入 36,000.00 元（在册记录，变更日期 2025-01-01）",
        "近 365 天家庭医疗、教育自付 13,961.46 元",
        "扣除后人均 7,346.18 元，低于低保标准 9,600 元"]


def test_tokens_are_never_shown_and_identifying_numbers_are_masked():
    lines = evidence_lines("vehicle_owner", [Evidence(feed="vehicle", key=f"{TOKEN}|注册登记|2025-06-01", figure=168000)])
    assert lines[0].text == "购置价格 168,000.00 元（号牌号码已脱敏，注册登记，登记日期 2025-06-01）"
    cert = evidence_lines("new_severe_disability", [Evidence(feed="disability", key=TOKEN, figure=1.0)])
    assert cert[0].text == "残疾等级 一级（残疾人证号已脱敏）"


@pytest.mark.parametrize("rule", list(RuleName.__args__))
def test_every_rule_has_a_name_a_reason_and_latin_free_evidence(rule):
    assert rule in KINDS and WHY.get(rule)
    feeds = ["medical", "roster", "household", "disability", "education", "employment", "disaster", "funeral",
             "rural", "hukou", "vehicle", "property", "business"]
    for line in evidence_lines(rule, [Evidence(feed=f, key=f"{TOKEN}|2025-01-02", figure=12.5) for f in feeds]):
        assert not LATIN_WORD.search(line.source + line.text), line


def test_old_english_summaries_and_notes_are_put_in_chinese():
    assert summary_text("applies for 低保; household of 3, annual income 15000 yuan; reason: 生病") == \
        "申请低保；家庭 3 人，年收入 15000 元；申请理由：生病"
    assert summary_text("expenditure_hardship (medium), event time 2025-09-01") == ""
    assert note_text("withdrawn") == "后续数据已撤回一条预警"
    assert not LATIN_WORD.search(note_text("overdue:2026-03-09T09:00:00+00:00"))
    assert "并入" in note_text("alert_joined:high")


def test_a_verified_case_no_longer_says_already_twice():
    row = {"kind": "medical_burden", "category": "risk", "state": "verified", "sla_due": "2026-03-09T09:00:00+00:00"}
    from datetime import UTC, datetime
    assert sla_view(row, datetime(2026, 3, 2, tzinfo=UTC))["text"] == "时限内已核实"
