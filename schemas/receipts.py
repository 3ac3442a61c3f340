"""The one number a citizen is given (回执号), and what a status query tells them.

    receipt_no(request_id)  -> "K7QM5-8XPA3"   10 characters of 2-9 and A-Z without O and I (no 0/O, 1/I
                                                mix-ups), grouped by five for reading aloud over the phone
    normalize(" k7qm5 8xpa3 ") -> "K7QM58XPA3"  case, spaces and dashes do not matter
    progress(case, now)     -> stage, since, next step, expected by: in words a citizen understands

Pure; the intake and the WeChat channel both answer `查询 <回执号>` with `progress`.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date

from pydantic import BaseModel, ConfigDict

from schemas.cases import Case, CaseState

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: no 0, 1, I, O
LENGTH = 10  # 50 bits: a city's requests for decades collide with odds far below one in a thousand
GROUP = 5
_VALID = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def receipt_no(request_id: str) -> str:
    """Deterministic from the request id, so a retried submission shows the same number."""
    value = int.from_bytes(hashlib.sha256(f"receipt:{request_id}".encode()).digest()[:8], "big")
    chars = []
    for _ in range(LENGTH):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    text = "".join(chars)
    return "-".join(text[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(text: str | None) -> str | None:
    """The receipt number as stored (no dashes, upper case), or None when it cannot be one."""
    cleaned = re.sub(r"[\s\-－—_]", "", (text or "")).upper()
    return cleaned if _VALID.match(cleaned) else None


class Progress(BaseModel):
    model_config = ConfigDict(frozen=True)
    stage: str  # 已受理，等待社工接案
    since: date | None = None  # when the case reached this stage
    next_step: str
    expected_by: date | None = None  # the deadline of the next step, while it can still be met


STAGES: dict[str, tuple[str, str]] = {
    "open": ("已受理，等待社工接案", "社工接案后会与您联系，核实家庭情况"),
    "assigned": ("社工已接案", "社工将上门或电话核实情况"),
    "visiting": ("正在入户核实", "核实完成后作出处理决定"),
    "verified": ("已核实", "根据核实结果作出处理决定"),
    "resolved": ("已作出处理决定", "办结后结果会告知您"),
    "closed": ("已办结", "无需再办理；如有疑问请拨打 12345"),
}
RESOLUTIONS = {"assistance_granted": "给予救助", "benefit_stopped": "停发待遇", "no_action": "经核实无需处理"}


def progress(case: Case | None, received_on: date | None = None) -> Progress:
    """What a citizen reads about their request; None: filed, the case not yet opened."""
    if case is None:
        return Progress(stage="已收到，正在登记", since=received_on, next_step="登记后由所在乡镇（街道）社工受理")
    stage, next_step = STAGES[str(case.state)]
    if case.state is CaseState.resolved and case.resolution:
        stage = f"已作出处理决定：{RESOLUTIONS[case.resolution]}"
    since = (case.history[-1].at if case.history else case.opened_at).date()
    open_ = case.state in (CaseState.open, CaseState.assigned, CaseState.visiting) and not case.withdrawn
    return Progress(stage=stage, since=since, next_step=next_step,
                    expected_by=case.sla_due.date() if open_ and not case.escalated else None)
