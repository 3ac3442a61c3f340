"""The faust pipeline: topics, tables and two agents. The logic lives in the step functions.

    feed.<name>  (Envelope, key person_key)
      -> judge_people      table people-by-key (PersonState)        step_person
           -> alerts           (AlertNotice, key alert_id)             person rules
           -> household-deltas (MemberDelta, key household_id)
      -> judge_households  table households-by-id (HouseholdState)  step_household
           -> alerts                                                   household rules
      late or failing input -> dead-letters {"stage", "reason", "event"}
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import faust

from schemas.alerts import AlertNotice
from schemas.codec import PydanticCodec
from schemas.envelope import Envelope
from schemas.settings import Settings
from schemas.topology import ALERTS, DEAD_LETTERS, FEED_TOPICS, HOUSEHOLD_DELTAS, STATE_TABLES, app_id, topic_name
from streams import metrics
from streams.config import RulesConfig
from streams.firing import Firing
from streams.horizon import Reach
from streams.household_step import step_household
from streams.person_step import step_person
from streams.standing import Outputs
from streams.state import MemberDelta, StateCodec
from streams.transport import App

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    app: faust.App
    feeds_topic: faust.TopicT
    deltas_topic: faust.TopicT
    alerts_topic: faust.TopicT
    dead_letters_topic: faust.TopicT
    people: faust.Table
    households: faust.Table
    judge_people: faust.types.AgentT
    judge_households: faust.types.AgentT


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """faust's form of the TLS/SASL options every other client takes from Settings.kafka_options()."""
    options = settings.kafka_options()
    if "sasl_mechanism" in options:
        return faust.SASLCredentials(username=options["sasl_plain_username"], password=options["sasl_plain_password"],
                                     mechanism=options["sasl_mechanism"], ssl_context=options.get("ssl_context"))
    if "ssl_context" in options:
        return faust.SSLCredentials(options["ssl_context"])
    return None


def new_app(settings: Settings, name: str | None = None) -> faust.App:
    """The pipeline's faust App (`name` defaults to app_id(settings); the bench's bare agent takes another)."""
    name = name or app_id(settings)
    return App(
        name,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=broker_credentials(settings),
        store=settings.store,
        datadir=str(settings.data_dir / "faust" / name),  # one store per app: ids never share tables
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        broker_session_timeout=settings.broker_session_timeout,
        broker_rebalance_timeout=settings.broker_rebalance_timeout,
        broker_heartbeat_interval=1.0,
        broker_commit_interval=1.0,
        producer_linger=0.010,  # batch the changelog, delta and alert sends: ~10 % more events/s than 5 ms;
                                # 20 ms gained little more and pushed p99 latency at 1,000 events/s past 100 ms
        producer_max_batch_size=1 << 20,
        producer_max_request_size=4 << 20,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        web_enabled=False,
    )


def state_table(app: faust.App, name: str, codec: faust.Codec) -> faust.Table:
    """A table of step-function state: its store and its changelog carry `codec` bytes. (faust derives a
    table's serializer from `value_type` only, so it is set before the store and changelog exist.)"""
    table = app.Table(name, default=None)
    table.value_serializer = codec
    return table


def create_app(settings: Settings, rules: RulesConfig) -> Pipeline:
    app = new_app(settings)
    reach = Reach.of(rules, settings.allowed_lateness_days)
    state_codec = StateCodec()
    feeds_topic = app.topic(*(topic_name(settings, t) for t in FEED_TOPICS.values()),
                            key_serializer="raw", value_serializer=PydanticCodec(Envelope))
    deltas_topic = app.topic(topic_name(settings, HOUSEHOLD_DELTAS), key_serializer="raw", value_serializer=state_codec)
    alerts_topic = app.topic(topic_name(settings, ALERTS), key_serializer="raw", value_serializer=PydanticCodec(AlertNotice))
    dead_letters_topic = app.topic(topic_name(settings, DEAD_LETTERS), key_serializer="raw", value_serializer="json")
    people, households = (state_table(app, name, state_codec) for name in STATE_TABLES)

    async def emit(out: Outputs, stage: str, event: Envelope | MemberDelta) -> None:
        """Send what a step asked for. faust flushes these before it commits the input's offset."""
        now = datetime.now(timezone.utc)
        for action, firings in (("withdrawn", out.withdrawn), ("raised", out.raised), ("raised", out.repeat)):
            for firing in firings:
                await notify(action, firing, now)
        for delta in out.deltas:
            await deltas_topic.send(key=delta.household.encode(), value=delta)
        if out.late:
            metrics.LATE.labels(stage).inc()
            await dead_letter(event, out.late, stage="late", reason_kind="late")

    async def notify(action: str, firing: Firing, now: datetime) -> None:
        alert = firing.to_alert(rules.version, now)
        await alerts_topic.send(key=alert.alert_id.encode(), value=AlertNotice(action=action, alert=alert))
        if action == "raised":
            metrics.ALERTS.labels(alert.rule, alert.severity, alert.township_code or "").inc()
        else:
            metrics.WITHDRAWN.labels(alert.rule).inc()

    async def dead_letter(event: Envelope | MemberDelta, reason: str, stage: str, reason_kind: str) -> None:
        """Keep the whole (PII-free) input with the reason, so it can be re-driven once fixed."""
        body = event.model_dump(mode="json") if isinstance(event, Envelope) else event.to_json()
        metrics.DEAD_LETTERS.labels(stage, reason_kind).inc()
        await dead_letters_topic.send(value={"stage": stage, "reason": reason[:500], "event": body,
                                            "at": datetime.now(timezone.utc).isoformat()})

    @app.agent(feeds_topic, name="judge-people")
    async def judge_people(events):
        """Judge each record against its person's state; raise person rules; tell the households."""
        async for event in events:
            started = time.perf_counter()
            try:
                before = people.get(event.person_key)
                state, out = step_person(before, event, rules, reach)
                await emit(out, "people", event)
                if state is not before:
                    people[event.person_key] = state
            except Exception as exc:  # one bad event must not stop the stream
                log.exception("people: could not judge event %s", event.event_id)
                await dead_letter(event, f"{type(exc).__name__}: {exc}", "people", type(exc).__name__)
            metrics.observe(event.feed, started, event.event_time)

    @app.agent(deltas_topic, name="judge-households")
    async def judge_households(deltas):
        """Judge each member delta against its household's state; raise household rules."""
        async for delta in deltas:
            try:
                before = households.get(delta.household)
                state, out = step_household(before, delta, rules, reach)
                await emit(out, "households", delta)
                if state is not before:
                    households[delta.household] = state
            except Exception as exc:
                log.exception("households: could not judge a delta of %s", delta.household)
                await dead_letter(delta, f"{type(exc).__name__}: {exc}", "households", type(exc).__name__)

    return Pipeline(app, feeds_topic, deltas_topic, alerts_topic, dead_letters_topic,
                    people, households, judge_people, judge_households)
