"""The operators' page: the Grafana dashboards' panels, drawn from the Prometheus HTTP API.

One definition per panel: infra/grafana/dashboards/*.json. Grafana provisions those files; this page
reads the same files (title, Chinese `description`, PromQL `expr`, unit, panel type) and asks
Prometheus for the data, so a machine without Grafana still sees every panel. Neither server is
linked unless it answers.

    timeseries -> query_range over the last hour, one line per series
    stat / gauge / bargauge / piechart -> instant query, one bar per series
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from markupsafe import Markup

from consumers.web.charts import Series, bar_chart, line_chart
from consumers.web.console import Session
from consumers.web.views import error_page, render

router = APIRouter()
DASHBOARDS = Path(__file__).resolve().parents[2] / "infra" / "grafana" / "dashboards"
UNITS = {"ops": "次/秒", "s": "秒", "rowsps": "行/秒", "percentunit": "%", "short": ""}
BOARD_NAMES = {"safetynet-operator": "运行总览", "safetynet-caseworker-sla": "通知送达与办理时限",
               "safetynet-rules": "预警规则触发情况"}
WINDOW_S, STEP_S = 3600, 60


@dataclass(frozen=True)
class Panel:
    board: str  # dashboard uid
    title: str  # Chinese (the panel's description), else the Grafana title
    kind: str
    exprs: tuple[tuple[str, str], ...]  # (expr, legendFormat)
    unit: str


def load_panels(directory: Path = DASHBOARDS) -> list[Panel]:
    panels = []
    for path in sorted(directory.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for p in board["panels"]:
            unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
            panels.append(Panel(board["uid"], p.get("description") or p["title"], p["type"],
                                tuple((t["expr"], t.get("legendFormat", "")) for t in p.get("targets", [])),
                                UNITS.get(unit, "")))
    return panels


def series_name(metric: dict, legend: str) -> str:
    """`{{feed}}`-style legend filled from the series' labels; else its labels, else the query's name."""
    if legend:
        for key, value in metric.items():
            legend = legend.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
        return legend
    labels = [v for k, v in metric.items() if k not in ("__name__", "job", "instance")]
    return " ".join(labels) or "合计"


async def draw(panel: Panel, prometheus, now: float) -> Markup:
    if panel.kind == "timeseries":
        results = await asyncio.gather(*(prometheus.query(e, start=now - WINDOW_S, end=now, step=STEP_S)
                                         for e, _ in panel.exprs))
        series = [Series(series_name(r["metric"], legend), [(float(t), _num(v)) for t, v in r["values"]])
                  for (_, legend), result in zip(panel.exprs, results) for r in result or []]
        return line_chart(series, unit=panel.unit, x_labels=("1 小时前", "现在"), title=panel.title)
    results = await asyncio.gather(*(prometheus.query(e) for e, _ in panel.exprs))
    bars = [(series_name(r["metric"], legend), _num(r["value"][1]))
            for (_, legend), result in zip(panel.exprs, results) for r in result or []]
    return bar_chart(bars, unit=panel.unit, title=panel.title)


def _num(value: str) -> float:
    number = float(value)
    return 0.0 if number != number or number in (float("inf"), float("-inf")) else number  # NaN, Inf: no data


@router.get("/operators")
async def operators(request: Request, me: Session):
    user, _ = me
    if user.role not in ("admin", "auditor", "supervisor"):
        return error_page(request, 403, "运维监控页面仅对督导、审计和管理员开放。")
    state = request.app.state
    up = await state.prometheus.up()
    panels = load_panels()
    drawn = await asyncio.gather(*(draw(p, state.prometheus, time.time()) for p in panels)) if up else []
    boards = {}
    for panel, chart in zip(panels, drawn):
        boards.setdefault(BOARD_NAMES.get(panel.board, panel.board), []).append((panel, chart))
    grafana = state.grafana_url if await state.reachable(state.grafana_url) else None
    return render(request, "operators.html", up=up, boards=boards, prometheus_url=state.prometheus_url,
                  grafana=grafana)
