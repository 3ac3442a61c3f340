"""The faust pipeline, wired in one place.

    feed.<name>  (Envelope, key person_key)
      -> judge_people        table people_by_key: {"m", "recs": {event_id: record}, "raised"}
           -> alerts         (AlertNotice, key alert_id)        person rules
           -> household-members (snapshot JSON, key household_id)
      -> judge_households    table households_by_id: {"members": {person_key: snapshot}, "raised"}
           -> alerts                                            household rules
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import faust

from schemas.alerts import Alert, AlertNotice
from schemas.codec import PydanticCodec
from schemas.envelope import FEEDS, Envelope
from schemas.settings import Settings
from streams import metrics
from streams.config import RulesConfig
from streams.firing import Firing
from streams.household_rules import HOUSEHOLD_FEEDS, households_of, judge_household, member_snapshot
from streams.person_rules import judge_person
from streams.records import prune, to_record
from streams.standing import Changes, apply, diff
from streams.transport import App

log = logging.getLogger(__name__)

KEEP_DAYS = 2 * 365  # records this much older than the subject's newest are pruned


def horizon(newest: str) -> str:
    return (date.fromisoformat(newest) - timedelta(days=KEEP_DAYS)).isoformat()


def reach_days(rules: RulesConfig) -> int:
    """How far after its date a record can still change a judgement: its window, then a cooldown."""
    return max(t.window_days + t.cooldown_days for t in [rules.defaults, *(rules.for_county(c) for c in rules.counties)])


@dataclass
class Pipeline:
    app: faust.App
    feeds_topic: faust.TopicT
    members_topic: faust.TopicT
    alerts_topic: faust.TopicT
    dead_letters_topic: faust.TopicT
    people: faust.Table
    households: faust.Table
    judge_people: faust.types.AgentT
    judge_households: faust.types.AgentT


def app_id(settings: Settings) -> str:
    return f"{settings.topic_prefix}safetynet-streams".replace(".", "-")


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """faust's form of the TLS/SASL options every other client takes from Settings.kafka_options()."""
    options = settings.kafka_options()
    if "sasl_mechanism" in options:
        return faust.SASLCredentials(username=options["sasl_plain_username"], password=options["sasl_plain_password"],
                                     mechanism=options["sasl_mechanism"], ssl_context=options.get("ssl_context"))
    if "ssl_context" in options:
        return faust.SSLCredentials(options["ssl_context"])
    return None


def create_app(settings: Settings, rules: RulesConfig) -> Pipeline:
    app = App(
        app_id(settings),
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=broker_credentials(settings),
        store=settings.store,
        datadir=str(settings.data_dir / "faust" / app_id(settings)),  # one store per app: ids never share tables
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        broker_session_timeout=settings.broker_session_timeout,
        broker_rebalance_timeout=settings.broker_rebalance_timeout,
        broker_heartbeat_interval=1.0,
        broker_commit_interval=1.0,
        producer_linger=0.010,  # batch the changelog, snapshot and alert sends: ~10 % more events/s than 5 ms;
                                # 20 ms gained little more and pushed p99 latency at 1,000 events/s past 100 ms
        producer_max_batch_size=1 << 20,
        producer_max_request_size=4 << 20,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        web_enabled=False,
    )
    reach = reach_days(rules)  # fixed for the app's life: not recomputed per event
    envelope_codec, notice_codec = PydanticCodec(Envelope), PydanticCodec(AlertNotice)
    feeds_topic = app.topic(*(settings.topic(f"feed.{f}") for f in FEEDS), key_serializer="raw", value_serializer=envelope_codec)
    members_topic = app.topic(settings.topic("household-members"), key_serializer="raw", value_serializer="json")
    alerts_topic = app.topic(settings.topic("alerts"), key_serializer="raw", value_serializer=notice_codec)
    dead_letters_topic = app.topic(settings.topic("dead-letters"), key_serializer="raw", value_serializer="json")
    people = app.Table("people-by-key", default=dict)
    households = app.Table("households-by-id", default=dict)

    async def notify(action: str, alert: Alert) -> None:
        await alerts_topic.send(key=alert.alert_id.encode(), value=AlertNotice(action=action, alert=alert))

    async def publish(changes: Changes) -> dict[str, dict]:
        """Send raised and withdrawn alerts. faust flushes them before it commits the input offset."""
        sent, now = {}, datetime.now(timezone.utc)
        for firing in changes.raise_:
            alert = firing.to_alert(rules.version, now)
            sent[alert.alert_id] = alert.model_dump(mode="json")
            await notify("raised", alert)
            metrics.ALERTS.labels(alert.rule, alert.severity, alert.township_code or "").inc()
        for alert_json in changes.withdraw:
            await notify("withdrawn", Alert.model_validate(alert_json))
            metrics.WITHDRAWN.labels(alert_json["rule"]).inc()
        return sent

    async def resend(raised: dict) -> None:
        """A redelivered input (after a crash) finds its state already written, but perhaps not its
        alerts: send what stands again. Same alert_id, so consumers deduplicate."""
        for entry in raised.values():
            await notify("raised", Alert.model_validate(entry["alert"]))

    async def settle(raised: dict, firings: list[Firing], cut: str | None) -> dict:
        changes = diff(raised, firings, frozen_before=cut or "0000-00-00")
        if not changes.raise_ and not changes.withdraw:
            return raised
        sent = await publish(changes)
        return apply(raised, changes, sent, horizon=(date.fromisoformat(cut) - timedelta(days=reach)).isoformat()
                     if cut else "0000-00-00")

    async def dead_letter(event: Envelope | dict, exc: Exception, stage: str) -> None:
        """Keep the whole (PII-free) event with the reason, so it can be re-driven once fixed."""
        body = event.model_dump(mode="json") if isinstance(event, Envelope) else event
        log.exception("%s: could not judge event %s", stage, body.get("event_id") or body.get("h"))
        metrics.DEAD_LETTERS.labels(stage, type(exc).__name__).inc()
        await dead_letters_topic.send(value={"stage": stage, "reason": f"{type(exc).__name__}: {exc}"[:500],
                                            "event": body, "at": datetime.now(timezone.utc).isoformat()})

    @app.agent(feeds_topic, name="judge-people")
    async def judge_people(events):
        """Keep each person's records; raise person rules; forward household snapshots."""
        async for event in events:
            started = time.perf_counter()
            try:
                await judge_one_person(event)
            except Exception as exc:  # one bad event must not stop the stream
                await dead_letter(event, exc, "people")
            metrics.observe(event.feed, started, event.event_time)

    async def forward(person_key: str, masked: str, records: list, cut: str | None) -> None:
        """Send the member's snapshot to every household the roster ever put them in."""
        snapshot = member_snapshot(masked, records)
        for household_id in sorted(households_of(records)):
            await members_topic.send(key=household_id.encode(),
                                     value={"h": household_id, "p": person_key, "s": snapshot, "cut": cut})

    async def judge_one_person(event: Envelope) -> None:
        state = people[event.person_key] or {"m": event.masked_id, "recs": {}, "raised": {}, "newest": "0000", "cut": None}
        record = to_record(event)
        if state["recs"].get(event.event_id) == record:  # a re-export, or a redelivery after a crash
            await resend(state["raised"])
            if event.feed in HOUSEHOLD_FEEDS:
                await forward(event.person_key, state["m"], list(state["recs"].values()), state["cut"])
            return
        recs = dict(state["recs"])
        recs[event.event_id] = record
        newest, cut = max(state["newest"], event.event_time.isoformat()), state["cut"]
        cutoff = horizon(newest)
        if min(r["d"] for r in recs.values()) < cutoff:
            recs, frozen = prune(recs, cutoff, reach)
            cut = max(filter(None, (cut, frozen)), default=None)
        records = list(recs.values())
        firings = judge_person(event.person_key, state["m"], records, rules)
        raised = await settle(state["raised"], firings, cut)
        if event.feed in HOUSEHOLD_FEEDS:
            await forward(event.person_key, state["m"], records, cut)
        people[event.person_key] = {"m": state["m"], "recs": recs, "raised": raised, "newest": newest, "cut": cut}

    @app.agent(members_topic, name="judge-households")
    async def judge_households(snapshots):
        """Keep each household's member snapshots; raise household rules."""
        async for snap in snapshots:
            try:
                await judge_one_household(snap)
            except Exception as exc:
                await dead_letter(snap, exc, "households")

    async def judge_one_household(snap: dict) -> None:
        state = households[snap["h"]] or {"members": {}, "raised": {}, "cut": None}
        if state["members"].get(snap["p"]) == snap["s"]:
            await resend(state["raised"])
            return
        members = dict(state["members"])
        members[snap["p"]] = snap["s"]
        cut = max(filter(None, (state["cut"], snap["cut"])), default=None)
        firings = judge_household(snap["h"], members, rules)
        raised = await settle(state["raised"], firings, cut)
        households[snap["h"]] = {"members": members, "raised": raised, "cut": cut}

    return Pipeline(app, feeds_topic, members_topic, alerts_topic, dead_letters_topic,
                    people, households, judge_people, judge_households)
