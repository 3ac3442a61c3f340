"""Prometheus counters of the adapters: rows by feed and outcome, dead letters by reason.

Long-running processes (`safetynet intake`, the demo) expose them on `metrics_port`; a one-off
`safetynet ingest` prints the same figures in its summary table instead.
"""
from __future__ import annotations

from prometheus_client import Counter

ROWS = Counter("safetynet_ingest_rows_total", "Department rows read, by feed and outcome", ["feed", "outcome"])
DEAD_LETTERS = Counter("safetynet_ingest_dead_letters_total", "Rows refused, by feed and reason", ["feed", "reason"])


def count(feed: str, published: int, dead_lettered_by_reason: dict[str, int]) -> None:
    ROWS.labels(feed, "published").inc(published)
    for reason, n in dead_lettered_by_reason.items():
        ROWS.labels(feed, "dead_letter").inc(n)
        DEAD_LETTERS.labels(feed, reason[:80]).inc(n)
