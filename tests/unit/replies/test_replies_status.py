"""Which case events reach the 12345 caller and the WeChat follower, and in what words."""
from __future__ import annotations

from datetime import UTC, datetime

from consumers.replies.status import follower_update, hotline_callback
from schemas.cases import CaseAssigned, CaseState, CaseTransitioned, IdentityRevealed

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def moved(to: CaseState, version: int, **kw) -> CaseTransitioned:
    return CaseTransitioned(case_id="CR1", version=version, actor="cw", at=AT, to_state=to, **kw)


def test_the_three_12345_statuses() -> None:
    assigned = hotline_callback(CaseAssigned(case_id="CR1", version=2, actor="cw", at=AT, assignee="cw"), "T1")
    visiting = hotline_callback(moved(CaseState.visiting, 3), "T1")
    closed = hotline_callback(moved(CaseState.closed, 4, resolution="answered", note="答复如下"), "T1")
    assert [(c.status, c.callback_id) for c in (assigned, visiting, closed)] == [
        ("已受理", "CR1:2"), ("办理中", "CR1:3"), ("已办结", "CR1:4")]
    assert closed.reply == "答复如下" and assigned.reply
    assert hotline_callback(moved(CaseState.closed, 6, note=""), "T1").reply  # every ticket is answered
    assert hotline_callback(moved(CaseState.verified, 5), "T1") is None
    assert hotline_callback(IdentityRevealed(case_id="CR1", version=5, actor="cw", at=AT, reason="r"), "T1") is None


def test_followers_hear_every_state_change_only() -> None:
    assert follower_update(moved(CaseState.visiting, 3)).state == "正在入户核实"
    assert follower_update(IdentityRevealed(case_id="CR1", version=5, actor="cw", at=AT, reason="r")) is None
