"""Every Kafka topic of the system, its key and its value codec, named once.

Callers take names from here (`topic_name(settings, ALERTS)`, `feed_topic(settings, "medical")`)
so a topic is renamed, re-keyed or re-coded in one place. Settings add the per-run prefix.

    feed.<feed>        key person_key      Envelope JSON (pydantic)            producers -> streams, analytics
    household-deltas   key household_id    streams.state.MemberDelta (orjson)  streams -> streams
    alerts             key alert_id        AlertNotice JSON (pydantic)         streams -> consumers
    dead-letters       key feed:file|stage DeadLetter JSON, or a stream stage's {"stage", "reason", "event"}
    identity-vault     key person_key      sealed IdentityRecord (compacted)   producers -> case tracker
    case-events        key case_id         case events JSON (kept forever)     case tracker
    channel.requests   key request id      channel bodies JSON                 intake -> case tracker
    notifications      key alert_id        delivery records JSON               notifier -> analytics
    notifications.dead key alert_id        undeliverable notifications         notifier
"""
from __future__ import annotations

from dataclasses import dataclass

from schemas.envelope import FEEDS
from schemas.settings import Settings


@dataclass(frozen=True)
class Topic:
    name: str  # without the settings' prefix
    key: str  # what the message key holds
    codec: str  # how the value is encoded
    compacted: bool = False


FEED_TOPICS: dict[str, Topic] = {feed: Topic(f"feed.{feed}", "person_key", "envelope") for feed in FEEDS}
HOUSEHOLD_DELTAS = Topic("household-deltas", "household_id", "member-delta")
ALERTS = Topic("alerts", "alert_id", "alert-notice")
DEAD_LETTERS = Topic("dead-letters", "feed:file or stage", "json")
IDENTITY_VAULT = Topic("identity-vault", "person_key", "sealed", compacted=True)
CASE_EVENTS = Topic("case-events", "case_id", "json")
CHANNEL_REQUESTS = Topic("channel.requests", "request_id", "json")
NOTIFICATIONS = Topic("notifications", "alert_id", "json")
NOTIFICATIONS_DEAD = Topic("notifications.dead", "alert_id", "json")

# the stream pipeline's own topics: what a worker (or a replay) creates before it starts
PIPELINE: tuple[Topic, ...] = (*FEED_TOPICS.values(), HOUSEHOLD_DELTAS, ALERTS, DEAD_LETTERS)
# the stream processors' tables (faust): each has a compacted changelog topic named after the app
STATE_TABLES: tuple[str, ...] = ("people-by-key", "households-by-id")


def app_id(settings: Settings) -> str:
    """The faust app id: also the consumer group and the prefix of its changelog topics."""
    return f"{settings.topic_prefix}safetynet-streams".replace(".", "-")


def changelog_topics(settings: Settings) -> list[str]:
    """Created with the pipeline's topics: a worker that finds them missing on a busy broker may see
    them with no partitions yet, and faust then refuses every table write (PartitionsMismatch)."""
    return [f"{app_id(settings)}-{table}-changelog" for table in STATE_TABLES]


def topic_name(settings: Settings, topic: Topic) -> str:
    return settings.topic(topic.name)


def feed_topic(settings: Settings, feed: str) -> str:
    return settings.topic(FEED_TOPICS[feed].name)
