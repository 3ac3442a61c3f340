"""Supervisors: cases by state and SLA per township (预警撤回 counted apart), the overdue list, and the
trends from ClickHouse (trends.py). Grafana is linked only when it answers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncio

from fastapi import APIRouter, Request

from consumers.web.console import Session
from consumers.web.labels import ORDER, overdue, sla_view
from consumers.web.trends import charts, queries
from consumers.web.views import error_page, render

router = APIRouter()
DASHBOARDS = (("safetynet-operator", "运行总览"), ("safetynet-caseworker-sla", "通知送达与办理时限"),
              ("safetynet-rules", "预警规则触发情况"))


@dataclass
class TownshipLine:
    code: str
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    overdue: int = 0
    due_soon: int = 0  # SLA still open and due within 24 h
    withdrawn: int = 0  # closed as 预警撤回: in by_state["closed"] too, shown apart

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def closed_worked(self) -> int:
        return self.by_state["closed"] - self.withdrawn


def by_township(rows: list[dict], now: datetime) -> list[TownshipLine]:
    lines: dict[str, TownshipLine] = {}
    for row in rows:
        line = lines.setdefault(row.get("township_code") or "", TownshipLine(row.get("township_code") or ""))
        line.by_state[row["state"]] += 1
        line.withdrawn += row["state"] == "closed" and bool(row.get("withdrawn"))
        line.overdue += overdue(row, now)
        line.due_soon += sla_view(row, now)["tone"] == "soon"
    return sorted(lines.values(), key=lambda line: (-line.overdue, line.code))


def totals(lines: list[TownshipLine]) -> TownshipLine:
    total = TownshipLine("合计")
    for line in lines:
        for state, count in line.by_state.items():
            total.by_state[state] += count
        total.overdue, total.due_soon = total.overdue + line.overdue, total.due_soon + line.due_soon
        total.withdrawn += line.withdrawn
    return total


@router.get("/overview")
async def overview(request: Request, me: Session):
    user, token = me
    if user.role == "caseworker":
        return error_page(request, 403, "总览仅对督导、审计和管理员开放。")
    state = request.app.state
    now = state.clock()
    rows = await state.cases.list(token)
    lines = by_township(rows, now)
    late = [dict(r, sla=sla_view(r, now)) for r in rows if overdue(r, now) and r["state"] != "closed"]
    grafana = state.grafana_url if await state.reachable(state.grafana_url) else None
    links = [(f"{grafana}/d/{uid}", title) for uid, title in DASHBOARDS] if grafana else []
    trends = await trend_charts(state.analytics, user.township_code or "")
    return render(request, "overview.html", lines=lines, total=totals(lines), late=late[:50], links=links,
                  recent=[dict(r, sla=sla_view(r, now)) for r in rows[:20]], trends=trends)


async def trend_charts(analytics, scope: str) -> dict | None:
    """The ClickHouse panels for this scope; None when the analytics service is not running."""
    sql = queries(scope)
    answers = await asyncio.gather(*(analytics.rows(q) for q in sql.values()))
    if all(a is None for a in answers):
        return None
    return charts({name: rows or [] for name, rows in zip(sql, answers)})
