"""What the pages call things (Chinese UI), and intake errors translated into words people understand.

Pure: no I/O. The intake API answers 422 with `{"loc": [..., field], "type": ..., "msg": ...}` per
field and never echoes the value; `field_errors` turns that list into one Chinese sentence per field.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from consumers.cases.sla import sla_for
from schemas.cases import CaseState
from schemas.townships import places

LOCAL = ZoneInfo("Asia/Shanghai")

STATES: dict[str, str] = {
    "open": "待接案", "assigned": "已接案", "visiting": "走访中",
    "verified": "已核实", "resolved": "已处理", "closed": "已办结",
}
ORDER = [str(s) for s in CaseState]

KINDS: dict[str, str] = {
    "medical_burden": "医疗支出负担", "expenditure_hardship": "支出型困难", "new_severe_disability": "新增重度残疾",
    "education_burden": "教育支出负担", "income_shock": "收入骤降", "deceased_recipient": "死亡人员仍在保",
    "disability_mismatch": "残疾认定不符", "hotline": "12345 热线工单", "application": "救助申请",
    "tip_off": "举报", "warning_report": "我要预警", "identify_person": "待识别身份",
    "rural_unassisted": "防返贫监测未纳入救助", "moved_away": "户籍迁出本市", "incarcerated": "服刑人员",
    "vehicle_owner": "名下车辆", "property_holder": "家庭房产", "business_owner": "经营企业",
    "screening": "入户摸排", "follow_up": "救助回访",
}
# Where an inbox item comes from (the kind of item), for the inbox filter and each row's tag.
SOURCES: dict[str, str] = {"alert": "系统预警", "application": "申请", "tip_off": "举报", "warning_report": "我要预警",
                           "hotline": "12345", "screening": "入户摸排", "follow_up": "救助回访"}

# Why a case exists, in one sentence a caseworker can check against the evidence (spec section 3).
WHY: dict[str, str] = {
    "medical_burden": "此人 365 天内医疗个人自付累计达到 3 万元。",
    "expenditure_hardship": "家庭收入扣除医疗、教育刚性支出后，人均低于低保标准（每年 9600 元）。",
    "new_severe_disability": "新办或变更为一级、二级残疾证。",
    "education_burden": "学生年度净教育支出（学杂费＋住宿费－已获资助）达到 8000 元，监护人在保。",
    "income_shock": "在保家庭成员登记失业，或户主申报灾害损失达到 1 万元。",
    "deceased_recipient": "火化记录或户籍死亡注销显示此人已死亡，但仍在保：应停发待遇。",
    "disability_mismatch": "以残疾为认定依据的在保人员，残疾证已注销或降为三、四级。",
    "hotline": "12345 热线转来的工单，需在 2 个工作日内接案。",
    "application": "群众在线提交的救助申请，需在 10 个工作日内核实。",
    "tip_off": "群众举报此人不应享受救助，需在 15 天内核实。",
    "warning_report": "干部或志愿者“我要预警”上报，需在 7 天内核实。",
    "identify_person": "上报信息无法匹配到具体人员：请先查看身份（留痕），核实是谁。",
    "rural_unassisted": "乡村振兴部门已将此人纳入防返贫监测，但当日此人不在救助名单中：请核实是否需要救助。",
    "moved_away": "公安户籍显示此在保人员已迁出本市：应核实是否停发待遇。",
    "incarcerated": "公安户籍显示此在保人员正在服刑：应核实是否停发待遇。",
    "vehicle_owner": "在保人员新登记了购置价格 5 万元及以上的小型轿车、越野车或中型客车：请核实家庭经济状况。",
    "property_holder": "在保家庭名下有 2 套及以上住宅，或有商业、办公、工业用房：请核实家庭财产状况。",
    "business_owner": "在保人员设立了有限责任公司、股份有限公司，或注册资本 10 万元及以上的个体工商户：请核实经营收入。",
    "screening": "社工入户摸排发现困难，开案核实，需在 7 天内完成。",
    "follow_up": "已给予救助：30 天内回访，核实救助是否到位（属实 = 已到位）。",
}

FEEDS: dict[str, str] = {
    "medical": "医保结算", "roster": "低保在册", "household": "家庭测算", "disability": "残联", "education": "教育资助",
    "employment": "就业登记", "disaster": "灾害报损", "funeral": "殡葬火化", "rural": "防返贫监测", "hukou": "户籍",
    "vehicle": "车辆登记", "property": "不动产登记", "business": "市场主体登记",
}

SEVERITIES = {"low": "低", "medium": "中", "high": "高", "critical": "紧急"}
VERDICTS = {"confirmed": "情况属实", "dismissed": "情况不属实"}
RESOLUTIONS = {"assistance_granted": "给予救助", "benefit_stopped": "停发待遇", "no_action": "无需处理"}
HISTORY = {"opened": "建案", "assigned": "接案", "transitioned": "状态变更", "survey_recorded": "走访记录",
           "identity_revealed": "查看身份（留痕）", "evidence_updated": "证据更新", "escalated": "超期升级",
           "alert_joined": "新预警并入", "decision_exported": "结果导出民政（留痕）"}
CATEGORIES = ("低保", "特困", "临时救助")

NO_TOWNSHIP = "乡镇不明（待督导分派）"


def township_name(code: str | None) -> str:
    """Every code shows its name (infra/townships/huainan.csv); county-level codes name their county; no code
    at all (a caller who did not know) is the supervisors' to dispatch."""
    return places().name(code) if code else NO_TOWNSHIP


def township_options() -> tuple[tuple[str, str], ...]:
    """Every township and street of the city for the public forms, as `县区 乡镇`."""
    p = places()
    return tuple((t.code, f"{p.county_name(t.code)} {t.name}") for t in p.townships())


def feed_name(feed: str) -> str:
    """`medical` -> 医保结算; a channel request's `channel.warning_report` -> 我要预警（受理号）."""
    if feed.startswith("channel."):
        return KINDS.get(feed.removeprefix("channel."), feed) + "（受理号）"
    return FEEDS.get(feed, feed)


def actor_name(actor: str) -> str:
    """Users stay as they are; the systems that act on cases get a Chinese name."""
    if actor.startswith("channel."):
        return KINDS.get(actor.removeprefix("channel."), actor)
    return {"alerts": "预警系统", "sla": "时限监控"}.get(actor, actor)


def note_text(note: str) -> str:
    """A history note is a state, a verdict, a marker, or free text (a name, a reason): put each in words."""
    if note in ("withdrawn", "alert_withdrawn"):
        return "后续数据已撤回一条预警"
    if note in ("evidence updated", "evidence_updated"):
        return "预警数据有更新"
    if note.startswith("alert_joined:"):
        level = SEVERITIES.get(note.partition(":")[2], "")
        return f"同一对象同类预警再次触发，已并入本案{f'（程度{level}）' if level else ''}，办理时限不变"
    if note.startswith(("overdue:", "overdue since ")):
        return f"超过办理时限（{fmt_time(note.removeprefix('overdue:').removeprefix('overdue since '))}）"
    return STATES.get(note) or VERDICTS.get(note) or note


def fmt_time(value: datetime | str | None) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- SLA


def sla_view(row: dict, now: datetime) -> dict:
    """{"text", "tone", "due"}: the countdown a row shows; `due` only while the SLA can still be missed."""
    due = datetime.fromisoformat(row["sla_due"]) if isinstance(row["sla_due"], str) else row["sla_due"]
    target = str(sla_for(row["kind"], row["category"]).target)
    if ORDER.index(str(row["state"])) >= ORDER.index(target):
        if row.get("withdrawn") and str(row["state"]) == "closed" and not row.get("verdict"):
            return {"text": "预警撤回，已自动办结", "tone": "ok", "due": None}
        return {"text": "时限内" + STATES[target], "tone": "ok", "due": None}
    if row.get("withdrawn"):
        return {"text": "预警已撤回", "tone": "ok", "due": None}
    left = due - now
    if left <= timedelta(0):
        return {"text": f"已超期 {span(-left)}", "tone": "late", "due": due.isoformat()}
    return {"text": f"剩余 {span(left)}", "tone": "soon" if left < timedelta(days=1) else "ok",
            "due": due.isoformat()}


def span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{mins}分" if hours else f"{mins}分钟"


def pending(row: dict, now: datetime) -> bool:
    return sla_view(row, now)["due"] is not None


def overdue(row: dict, now: datetime) -> bool:
    return bool(row.get("escalated")) or sla_view(row, now)["tone"] == "late"


# ---------------------------------------------------------------- intake errors

_ID_REASONS = [
    (re.compile(r"must be 18 characters, got (\d+)"), "身份证号应为 18 位，您填写了 {0} 位"),
    (re.compile(r"17 digits followed by"), "身份证号应为 17 位数字加最后一位数字或 X"),
    (re.compile(r"not a real date"), "身份证号中的出生日期不存在，请核对第 7–14 位"),
    (re.compile(r"out of range"), "身份证号中的出生日期超出范围，请核对第 7–14 位"),
    (re.compile(r"check digit"), "身份证号校验位不正确，请核对每一位数字，特别是最后一位"),
    (re.compile(r"missing"), "请填写身份证号"),
]
_BY_FIELD = {
    "phone": "请填写 11 位手机号，或带区号的固定电话（如 0554-1234567）",
    "caller_phone": "请填写 11 位手机号，或带区号的固定电话（如 0554-1234567）",
    "subject_phone": "请填写 11 位手机号，或带区号的固定电话（如 0554-1234567）",
    "township_code": "请选择乡镇（街道）",
    "category": "请选择救助类别",
    "household_size": "家庭人口应为 1–100 的整数",
    "household_annual_income": "家庭年收入应为不小于 0 的金额，最多两位小数",
}


def field_errors(detail: list[dict] | str) -> dict[str, str]:
    """field name -> Chinese message, from an intake 422 body's `detail`."""
    if isinstance(detail, str):
        return {"_form": detail}
    errors: dict[str, str] = {}
    for error in detail:
        field = str(error.get("loc", ["", "_form"])[-1])
        errors.setdefault(field, message_for(field, error.get("type", ""), error.get("msg", "")))
    return errors


def message_for(field: str, kind: str, msg: str) -> str:
    if kind == "id_number":
        for pattern, text in _ID_REASONS:
            if found := pattern.search(msg):
                return text.format(*found.groups())
        return "身份证号不正确"
    if kind == "missing" or kind == "string_too_short":
        return "此项必须填写"
    if kind == "string_too_long":
        return "内容过长，请精简"
    return _BY_FIELD.get(field, "此项填写有误，请检查")


def is_county_queue(code: str | None) -> bool:
    """A county-level or unlisted township code: the case sits in the county's queue."""
    return places().is_county_level(code)


def place_label(code: str | None) -> str:
    """`田家庵区 田东街道`: county and township, for tables that span counties."""
    return places().label(code) if code else NO_TOWNSHIP
