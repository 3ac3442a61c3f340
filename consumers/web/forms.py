"""The public forms as data: one `ChannelForm` per channel, rendered by one template, checked in one place.

Browser-side checks (required, maxlength) are a convenience; the intake API decides. Its 422s come
back per field and are shown next to the field in Chinese (labels.field_errors).
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from consumers.web.labels import CATEGORIES, township_options


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: str = "text"  # text | tel | number | textarea | select
    required: bool = True
    maxlength: int = 64
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    autocomplete: str = "off"
    inputmode: str | None = None


@dataclass(frozen=True)
class ChannelForm:
    channel: str
    path: str
    title: str
    intro: str
    submit: str
    inputs: tuple[Input, ...]


TOWNSHIP = Input("township_code", "所在乡镇（街道）", "select",
                 options=township_options())
PHONE_HINT = "11 位手机号，或带区号的固定电话"
ID_HINT = "18 位，最后一位可能是 X；只在本页提交，不会出现在网址中"

APPLICATION = ChannelForm("application", "/apply", "申请社会救助", "在线申请低保、特困供养或临时救助。带 * 的为必填项。",
                          "提交申请", (
    Input("category", "救助类别", "select", options=tuple((c, c) for c in CATEGORIES)),
    Input("applicant_name", "申请人姓名", autocomplete="name"),
    Input("id_number", "申请人身份证号", maxlength=32, hint=ID_HINT),
    Input("phone", "联系电话", "tel", maxlength=20, hint=PHONE_HINT, autocomplete="tel", inputmode="tel"),
    TOWNSHIP,
    Input("household_size", "家庭人口（人）", "number", maxlength=3, inputmode="numeric"),
    Input("household_annual_income", "家庭年收入（元）", maxlength=16, inputmode="decimal", hint="全家上一年总收入，例如 12000"),
    Input("reason", "申请理由", "textarea", maxlength=2000, hint="家庭困难的原因与现状，最多 2000 字"),
))
TIP_OFF = ChannelForm("tip_off", "/tip-off", "举报", "如果您认为有人不符合条件却在领取救助，请告诉我们。我们会保护举报人信息。",
                      "提交举报", (
    Input("subject_name", "被举报人姓名"),
    Input("subject_id_number", "被举报人身份证号", required=False, maxlength=32, hint="不清楚可不填"),
    TOWNSHIP,
    Input("content", "举报内容", "textarea", maxlength=2000, hint="具体情况，最多 2000 字"),
))
WARNING = ChannelForm("warning_report", "/warning", "我要预警", "村（社区）干部、网格员和志愿者：发现有人可能需要帮助，一键上报。",
                      "立即上报", (
    Input("reporter", "上报人（姓名或网格员编号）", autocomplete="name"),
    Input("subject_name", "需要帮助的人的姓名"),
    Input("subject_phone", "对方电话", "tel", required=False, maxlength=20, hint="选填；" + PHONE_HINT, inputmode="tel"),
    Input("subject_id_number", "对方身份证号", required=False, maxlength=32, hint="选填，不清楚可不填"),
    TOWNSHIP,
    Input("situation", "情况说明", "textarea", maxlength=2000, hint="例如：独居老人摔伤无人照料"),
))
HOTLINE = ChannelForm("hotline", "/hotline", "12345 热线工单", "把 12345 转来的求助录入为工单，并跟踪到办结。", "录入工单", (
    Input("ticket_no", "工单编号"),
    Input("caller_name", "来电人姓名"),
    Input("caller_phone", "来电号码", "tel", maxlength=20, hint=PHONE_HINT, inputmode="tel"),
    Input("township_code", "所在乡镇（街道）", "select", required=False, options=TOWNSHIP.options),
    Input("id_number", "来电人身份证号", required=False, maxlength=32, hint="来电人愿意提供时填写"),
    Input("content", "诉求内容", "textarea", maxlength=2000),
))
FORMS = {form.channel: form for form in (APPLICATION, TIP_OFF, WARNING, HOTLINE)}
IDEMPOTENCY = re.compile(r"^[0-9a-f]{32}$")


def read_values(form: ChannelForm, posted) -> tuple[dict[str, str], dict[str, str]]:
    """(values, errors) from a posted form: required fields present, nothing longer than allowed."""
    values, errors = {}, {}
    for field in form.inputs:
        value = str(posted.get(field.name) or "").strip()
        values[field.name] = value[:field.maxlength]
        if field.required and not value:
            errors[field.name] = "此项必须填写"
        elif len(value) > field.maxlength:
            errors[field.name] = f"最多 {field.maxlength} 个字"
        elif field.options and value and value not in dict(field.options):
            errors[field.name] = "请从列表中选择"
    return values, errors


def body_of(values: dict[str, str]) -> dict[str, str | None]:
    """The intake JSON body: empty optional fields are left out (None)."""
    return {name: (value or None) for name, value in values.items()}


def idempotency_key(posted) -> str:
    """The key the page was rendered with (a double submit sends it twice), or a new one."""
    key = str(posted.get("idem") or "")
    return key if IDEMPOTENCY.match(key) else new_key()


def new_key() -> str:
    return uuid.uuid4().hex
