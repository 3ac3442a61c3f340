"""Pure: which case events the caller or follower hears about, and in what words.

    CaseAssigned                     -> 12345 已受理
    CaseTransitioned to visiting     -> 12345 办理中
    CaseTransitioned to closed       -> 12345 已办结, the closing note (the answer) as the reply text
Followers of the WeChat account hear of every state change of their own items.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.cases import AnyCaseEvent, CaseAssigned, CaseState, CaseTransitioned

HotlineStatus = Literal["已受理", "办理中", "已办结"]
REPLIES = {
    "已受理": "您反映的问题已由民政部门受理，工作人员将尽快与您联系。",
    "办理中": "工作人员正在入户走访核实您反映的情况。",
}
CLOSED_BY_RESOLUTION = {
    "answered": "您咨询的问题已答复。",
    "assistance_granted": "经核实，已为您（或您反映的家庭）办理救助。",
    "benefit_stopped": "经核实，已依规处理。",
    "no_action": "经核实，暂不符合救助条件；如有新情况可再次反映。",
}
STATE_TEXT = {"open": "已登记，待受理", "assigned": "已受理", "visiting": "正在入户核实", "verified": "已核实",
              "resolved": "已处理", "closed": "已办结"}


class HotlineCallback(BaseModel):
    """The body we POST to the 12345 platform's status endpoint."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    callback_id: str  # case id and event version: the platform dedups on it
    ticket_no: str
    status: HotlineStatus
    reply: str = Field(max_length=2000)
    at: str


class FollowerUpdate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    update_id: str
    receipt_no: str
    state: str  # Chinese, what the template message shows
    note: str = ""


def hotline_callback(event: AnyCaseEvent, ticket_no: str) -> HotlineCallback | None:
    status, reply = None, ""
    if isinstance(event, CaseAssigned):
        status, reply = "已受理", REPLIES["已受理"]
    elif isinstance(event, CaseTransitioned) and event.to_state is CaseState.visiting:
        status, reply = "办理中", REPLIES["办理中"]
    elif isinstance(event, CaseTransitioned) and event.to_state is CaseState.closed:
        status = "已办结"
        reply = event.note or CLOSED_BY_RESOLUTION.get(event.resolution or "", "您反映的问题已办结。")
    if status is None:
        return None
    return HotlineCallback(callback_id=f"{event.case_id}:{event.version}", ticket_no=ticket_no, status=status,
                           reply=reply[:2000], at=event.at.isoformat())


def follower_update(event: AnyCaseEvent) -> FollowerUpdate | None:
    if isinstance(event, CaseAssigned):
        state = STATE_TEXT["assigned"]
    elif isinstance(event, CaseTransitioned):
        state = STATE_TEXT[str(event.to_state)]
    else:
        return None
    note = event.note if isinstance(event, CaseTransitioned) and event.to_state is CaseState.closed else ""
    return FollowerUpdate(update_id=f"{event.case_id}:{event.version}", receipt_no=event.case_id, state=state,
                          note=note[:200])
