"""Prometheus metrics of the notifier."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

NOTIFICATIONS = Counter("safetynet_notifications_total", "Notification sends by channel and outcome "
                        "(delivered, retry, failed, dead_letter)", ["channel", "outcome"])
DELIVERY_LATENCY = Histogram("safetynet_notification_delivery_seconds", "From first attempt to delivery, per channel",
                             ["channel"], buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120))
SILENCED = Counter("safetynet_notifier_silenced_total", "Alerts not notified, by reason "
                   "(deceased, case_open, duplicate, withdrawn)", ["reason"])
PENDING = Gauge("safetynet_notifier_pending_alerts", "Alerts waiting in a grouping window")
OLDEST_PENDING = Gauge("safetynet_notifier_oldest_pending_seconds", "Age of the oldest undelivered grouping window")
REDIS_WAITS = Counter("safetynet_notifier_redis_waits_total", "Times the notifier waited for Redis to come back")
ROBOT_HELD = Counter("safetynet_notifier_robot_held_total", "Notifications a group robot's 20-a-minute budget held "
                    "back, sent later grouped into one message", ["group"])
