"""Decide, then evolve: every allowed and every forbidden transition, and the fold over the log."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from consumers.cases import lifecycle
from consumers.cases.lifecycle import NEXT, InvalidTransition, StaleEvent, evolve, replay
from schemas.alerts import Evidence
from schemas.cases import Case, CaseOpened, CaseState, Grant

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALLOWED = {(CaseState.open, CaseState.assigned), (CaseState.assigned, CaseState.visiting),
           (CaseState.visiting, CaseState.verified), (CaseState.verified, CaseState.resolved),
           (CaseState.resolved, CaseState.closed)}
PATH = [CaseState.assigned, CaseState.visiting, CaseState.verified, CaseState.resolved, CaseState.closed]


def opened(case_id: str = "C1") -> CaseOpened:
    return CaseOpened(case_id=case_id, version=1, actor="alerts", at=T0, kind="medical_burden", category="risk",
                      source_id="a1", township_code="340403001", evidence=[Evidence(feed="medical", key="JS1")],
                      sla_due=T0 + timedelta(days=7))


def case_in(state: CaseState, verdict: str = "confirmed") -> Case:
    """A case walked along the lifecycle to `state` (a survey is recorded on reaching visiting)."""
    case, at = evolve(None, opened()), T0
    for step in PATH[: PATH.index(state) + 1] if state is not CaseState.open else []:
        resolution = "no_action" if step is CaseState.resolved else None
        case = evolve(case, lifecycle.transition(case, step, actor="cw", at=at, resolution=resolution))
        if step is CaseState.visiting:
            case = evolve(case, lifecycle.record_survey(case, visit_date=date(2026, 3, 3), findings="seen",
                                                        verdict=verdict, actor="cw", at=at))
    return case


def test_the_allowed_table_is_the_documented_path() -> None:
    assert {(a, b) for a, targets in NEXT.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("start", "to"), sorted(ALLOWED))
def test_allowed_transition_moves_the_case(start: CaseState, to: CaseState) -> None:
    case = case_in(start)
    event = lifecycle.transition(case, to, actor="cw", at=T0, resolution="no_action")
    after = evolve(case, event)
    assert (after.state, after.version) == (to, case.version + 1)
    assert after.history[-1].actor == "cw"


@pytest.mark.parametrize(("start", "to"), sorted(set(product(CaseState, CaseState)) - ALLOWED))
def test_forbidden_transition_raises(start: CaseState, to: CaseState) -> None:
    with pytest.raises(InvalidTransition, match=f"{start} -> {to}"):
        lifecycle.transition(case_in(start), to, actor="cw", at=T0, resolution="no_action")


def test_assigning_names_the_assignee_or_the_actor() -> None:
    case = case_in(CaseState.open)
    assert evolve(case, lifecycle.transition(case, CaseState.assigned, actor="sup", at=T0)).assignee == "sup"
    event = lifecycle.transition(case, CaseState.assigned, actor="sup", at=T0, assignee="cw1")
    assert evolve(case, event).assignee == "cw1"


def test_verifying_needs_a_survey() -> None:
    assigned = case_in(CaseState.assigned)
    case = evolve(assigned, lifecycle.transition(assigned, CaseState.visiting, actor="cw", at=T0))
    with pytest.raises(InvalidTransition, match="survey"):
        lifecycle.transition(case, CaseState.verified, actor="cw", at=T0)


def test_resolving_needs_a_resolution_that_fits_the_verdict() -> None:
    with pytest.raises(InvalidTransition, match="needs a resolution"):
        lifecycle.transition(case_in(CaseState.verified), CaseState.resolved, actor="cw", at=T0)
    dismissed = case_in(CaseState.verified, verdict="dismissed")
    with pytest.raises(InvalidTransition, match="no_action"):
        lifecycle.transition(dismissed, CaseState.resolved, actor="cw", at=T0, resolution="benefit_stopped")
    granted = lifecycle.transition(case_in(CaseState.verified), CaseState.resolved, actor="cw", at=T0,
                                   resolution="assistance_granted", grant=Grant(category="低保"))
    after = evolve(case_in(CaseState.verified), granted)
    assert (after.resolution, after.grant.category, after.resolved_at) == ("assistance_granted", "低保", T0)


def test_a_survey_records_the_verdict() -> None:
    assert case_in(CaseState.visiting, verdict="dismissed").verdict == "dismissed"


@pytest.mark.parametrize("state", [s for s in CaseState if s is not CaseState.visiting])
def test_surveys_only_while_visiting(state: CaseState) -> None:
    with pytest.raises(InvalidTransition, match="while visiting"):
        lifecycle.record_survey(case_in(state), visit_date=date(2026, 3, 3), findings="x", verdict="confirmed",
                                actor="cw", at=T0)


def test_reveal_is_an_event_that_keeps_the_state() -> None:
    case = case_in(CaseState.assigned)
    after = evolve(case, lifecycle.reveal(case, reason="home visit", actor="cw", at=T0))
    assert (after.state, after.version, after.history[-1].type) == (CaseState.assigned, case.version + 1,
                                                                    "identity_revealed")


def test_same_evidence_again_is_a_no_op_and_new_evidence_an_update() -> None:
    case = case_in(CaseState.open)
    assert lifecycle.update_evidence(case, case.evidence, severity=None, withdrawn=False, actor="a", at=T0) is None
    new = [Evidence(feed="medical", key="JS2", figure=31000.0)]
    event = lifecycle.update_evidence(case, new, severity="high", withdrawn=False, actor="a", at=T0)
    assert evolve(case, event).evidence == new


def test_evolve_refuses_an_event_out_of_order() -> None:
    case = case_in(CaseState.assigned)
    event = lifecycle.transition(case_in(CaseState.open), CaseState.assigned, actor="cw", at=T0)  # version 2 again
    with pytest.raises(StaleEvent):
        evolve(case, event)
    with pytest.raises(StaleEvent):
        evolve(case, opened())


def test_replay_keeps_the_first_of_two_events_for_one_version() -> None:
    case = evolve(None, opened())
    first = lifecycle.transition(case, CaseState.assigned, actor="cw1", at=T0)
    racer = lifecycle.transition(case, CaseState.assigned, actor="cw2", at=T0)
    rebuilt = replay([opened(), first, racer, opened("C2")])
    assert rebuilt["C1"].assignee == "cw1" and rebuilt["C1"].version == 2
    assert set(rebuilt) == {"C1", "C2"}


def test_sealed_text_keeps_the_trackers_own_markers_readable():
    """Person's words are sealed; the tracker's 预警撤回 marker stays plain for the analytics sink (issue 12)."""
    from consumers.cases.lifecycle import WITHDRAWN_NOTE
    from consumers.cases.sealing import ERASED, open_text, seal_text

    key = b"k" * 32
    for note, plain in ((WITHDRAWN_NOTE, True), ("电话13912345678找其女儿", False)):
        event = {"type": "transitioned", "case_id": "CA1", "version": 3, "note": note}
        sealed = seal_text(event, key)
        assert (sealed["note"] == note) is plain
        assert open_text(sealed, key)["note"] == note
        assert open_text(sealed, None)["note"] == (note if plain else ERASED)
