"""Prometheus metrics of the stream processors."""
from __future__ import annotations

import time
from datetime import date

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("safetynet_stream_events_total", "Events judged by the stream processors", ["feed"])
LATENCY = Histogram("safetynet_stream_processing_seconds", "Time to judge one event",
                    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
FRESHNESS = Gauge("safetynet_feed_newest_event_timestamp", "Event time of the newest record per feed", ["feed"])
ALERTS = Counter("safetynet_alerts_raised_total", "Alerts raised", ["rule", "severity", "township"])
WITHDRAWN = Counter("safetynet_alerts_withdrawn_total", "Alerts withdrawn by late data", ["rule"])
LATE = Counter("safetynet_stream_late_records_total",
               "Records later than allowed_lateness_days, dead-lettered with stage late", ["stage"])
DEAD_LETTERS = Counter("safetynet_stream_dead_letters_total", "Events the processors could not judge", ["stage", "reason"])

_newest: dict[str, date] = {}


def observe(feed: str, started: float, event_time: date) -> None:
    EVENTS.labels(feed).inc()
    LATENCY.observe(time.perf_counter() - started)
    if event_time > _newest.get(feed, date.min):
        _newest[feed] = event_time
        FRESHNESS.labels(feed).set(time.mktime(event_time.timetuple()))
