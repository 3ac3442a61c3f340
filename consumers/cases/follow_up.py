"""A follow-up visit after assistance was granted: did it arrive? A case of its own, with its own deadline.

    CaseTransitioned(resolved, assistance_granted) on case X  ->  CaseOpened(kind follow_up) as case CF...(X)

The follow-up's id derives from X, so granting twice (a retried request) opens one follow-up. Its
survey's verdict answers the question: confirmed = the assistance arrived, dismissed = it did not.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from consumers.cases.sla import sla_for
from schemas.cases import Case, CaseOpened, CaseState


def follow_up_id(case_id: str) -> str:
    return "CF" + hashlib.sha256(f"follow-up:{case_id}".encode()).hexdigest()[:18]


def follow_up_for(case: Case, at: datetime) -> CaseOpened | None:
    """The follow-up a just-resolved case calls for, or None."""
    if case.state is not CaseState.resolved or case.resolution != "assistance_granted":
        return None
    return CaseOpened(case_id=follow_up_id(case.case_id), version=1, actor="follow_up", at=at, kind="follow_up",
                      category="channel", source_id=case.case_id, subject=case.subject, person_key=case.person_key,
                      contact_key=case.contact_key, township_code=case.township_code,
                      household_id=case.household_id, summary=f"救助发放后回访（原案件 {case.case_id}）：核实救助是否到位",
                      evidence=case.evidence, sla_due=sla_for("follow_up", "channel").due(at))


async def schedule_follow_up(store, case: Case | None, at: datetime) -> Case | None:
    """Open the follow-up case when `case` was just resolved with assistance; a no-op otherwise."""
    opened = follow_up_for(case, at) if case is not None else None
    if opened is None:
        return None
    return await store.append(opened.case_id, lambda existing: opened if existing is None else None)
