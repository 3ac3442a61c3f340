"""What one user's inbox holds, in which order, one page at a time. Pure: the API loads, this decides.

    indexes the user may see  -->  filter (source, state, rule)  -->  urgency order  -->  one page + true totals

Urgency: severity first (critical, high, medium, low; channel cases count as medium), then the
deadline (overdue first); cases whose deadline was already met come after those still running,
closed cases last.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from consumers.cases.auth import User
from consumers.cases.sla import reached, sla_for
from schemas.alerts import SEVERITY_RANK
from schemas.cases import Case, CaseState

SOURCES = ("alert", "hotline", "application", "tip_off", "warning_report", "screening", "follow_up")
OPEN_STATES = "open_work"  # the default filter: everything not closed


def indexes_of(user: User) -> list[tuple[str, str]]:
    """The projection indexes whose union is what `user` sees (consumers/cases/auth.py says why)."""
    code = user.township_code or ""
    filed = [("filed", user.user)]
    if user.role == "caseworker":
        return [("township", code), ("queue", code[:6]), *filed]
    if user.role == "supervisor":
        return [("county", code), ("township", "none"), *filed]
    if user.role == "reporter":
        return [("reporter", user.user)]  # their own reports only (and can_read shows them none as case files)
    return [("all", "")]


def source_of(case: Case) -> str:
    """系统预警 (`alert`), the channel a request came through (also when its person is unidentified), a
    caseworker's own 摸排 (`screening`) or the 回访 after a grant (`follow_up`)."""
    if case.kind == "follow_up":
        return "follow_up"
    return case.channel or ("alert" if case.category != "channel" else "hotline")


class InboxPage(BaseModel):
    model_config = ConfigDict(frozen=True)
    total: int  # after the filters, before paging
    page: int
    size: int
    pages: int
    by_source: dict[str, int] = Field(default_factory=dict)  # after the state filter, before the source filter
    items: list[dict]


def urgency(case: Case, now: datetime) -> tuple:
    running = not (case.escalated or case.withdrawn or reached(case, sla_for(case.kind, case.category).target))
    rank = SEVERITY_RANK.get(case.severity or "", 1)
    return (case.state is CaseState.closed, -rank, not running, case.sla_due, case.case_id)


def keep(case: Case, *, state: str, source: str, rule: str) -> bool:
    if state == OPEN_STATES and case.state is CaseState.closed:
        return False
    if state not in ("", OPEN_STATES) and str(case.state) != state:
        return False
    return (not source or source_of(case) == source) and (not rule or case.kind == rule)


def inbox_page(cases: list[Case], now: datetime, *, state: str = OPEN_STATES, source: str = "", rule: str = "",
               page: int = 1, size: int = 50) -> InboxPage:
    in_state = [c for c in cases if keep(c, state=state, source="", rule=rule)]
    by_source = Counter(source_of(c) for c in in_state)
    kept = sorted((c for c in in_state if not source or source_of(c) == source), key=lambda c: urgency(c, now))
    pages = max(1, -(-len(kept) // size))
    page = min(max(1, page), pages)
    items = [summary(c) for c in kept[(page - 1) * size: page * size]]
    return InboxPage(total=len(kept), page=page, size=size, pages=pages, by_source=dict(by_source), items=items)


def summary(case: Case) -> dict:
    """One inbox row: no evidence, no history."""
    row = case.model_dump(mode="json", include={
        "case_id", "kind", "category", "subject", "township_code", "state", "severity", "opened_at", "sla_due",
        "escalated", "withdrawn", "version", "assignee", "channel", "filed_by"})
    return row | {"source": source_of(case), "closed_as_withdrawn": case.closed_as_withdrawn}
