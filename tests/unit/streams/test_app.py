"""The faust agents in test_context: tables, the household hop and alerts, without a broker."""
from __future__ import annotations

import asyncio
from unittest.mock import AsyncMock

import pytest

from schemas.settings import Settings
from streams.app import create_app
from streams.config import RulesConfig
from tests import factories as f

A, B = f.resident_id(1), f.resident_id(2)


@pytest.fixture
def pipeline():
    p = create_app(Settings(store="memory://", topic_prefix="unit."), RulesConfig())
    p.app.finalize()
    p.app.flow_control.resume()
    sent: dict[str, list] = {"alerts": [], "members": [], "dead": []}

    def recorder(bucket):
        async def send(key=None, value=None, **_):
            sent[bucket].append((key, value))
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return AsyncMock(side_effect=send)

    p.alerts_topic.send = recorder("alerts")
    p.members_topic.send = recorder("members")
    p.dead_letters_topic.send = recorder("dead")
    p.sent = sent
    return p


async def test_person_stage_raises_and_forwards_snapshots(pipeline):
    async with pipeline.judge_people.test_context() as agent:
        await agent.put(f.roster(A, "2025-01-01"), key=f.key(A).encode())
        await agent.put(f.claim(A, "2025-03-01", "JS1", 31000), key=f.key(A).encode())
    notices = [v for _, v in pipeline.sent["alerts"]]
    assert [(n.action, n.alert.rule, n.alert.household_id, n.alert.township_code) for n in notices] == [
        ("raised", "medical_burden", "H1", "340403001")]
    assert notices[0].alert.evidence[0].figure == 31000.0
    assert {k for k, _ in pipeline.sent["members"]} == {b"H1"}
    assert pipeline.people[f.key(A)]["raised"]


async def test_redelivery_raises_nothing_new_and_late_reversal_withdraws(pipeline):
    claim = f.claim(A, "2025-03-01", "JS1", 31000)
    async with pipeline.judge_people.test_context() as agent:
        await agent.put(claim, key=f.key(A).encode())
        await agent.put(claim, key=f.key(A).encode())  # a re-export, or a redelivery after a crash
        await agent.put(f.claim(A, "2025-05-01", "JS1", 31000, reversal=True), key=f.key(A).encode())
    actions = [(v.action, v.alert.alert_id) for _, v in pipeline.sent["alerts"]]
    # the redelivery re-sends what stands under the same id (its first send may have been lost)
    assert [a for a, _ in actions] == ["raised", "raised", "withdrawn"]
    assert len({aid for _, aid in actions}) == 1


async def test_household_stage_judges_member_snapshots(pipeline):
    async with pipeline.judge_people.test_context() as people:
        for event in [f.roster(A, "2025-01-01"), f.roster(B, "2025-01-01"), f.claim(A, "2025-03-01", "JS1", 1000),
                      f.claim(B, "2025-04-01", "JS2", 700)]:
            await people.put(event, key=event.person_key.encode())
    async with pipeline.judge_households.test_context() as households:
        for key, snapshot in pipeline.sent["members"]:
            await households.put(snapshot, key=key)
    rules = [(v.alert.rule, v.alert.subject) for _, v in pipeline.sent["alerts"]]
    assert rules == [("expenditure_hardship", f.masked(B))]


async def test_a_failing_event_goes_to_dead_letters_and_the_stream_goes_on(pipeline, monkeypatch):
    import streams.app as app_module

    def boom(*_args, **_kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(app_module, "judge_person", boom)
    async with pipeline.judge_people.test_context() as agent:
        await agent.put(f.claim(A, "2025-03-01", "JS1", 31000), key=f.key(A).encode())
        await agent.put(f.claim(A, "2025-03-02", "JS2", 1), key=f.key(A).encode())
    assert [v["reason"] for _, v in pipeline.sent["dead"]] == ["ValueError: boom"] * 2
