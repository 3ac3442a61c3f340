"""Prometheus metrics of the analytics sink."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ROWS = Counter("safetynet_analytics_rows_inserted_total", "Rows inserted into ClickHouse", ["table"])
BATCH_LATENCY = Histogram("safetynet_analytics_insert_seconds", "Time to insert one batch into one table", ["table"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
LAG = Gauge("safetynet_analytics_consumer_lag", "Records on the topic not yet read by the sink", ["topic"])
UNREADABLE = Counter("safetynet_analytics_unreadable_total", "Records the sink could not turn into rows", ["topic"])
