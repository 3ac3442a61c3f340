"""Prometheus gauges of the case tracker, refreshed from the Redis projection by the sweep."""
from __future__ import annotations

from datetime import datetime

from prometheus_client import Gauge

from schemas.cases import CaseState

CASES = Gauge("safetynet_cases", "Cases by state (the tracker's projection)", ["state"])
OVERDUE = Gauge("safetynet_cases_sla_overdue", "Cases past their SLA deadline")
WITHDRAWN = Gauge("safetynet_cases_withdrawn", "Cases closed as 预警撤回 (every alert withdrawn before acceptance); "
                  "also counted in safetynet_cases{state=closed}")


async def refresh(store, now: datetime) -> None:
    for state in CaseState:
        CASES.labels(str(state)).set(await store.count("state", str(state)))
    OVERDUE.set(len(await store.due_before(now)))
    WITHDRAWN.set(await store.count("withdrawn"))
