"""What people send through the public channels (spec section 2), and the PII-free event each becomes.

The request models are what the intake API validates; they hold names, phones and ID numbers and
never leave the intake process. Only `ChannelRequest` goes on Kafka: people appear in it as
`person_key` / `masked_id`, and its summary has names, phones and ID numbers scrubbed out.
ID numbers are checked (checksum, birth date) by the intake, which owns the identity module.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.envelope import MASKED_ID, PERSON_KEY

TOWNSHIP = r"^\d{9}$"
PHONE = r"^(1\d{10}|0\d{2,3}-?\d{7,8})$"  # mobile, or landline with area code
Name = Annotated[str, Field(min_length=1, max_length=64)]
IdNumberText = Annotated[str, Field(min_length=1, max_length=32)]  # shape only; intake checks the checksum
Text = Annotated[str, Field(min_length=1, max_length=4000)]

ChannelName = Literal["hotline", "application", "tip_off", "warning_report", "screening"]
Match = Literal["id", "name_phone_township", "unidentified"]


class ChannelModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class HotlineTicket(ChannelModel):
    """A 12345 hotline ticket forwarded to civil affairs."""

    ticket_no: str = Field(min_length=1, max_length=64)
    caller_name: Name
    caller_phone: str = Field(pattern=PHONE)
    township_code: str | None = Field(default=None, pattern=TOWNSHIP)
    content: Text
    received_at: AwareDatetime
    id_number: IdNumberText | None = None
    filed_by: str | None = Field(default=None, max_length=64)  # the operator's login when filed in the web console


class Application(ChannelModel):
    """An online application for 低保 / 特困 / 临时救助."""

    applicant_name: Name
    id_number: IdNumberText
    phone: str = Field(pattern=PHONE)
    township_code: str = Field(pattern=TOWNSHIP)
    category: Literal["低保", "特困", "临时救助"]
    household_size: int = Field(ge=1, le=100)
    household_annual_income: Decimal = Field(ge=0, max_digits=12, decimal_places=2)  # yuan
    reason: Text


class StatusQuery(ChannelModel):
    application_no: str = Field(min_length=1, max_length=64)  # the receipt number (回执号), any case, dashes optional
    id_number: IdNumberText | None = None  # required for an application: only the applicant sees its status


class TipOff(ChannelModel):
    """举报: someone believes a recipient should not be receiving assistance."""

    subject_name: Name
    subject_id_number: IdNumberText | None = None
    township_code: str = Field(pattern=TOWNSHIP)
    content: Text
    # No reporter contact is asked for: it would be kept nowhere safe, and tip-offs may stay anonymous.


class WarningReport(ChannelModel):
    """我要预警: an official or volunteer reports a person who may need help."""

    reporter: Name
    subject_name: Name
    subject_phone: str | None = Field(default=None, pattern=PHONE)
    subject_id_number: IdNumberText | None = None
    township_code: str = Field(pattern=TOWNSHIP)
    situation: Text


class Screening(ChannelModel):
    """摸排: a caseworker's door-to-door visit of a household that has no case; it may open one."""

    head_name: Name
    phone: str | None = Field(default=None, pattern=PHONE)
    id_number: IdNumberText | None = None
    township_code: str = Field(pattern=TOWNSHIP)
    household_size: int = Field(ge=1, le=100)
    findings: Text
    open_case: bool = False


class ScreeningRecorded(ChannelModel):
    """What `field.screenings` carries for every 摸排, with or without a case: no name, phone or ID number."""

    screening_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    township_code: str = Field(pattern=TOWNSHIP)
    household_size: int
    screened_by: str
    case_opened: bool
    request_id: str | None = None
    summary: str = Field(max_length=1000)
    at: AwareDatetime


class FieldSurvey(ChannelModel):
    """A caseworker's home visit, posted from a phone to the case tracker."""

    case_id: str = Field(min_length=1, max_length=64)
    visit_date: date
    findings: Text
    verdict: Literal["confirmed", "dismissed"]


class ChannelRequest(ChannelModel):
    """What `channel.requests` carries: keyed by person_key, or request_id when nobody is matched."""

    schema_version: Literal[1] = 1
    request_id: str = Field(pattern=r"^[0-9a-f]{64}$")  # hash of the idempotency key: retries collapse
    channel: ChannelName
    person_key: str | None = Field(default=None, pattern=PERSON_KEY)
    masked_id: str | None = Field(default=None, pattern=MASKED_ID)
    contact_key: str | None = Field(default=None, pattern=PERSON_KEY)  # vault key of the contact as given
    match: Match
    township_code: str | None = Field(default=None, pattern=TOWNSHIP)
    summary: str = Field(max_length=1000)  # names, phones and ID numbers scrubbed out
    received_at: AwareDatetime
    reported_by: str | None = Field(default=None, max_length=64)  # a logged-in reporter's user name
    filed_by: str | None = Field(default=None, max_length=64)  # an operator who filed it: always sees the case
