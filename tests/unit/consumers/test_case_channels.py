"""12345 answers in the lifecycle, and the year-to-date figures."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from consumers.cases import lifecycle
from consumers.cases.lifecycle import InvalidTransition, evolve
from consumers.cases.ytd import year_to_date
from schemas.cases import CaseOpened, CaseState, Grant

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opened(case_id: str, *, kind: str, category: str, actor: str, township: str | None = "340403001"):
    return evolve(None, CaseOpened(case_id=case_id, version=1, actor=actor, at=T0, kind=kind, category=category,
                                   source_id="s", township_code=township, sla_due=T0 + timedelta(days=2)))


def assigned(case):
    return evolve(case, lifecycle.transition(case, CaseState.assigned, actor="cw", at=T0))


def test_only_an_assigned_12345_ticket_closes_by_its_answer() -> None:
    ticket = assigned(opened("CR1", kind="identify_person", category="channel", actor="channel.hotline"))
    closed = evolve(ticket, lifecycle.answer(ticket, reply="答复", actor="cw", at=T0))
    assert (closed.state, closed.resolution, closed.closed_at) == (CaseState.closed, "answered", T0)
    with pytest.raises(InvalidTransition, match="once it is assigned"):
        lifecycle.answer(opened("CR2", kind="hotline", category="channel", actor="channel.hotline"), reply="x",
                         actor="cw", at=T0)
    with pytest.raises(InvalidTransition, match="only 12345"):
        lifecycle.answer(assigned(opened("CR3", kind="tip_off", category="channel", actor="channel.tip_off")),
                         reply="x", actor="cw", at=T0)
    with pytest.raises(InvalidTransition, match="reply text"):
        lifecycle.answer(ticket, reply="  ", actor="cw", at=T0)
    with pytest.raises(InvalidTransition, match="answered is how"):
        lifecycle.transition(ticket.model_copy(update={"state": CaseState.verified, "verdict": "confirmed"}),
                             CaseState.resolved, actor="cw", at=T0, resolution="answered")


def walk(case, verdict: str, resolution: str, at: datetime):
    for step in (CaseState.assigned, CaseState.visiting):
        case = evolve(case, lifecycle.transition(case, step, actor="cw", at=at))
    case = evolve(case, lifecycle.record_survey(case, visit_date=date(2026, 3, 3), findings="f", verdict=verdict,
                                                actor="cw", at=at))
    case = evolve(case, lifecycle.transition(case, CaseState.verified, actor="cw", at=at))
    grant = Grant(category="低保") if resolution == "assistance_granted" else None
    return evolve(case, lifecycle.transition(case, CaseState.resolved, actor="cw", at=at, resolution=resolution,
                                             grant=grant))


def test_year_to_date_by_county() -> None:
    granted = walk(opened("CA1", kind="medical_burden", category="risk", actor="alerts"), "confirmed",
                   "assistance_granted", T0)
    stopped = walk(opened("CA2", kind="deceased_recipient", category="audit", actor="alerts",
                          township="340404002"), "confirmed", "benefit_stopped", T0)
    dismissed = walk(opened("CA3", kind="medical_burden", category="risk", actor="alerts"), "dismissed",
                     "no_action", T0)
    ticket = assigned(opened("CR1", kind="identify_person", category="channel", actor="channel.hotline"))
    ticket = evolve(ticket, lifecycle.answer(ticket, reply="答复", actor="cw", at=T0))
    last_year = walk(opened("CA4", kind="medical_burden", category="risk", actor="alerts"), "confirmed",
                     "assistance_granted", T0 - timedelta(days=365))
    ytd = year_to_date([granted, stopped, dismissed, ticket, last_year], 2026, at=T0)
    rows = {r.county_code: r.model_dump(exclude={"county_code"}) for r in ytd.counties}
    assert rows == {
        "340403": {"warnings_pushed": 3, "verified": 1, "dismissed": 1, "benefits_stopped": 0,
                   "assistance_granted": 1, "tickets_closed": 1},
        "340404": {"warnings_pushed": 1, "verified": 1, "dismissed": 0, "benefits_stopped": 1,
                   "assistance_granted": 0, "tickets_closed": 0}}
    assert ytd.total.warnings_pushed == 4
    assert [r.county_code for r in year_to_date([granted, stopped], 2026, at=T0, county="340404").counties] == ["340404"]
