"""The inbox: what each role sees, the kind of each item, urgency order, pages with true totals."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consumers.cases.auth import User, can_act, can_read, refusal
from consumers.cases.inbox import indexes_of, inbox_page
from schemas.cases import Case, CaseState

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 2, tzinfo=UTC)


def case(case_id: str, *, severity: str | None = "high", due: int = 5, state: str = "open", channel: str | None = None,
         township: str | None = "340403001", filed_by: str | None = None) -> Case:
    return Case(case_id=case_id, kind=channel or "medical_burden", category="channel" if channel else "risk",
                source_id=case_id, township_code=township, severity=severity, state=CaseState(state), opened_at=T0,
                sla_due=T0 + timedelta(days=due), channel=channel, filed_by=filed_by)


def test_urgency_is_severity_then_deadline_and_closed_cases_are_not_open_work():
    cases = [case("late-medium", severity="medium", due=-1), case("critical", severity="critical", due=6),
             case("high-soon", due=1), case("high-later", due=4), case("done", state="closed", severity="critical")]
    page = inbox_page(cases, T0)
    assert [i["case_id"] for i in page.items] == ["critical", "high-soon", "high-later", "late-medium"]
    assert page.total == 4


def test_pages_carry_the_true_total_and_sources_are_counted():
    cases = [case(f"a{i}", due=i) for i in range(7)] + [case("t1", channel="tip_off", severity=None),
                                                         case("h1", channel="hotline", severity=None)]
    page = inbox_page(cases, T0, page=2, size=4)
    assert (page.total, page.pages, len(page.items)) == (9, 3, 4)
    assert page.by_source == {"alert": 7, "tip_off": 1, "hotline": 1}
    only = inbox_page(cases, T0, source="tip_off")
    assert [i["case_id"] for i in only.items] == ["t1"] and only.items[0]["source"] == "tip_off"


def test_the_county_queue_belongs_to_the_county_and_unknown_townships_to_supervisors():
    cw = User(user="cw1", role="caseworker", township_code="340403001")
    other = User(user="cw9", role="caseworker", township_code="340404001")
    sup = User(user="s1", role="supervisor", township_code="340404")
    county_level = case("q", township="340403000")
    assert can_act(cw, county_level) and not can_act(other, county_level)
    assert ("queue", "340403") in indexes_of(cw)
    nowhere = case("n", township=None, channel="hotline")
    assert can_act(sup, nowhere) and not can_read(cw, nowhere)


def test_the_filer_always_sees_their_ticket_and_refusals_say_why():
    operator = User(user="op1", role="caseworker", township_code="340404001")
    ticket = case("t", township=None, channel="hotline", filed_by="op1")
    assert can_read(operator, ticket) and not can_act(operator, ticket)
    assert "由您录入" in refusal(operator, ticket)
    auditor = User(user="au", role="auditor")
    assert "只读" in refusal(auditor, ticket) and not can_act(auditor, ticket)
    stranger = User(user="cw9", role="caseworker", township_code="340404001")
    assert "田家庵区 田东街道" in refusal(stranger, case("x"))


def test_screenings_and_follow_ups_have_their_own_tabs_not_12345():
    follow_up = case("CF1", channel=None).model_copy(update={"kind": "follow_up", "category": "channel"})
    cases = [case("a1"), case("s1", channel="screening", severity=None), follow_up, case("h1", channel="hotline")]
    page = inbox_page(cases, T0)
    assert page.by_source == {"alert": 1, "screening": 1, "follow_up": 1, "hotline": 1}
    assert [i["case_id"] for i in inbox_page(cases, T0, source="follow_up").items] == ["CF1"]
    assert [i["case_id"] for i in inbox_page(cases, T0, source="hotline").items] == ["h1"]
