"""Evidence in a caseworker's words: each line a labelled fact with its unit, records named as what they are.

    Evidence(feed="household", key="365d_rigid_spend", figure=13961.46)
        -> ("家庭测算", "近 365 天家庭医疗、教育自付 13,961.46 元")
    Evidence(feed="roster", key="P2860aaa28602fe6c|2025-01-01", figure=36000.0)   (expenditure_hardship)
        -> ("低保在册", "家庭年收入 36,000.00 元（在册记录，变更日期 2025-01-01）")

Pure. Keys are the feeds' natural keys with identifying parts already tokenised (`P` + 16 hex); a
token is never shown, it is said to be masked. Record numbers that do not identify a person
(结算单号, 火化证明编号, 12345 工单号) are shown as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.alerts import Evidence

TOKEN = re.compile(r"^P[0-9a-f]{16}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_LIKE = re.compile(r"\d{17}[\dXx]")
DIBAO_LINE_YUAN = 9600  # the default yearly line (spec section 3); counties may set their own
GRADES = {1.0: "一级", 2.0: "二级", 3.0: "三级", 4.0: "四级"}
DATE_NAMES = {"roster": "变更日期", "employment": "登记日期", "disaster": "报告日期", "vehicle": "登记日期",
              "property": "登记日期", "rural": "业务日期", "hukou": "业务日期", "business": "业务日期",
              "disability": "办理日期", "funeral": "死亡日期"}
RECORD_NAMES = {"roster": "在册记录", "employment": "就业登记记录", "disaster": "报损记录", "rural": "监测记录",
                "hukou": "户籍业务记录"}

FEEDS = {
    "medical": "医保结算", "roster": "低保在册", "household": "家庭测算", "disability": "残联", "education": "教育资助",
    "employment": "就业登记", "disaster": "灾害报损", "funeral": "殡葬火化", "rural": "防返贫监测",
    "hukou": "户籍", "vehicle": "车辆登记", "property": "不动产登记", "business": "市场主体登记",
}
# what a record's number is called, and whether it may be shown (False: it identifies a person)
RECORD = {
    "medical": ("结算单号", True), "funeral": ("火化证明编号", True), "disability": ("残疾人证号", True),
    "education": ("学籍号", True), "vehicle": ("号牌号码", False), "property": ("不动产单元号", False),
    "business": ("统一社会信用代码", False),
}
# what a figure on a feed's line means, and its unit
FIGURE = {
    "medical": ("个人自付", "元"), "education": ("学生年度净教育支出（学杂费＋住宿费－已获资助）", "元"),
    "disaster": ("直接经济损失", "元"), "vehicle": ("购置价格", "元"), "property": ("建筑面积", "平方米"),
    "business": ("注册资本", "元"), "roster": ("月救助金额", "元"),
}


@dataclass(frozen=True)
class Line:
    source: str  # the department the fact comes from
    text: str


def money(value: float) -> str:
    return f"{value:,.2f}"


def evidence_lines(rule: str, evidence: list[Evidence]) -> list[Line]:
    return [line_for(rule, e, first=i == 0) for i, e in enumerate(evidence)]


def line_for(rule: str, e: Evidence, *, first: bool = False) -> Line:
    source = FEEDS.get(e.feed) or channel_source(e.feed)
    if e.feed == "household":
        return Line(source, household_fact(e))
    if e.feed.startswith("channel."):
        return Line(source, "群众提交的材料（见上方“来源与内容”）")
    if e.feed == "medical" and rule == "medical_burden" and first and e.figure is not None:
        return Line(source, f"近 365 天医疗个人自付累计 {money(e.figure)} 元（本次{record_words(e)}）")
    if e.feed == "roster" and rule == "expenditure_hardship" and e.figure is not None:
        return Line(source, f"家庭年收入 {money(e.figure)} 元（{record_words(e)}）")
    if e.feed == "disability" and e.figure is not None:
        return Line(source, f"残疾等级 {GRADES.get(e.figure, str(e.figure))}（{record_words(e)}）")
    figure = figure_words(e)
    record = record_words(e)
    return Line(source, f"{figure}（{record}）" if figure else record)


def household_fact(e: Evidence) -> str:
    if e.figure is None:
        return "家庭测算"
    if e.key == "365d_rigid_spend":
        return f"近 365 天家庭医疗、教育自付 {money(e.figure)} 元"
    if e.key == "per_capita_after_spend":
        below = "，低于" if e.figure < DIBAO_LINE_YUAN else "，不低于"
        return f"扣除后人均 {money(e.figure)} 元{below}低保标准 {DIBAO_LINE_YUAN:,} 元"
    return f"家庭测算 {money(e.figure)}"


def figure_words(e: Evidence) -> str:
    if e.figure is None:
        return ""
    label, unit = FIGURE.get(e.feed, ("数值", ""))
    return f"{label} {money(e.figure)} {unit}".rstrip()


def record_words(e: Evidence) -> str:
    """The record as a caseworker names it: its number (or that it is masked), its action and its date."""
    name, showable = RECORD.get(e.feed, ("", True))
    parts = [p.strip() for p in e.key.split("|") if p.strip()]
    number = next((p for p in parts if not DATE.match(p) and not _is_words(p)), None)
    words = [p for p in parts if _is_words(p)]
    dates = [p for p in parts if DATE.match(p)]
    out = [RECORD_NAMES.get(e.feed) or f"{FEEDS.get(e.feed, '')}记录"] if not name or number is None else []
    if number is not None and name:
        out.append(f"{name} {number}" if showable and not TOKEN.match(number) and not ID_LIKE.search(number)
                   else f"{name}已脱敏")
    out += [*words, *(f"{DATE_NAMES.get(e.feed, '日期')} {d}" for d in dates)]
    return "，".join(out) or "记录"


def channel_source(feed: str) -> str:
    names = {"hotline": "12345 热线", "application": "在线申请", "tip_off": "举报", "warning_report": "我要预警"}
    return names.get(feed.removeprefix("channel."), "其他来源")


def _is_words(part: str) -> bool:
    """An action or type in Chinese (失业登记, 死亡注销), not a number or a date."""
    return bool(re.fullmatch(r"[\u4e00-\u9fff]+", part))


# ---------------------------------------------------------------- channel summaries

_OLD_SUMMARIES = [  # summaries written before the intake wrote Chinese (older case logs)
    (re.compile(r"^applies for (\S+); household of (\d+), annual income ([\d.]+) yuan; reason: (.*)$", re.S),
     "申请{0}；家庭 {1} 人，年收入 {2} 元；申请理由：{3}"),
    (re.compile(r"^12345 ticket (.*?): (.*)$", re.S), "12345 工单 {0}：{1}"),
    (re.compile(r"^tip-off: (.*)$", re.S), "举报内容：{0}"),
    (re.compile(r"^我要预警: (.*)$", re.S), "预警情况：{0}"),
]


def summary_text(summary: str) -> str:
    """A channel case's summary in Chinese; alert cases carry none (their facts are the evidence)."""
    for pattern, words in _OLD_SUMMARIES:
        if found := pattern.match(summary):
            return words.format(*found.groups())
    if re.match(r"^[a-z_]+ \((low|medium|high|critical)\), event time", summary):
        return ""  # an alert case's old English one-liner: the page shows its facts instead
    return summary
