"""Prometheus metrics of the replies service."""
from prometheus_client import Counter

REPLIES = Counter("safetynet_replies_total", "12345 callbacks and WeChat template messages, by outcome",
                  ["channel", "outcome"])
