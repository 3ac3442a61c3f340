"""The overview's trends, from the ClickHouse views (infra/clickhouse/migrations) via the analytics service.

    alerts_per_week       -> alerts per week by rule (12 weeks)      + alerts by township, with names
    time_to_verification  -> median / p90 hours to a verdict, by rule
    case_events           -> SLA kept per week (no escalation), outcomes (预警撤回 counted apart)

`queries(scope)` is pure (the SQL for a township/county prefix); `charts(answers)` turns the rows into
SVG. The page asks the analytics service (`safetynet analytics run`, POST /query on loopback): it
owns the chDB path, so the web never opens it.
"""
from __future__ import annotations

from datetime import date

from markupsafe import Markup

from consumers.web.charts import Series, bar_chart, line_chart
from consumers.web.labels import KINDS, RESOLUTIONS, township_name

OUTCOMES = {**RESOLUTIONS, "withdrawn": "预警撤回", "dismissed": "核实不属实"}


def queries(scope: str = "") -> dict[str, str]:
    """SQL per panel; `scope` is a township or county code prefix ('' = the city)."""
    if scope and not scope.isdigit():
        raise ValueError("scope must be digits")
    where = f"township_code LIKE '{scope}%'" if scope else "1"
    return {
        # the 12 weeks up to the latest alert's week (event time: a replayed year shows its own weeks)
        "weekly": f"SELECT toString(week), rule, sum(alerts) FROM alerts_per_week WHERE {where} "
                  f"AND week >= (SELECT max(week) FROM alerts_per_week WHERE {where}) - 7 * 11 "
                  "GROUP BY week, rule ORDER BY week",
        "townships": f"SELECT township_code, sum(alerts) AS n FROM alerts_per_week WHERE {where} "
                     "GROUP BY township_code ORDER BY n DESC LIMIT 12",
        "verification": "SELECT rule, median_hours, p90_hours FROM time_to_verification ORDER BY median_hours DESC"
                        if not scope else
                        "SELECT rule, quantile(0.5)(dateDiff('second', opened_at, verified_at)) / 3600, "
                        "quantile(0.9)(dateDiff('second', opened_at, verified_at)) / 3600 FROM case_verdicts "
                        f"WHERE is_verified AND rule != '' AND {where} GROUP BY rule",
        "sla": "SELECT toString(toMonday(opened)), countIf(NOT late) / count() FROM (SELECT case_id, min(at) AS opened, "
               "countIf(event_type = 'escalated') > 0 AS late, anyIf(township_code, township_code != '') AS township_code "
               f"FROM case_events FINAL GROUP BY case_id) WHERE {where} AND opened >= now() - INTERVAL 12 WEEK "
               "GROUP BY toMonday(opened) ORDER BY toMonday(opened)",
        "outcomes": "SELECT outcome, count() FROM (SELECT case_id, anyIf(township_code, township_code != '') AS township_code, "
                    "anyIf(resolution, resolution != '') AS resolution, anyIf(verdict, verdict != '') AS verdict, "
                    "if(resolution != '', resolution, if(verdict = 'dismissed', 'dismissed', '')) AS outcome "
                    f"FROM case_events FINAL GROUP BY case_id) WHERE outcome != '' AND {where} GROUP BY outcome",
    }


def charts(answers: dict[str, list[list]]) -> dict[str, Markup]:
    """Rows per panel (missing panel: no rows) -> one SVG per panel."""
    weekly: dict[str, Series] = {}
    weeks = sorted({row[0] for row in answers.get("weekly", [])})
    for week, rule, n in answers.get("weekly", []):
        series = weekly.setdefault(rule, Series(KINDS.get(rule, rule)))
        series.points.append((float(weeks.index(week)), float(n)))
    span = (_short(weeks[0]), _short(weeks[-1])) if weeks else ("", "")
    sla_rows = answers.get("sla", [])
    return {
        "weekly": line_chart(list(weekly.values()), x_labels=span, title="每周预警数（按规则）"),
        "townships": bar_chart([(township_name(code), float(n)) for code, n in answers.get("townships", [])],
                               title="各乡镇预警数"),
        "verification": bar_chart([(KINDS.get(rule, rule), float(median or 0))
                                   for rule, median, _ in answers.get("verification", [])], unit="小时",
                                  title="从建案到核实的时间（中位数）"),
        "sla": line_chart([Series("时限内核实的比例", [(float(i), float(v)) for i, (_, v) in enumerate(sla_rows)])],
                          unit="%", x_labels=(_short(sla_rows[0][0]), _short(sla_rows[-1][0])) if sla_rows else ("", ""),
                          title="办理时限达成率（按建案周）"),
        "outcomes": bar_chart([(OUTCOMES.get(o, o), float(n)) for o, n in answers.get("outcomes", [])],
                              title="办理结果"),
    }


def _short(day: str) -> str:
    return date.fromisoformat(str(day)[:10]).strftime("%m-%d")
