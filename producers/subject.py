"""Who a channel request is about, and its caseworker summary: pure functions of the request body."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from fastapi.exceptions import RequestValidationError

from producers.identity import InvalidIdNumber, validate
from schemas.channels import Application, HotlineTicket, Screening, StatusQuery, TipOff, WarningReport

SUMMARY_MAX = 500
_NUMBER_RUN = re.compile(r"\d[\d\- ]{5,}[\dXx]")  # phones, ID numbers, bank cards inside free text

ChannelBody = HotlineTicket | Application | TipOff | WarningReport | Screening


@dataclass(frozen=True)
class Subject:
    name: str
    phone: str | None
    id_number: str | None
    township: str | None
    self_declared: bool  # the person speaks for themself: their name and phone may find them later


def subject_of(body: ChannelBody) -> Subject:
    match body:
        case HotlineTicket():
            return Subject(body.caller_name, body.caller_phone, body.id_number, body.township_code, True)
        case Application():
            return Subject(body.applicant_name, body.phone, body.id_number, body.township_code, True)
        case TipOff():
            return Subject(body.subject_name, None, body.subject_id_number, body.township_code, False)
        case WarningReport():
            return Subject(body.subject_name, body.subject_phone, body.subject_id_number, body.township_code, False)
        case Screening():
            return Subject(body.head_name, body.phone, body.id_number, body.township_code, False)
    raise TypeError(type(body).__name__)


def summary_of(body: ChannelBody) -> str:
    """A caseworker's one-liner in Chinese, with the names given, and every long number, scrubbed out.
    A 12345 ticket number is not personal: it stays, so the case page can show it."""
    match body:
        case HotlineTicket():
            return (f"12345 工单 {body.ticket_no}：" + scrub(body.content, [body.caller_name]))[:SUMMARY_MAX]
        case Application():
            text = (f"申请{body.category}；家庭 {body.household_size} 人，年收入 {body.household_annual_income} 元；"
                    f"申请理由：{body.reason}")
            names = [body.applicant_name]
        case TipOff():
            text, names = f"举报内容：{body.content}", [body.subject_name]
        case WarningReport():
            text, names = f"预警情况：{body.situation}", [body.subject_name, body.reporter]
        case Screening():
            text, names = f"入户摸排（{body.household_size} 人户）：{body.findings}", [body.head_name]
    return scrub(text, names)[:SUMMARY_MAX]


def scrub(text: str, names: list[str]) -> str:
    for name in sorted(filter(None, names), key=len, reverse=True):
        text = text.replace(name, "[姓名]")
    return _NUMBER_RUN.sub("[号码]", text)


def match_key(secret: bytes, name: str, phone: str, township: str) -> str:
    """HMAC of name|phone|township: finds a person without an ID number, reveals nothing."""
    phone_digits = re.sub(r"\D", "", phone)
    return hmac.new(secret, f"match:{name.strip()}|{phone_digits}|{township}".encode(), hashlib.sha256).hexdigest()


def checked_id(raw: str | None, field: str) -> str | None:
    """The normalised ID number; a 422 naming the field and the reason (never the number)."""
    if raw is None:
        return None
    try:
        return validate(raw)
    except InvalidIdNumber as exc:
        raise RequestValidationError([{"loc": ("body", field), "msg": f"invalid ID number: {exc.reason}",
                                       "type": "id_number"}]) from None


ID_FIELD = {HotlineTicket: "id_number", Application: "id_number", TipOff: "subject_id_number",
            WarningReport: "subject_id_number", StatusQuery: "id_number", Screening: "id_number"}
