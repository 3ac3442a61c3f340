"""The faust agents in test_context: tables, the household hop and alerts, without a broker."""
from __future__ import annotations

import asyncio
from unittest.mock import AsyncMock

import pytest

from schemas.settings import Settings
from streams.app import create_app
from streams.config import RulesConfig
from streams.state import MemberDelta, PersonState
from tests import factories as f

A, B = f.resident_id(1), f.resident_id(2)


@pytest.fixture
def pipeline():
    p = create_app(Settings(store="memory://", topic_prefix="unit.", allowed_lateness_days=30), RulesConfig())
    p.app.finalize()
    p.app.flow_control.resume()
    sent: dict[str, list] = {"alerts": [], "deltas": [], "dead": []}

    def recorder(bucket):
        async def send(key=None, value=None, **_):
            sent[bucket].append((key, value))
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return AsyncMock(side_effect=send)

    p.alerts_topic.send = recorder("alerts")
    p.deltas_topic.send = recorder("deltas")
    p.dead_letters_topic.send = recorder("dead")
    p.sent = sent
    return p


async def put_people(pipeline, *events):
    async with pipeline.judge_people.test_context() as agent:
        for event in events:
            await agent.put(event, key=event.person_key.encode())


async def test_person_stage_raises_and_sends_deltas(pipeline):
    await put_people(pipeline, f.roster(A, "2025-01-01", income=100000), f.claim(A, "2025-03-01", "JS1", 31000))
    notices = [v for _, v in pipeline.sent["alerts"]]
    assert [(n.action, n.alert.rule, n.alert.household_id, n.alert.township_code) for n in notices] == [
        ("raised", "medical_burden", "H1", "340403001")]
    assert notices[0].alert.evidence[0].figure == 31000.0
    deltas = [v for _, v in pipeline.sent["deltas"]]
    assert all(isinstance(d, MemberDelta) for d in deltas) and [len(d.records) for d in deltas] == [1, 1]
    assert isinstance(pipeline.people[f.key(A)], PersonState)


async def test_redelivery_raises_nothing_new_and_late_reversal_withdraws(pipeline):
    claim = f.claim(A, "2025-03-01", "JS1", 31000)
    await put_people(pipeline, claim, claim, f.claim(A, "2025-03-20", "JS1", 31000, reversal=True))
    actions = [(v.action, v.alert.alert_id) for _, v in pipeline.sent["alerts"]]
    # the redelivery re-sends what stands under the same id (its first send may have been lost)
    assert [a for a, _ in actions] == ["raised", "raised", "withdrawn"]
    assert len({aid for _, aid in actions}) == 1


async def test_household_stage_judges_member_deltas(pipeline):
    await put_people(pipeline, f.roster(A, "2025-01-01"), f.roster(B, "2025-01-01"), f.claim(A, "2025-03-01", "JS1", 1000),
                     f.claim(B, "2025-04-01", "JS2", 700), f.claim(A, "2025-04-02", "JS3", 10))
    async with pipeline.judge_households.test_context() as households:
        for key, delta in pipeline.sent["deltas"]:
            await households.put(delta, key=key)
    rules = [(v.alert.rule, v.alert.subject) for _, v in pipeline.sent["alerts"]]
    assert rules == [("expenditure_hardship", f.masked(B))]


async def test_a_record_later_than_allowed_goes_to_dead_letters_with_stage_late(pipeline):
    await put_people(pipeline, f.claim(A, "2025-06-01", "JS1", 10), f.claim(A, "2025-03-01", "JS0", 31000))
    assert [(v["stage"], v["event"]["source_key"]) for _, v in pipeline.sent["dead"]] == [("late", "JS0|+")]
    assert "allowed lateness of 30 days" in pipeline.sent["dead"][0][1]["reason"]
    assert not pipeline.sent["alerts"]


async def test_a_failing_event_goes_to_dead_letters_and_the_stream_goes_on(pipeline, monkeypatch):
    import streams.app as app_module

    def boom(*_args, **_kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(app_module, "step_person", boom)
    await put_people(pipeline, f.claim(A, "2025-03-01", "JS1", 31000), f.claim(A, "2025-03-02", "JS2", 1))
    assert [(v["stage"], v["reason"]) for _, v in pipeline.sent["dead"]] == [("people", "ValueError: boom")] * 2


async def test_state_reaches_the_changelog_through_the_state_codec(pipeline):
    from streams.state import loads

    await put_people(pipeline, f.roster(A, "2025-01-01"))
    topic, table = pipeline.people.changelog_topic, pipeline.people
    encoded = topic.prepare_value(table[f.key(A)], table.value_serializer)[0]
    assert loads(encoded) == table[f.key(A)]


async def test_a_batch_writes_each_key_once_with_its_last_state(pipeline, monkeypatch):
    import streams.app as app_module

    monkeypatch.setattr(app_module, "BATCH_EVENTS", 3)  # the three events below are one batch
    monkeypatch.setattr(app_module, "BATCH_WITHIN", 60.0)
    written, on_key_set = [], pipeline.people.on_key_set
    monkeypatch.setattr(pipeline.people, "on_key_set", lambda key, value: (written.append(key), on_key_set(key, value)))
    await put_people(pipeline, f.roster(A, "2025-01-01", income=100000), f.claim(A, "2025-02-01", "JS1", 1000),
                     f.claim(A, "2025-03-01", "JS2", 30000))
    assert written == [f.key(A)]
    assert len(pipeline.people[f.key(A)].records) == 3
    assert [(v.action, v.alert.rule) for _, v in pipeline.sent["alerts"]] == [("raised", "medical_burden")]
