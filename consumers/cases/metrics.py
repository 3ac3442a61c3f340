"""Prometheus gauges of the case tracker, refreshed from the Redis projection by the sweep."""
from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Gauge

from schemas.cases import Case, CaseState

CASES = Gauge("safetynet_cases", "Cases by state (the tracker's projection)", ["state"])
OVERDUE = Gauge("safetynet_cases_sla_overdue", "Cases past their SLA deadline")
WITHDRAWN = Gauge("safetynet_cases_withdrawn", "Cases closed as 预警撤回 (every alert withdrawn before acceptance); "
                  "also counted in safetynet_cases{state=closed}")
VERDICTS = Counter("safetynet_case_verdicts_total", "Field-survey verdicts on alert cases", ["rule", "verdict"])
RESOLUTIONS = Counter("safetynet_case_resolutions_total", "Alert cases resolved, by outcome", ["rule", "resolution"])
EXPORTED = Counter("safetynet_decisions_exported_rows_total", "Rows written by `safetynet decisions` exports")


def count_verdict(case: Case, verdict: str) -> None:
    if case.category != "channel":  # alert cases: kind is the rule
        VERDICTS.labels(case.kind, verdict).inc()


def count_resolution(case: Case, resolution: str | None) -> None:
    if resolution and case.category != "channel":
        RESOLUTIONS.labels(case.kind, resolution).inc()


async def refresh(store, now: datetime) -> None:
    for state in CaseState:
        CASES.labels(str(state)).set(await store.count("state", str(state)))
    OVERDUE.set(len(await store.due_before(now)))
    WITHDRAWN.set(await store.count("withdrawn"))
