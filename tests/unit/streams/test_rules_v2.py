"""The version-2 person rules and hukou death evidence: thresholds, exemptions, edges."""
from __future__ import annotations

import pytest

from streams.config import RulesConfig
from streams.direct import DirectPipeline
from tests import factories as f

A = f.resident_id(1)
ACTIVE, LEFT = f.roster(A, "2025-01-01", income=100000), f.roster(A, "2025-01-01", status="退出", income=100000)


def fired(*events, rule: str, rules=RulesConfig()) -> list[tuple]:
    alerts = DirectPipeline.of(rules, 100_000).put_all(events).alerts()
    return [(a.event_time.isoformat(), a.severity) for a in alerts if a.rule == rule]


@pytest.mark.parametrize(("roster", "action", "fires"), [
    ([], "纳入", True), ([LEFT], "纳入", True), ([ACTIVE], "纳入", False), ([], "消除", False),
])
def test_rural_unassisted_is_monitored_elsewhere_and_not_active_here(roster, action, fires):
    assert bool(fired(*roster, f.rural(A, "2025-03-01", action), rule="rural_unassisted")) is fires


def test_rural_unassisted_reads_the_roster_on_the_records_date():
    later = f.roster(A, "2025-06-01", income=100000)
    assert fired(later, f.rural(A, "2025-03-01"), rule="rural_unassisted") == [("2025-03-01", "high")]


@pytest.mark.parametrize(("roster", "destination", "fires"), [
    ([ACTIVE], "320100", True),  # another province
    ([ACTIVE], "340500", True),  # another city of the province
    ([ACTIVE], "340404", False),  # another county of the same city (3404)
    ([LEFT], "320100", False), ([], "320100", False),
])
def test_moved_away_outside_the_city(roster, destination, fires):
    assert bool(fired(*roster, f.hukou(A, "2025-03-01", "迁出", destination), rule="moved_away")) is fires


@pytest.mark.parametrize(("roster", "action", "fires"), [
    ([ACTIVE], "服刑", True), ([ACTIVE], "刑满释放", False), ([LEFT], "服刑", False), ([ACTIVE], "迁入", False),
])
def test_incarcerated(roster, action, fires):
    assert bool(fired(*roster, f.hukou(A, "2025-03-01", action), rule="incarcerated")) is fires


@pytest.mark.parametrize(("vehicle_type", "action", "price", "fires"), [
    ("小型轿车", "注册登记", 50000, True), ("小型越野车", "转入登记", 80000, True), ("中型客车", "注册登记", 50000, True),
    ("小型轿车", "注册登记", 49999.99, False), ("小型轿车", "注销登记", 90000, False),
    ("残疾人专用车", "注册登记", 90000, False), ("摩托车", "注册登记", 90000, False),
    ("三轮汽车", "注册登记", 90000, False), ("货车", "注册登记", 90000, False),
])
def test_vehicle_owner_types_threshold_and_actions(vehicle_type, action, price, fires):
    car = f.vehicle(A, "2025-03-01", price, vehicle_type=vehicle_type, action=action)
    assert bool(fired(ACTIVE, car, rule="vehicle_owner")) is fires
    assert not fired(LEFT, car, rule="vehicle_owner")


def test_vehicle_threshold_per_county():
    rules = RulesConfig(counties={"340403": {"vehicle_price_threshold": 100000}})
    assert not fired(ACTIVE, f.vehicle(A, "2025-03-01", 80000), rule="vehicle_owner", rules=rules)


@pytest.mark.parametrize(("entity", "capital", "action", "fires"), [
    ("有限责任公司", 1, "设立", True), ("股份有限公司", 0, "设立", True), ("个体工商户", 100000, "设立", True),
    ("个体工商户", 99999.99, "设立", False), ("农民专业合作社", 900000, "设立", False), ("有限责任公司", 1, "注销", False),
])
def test_business_owner(entity, capital, action, fires):
    firm = f.business(A, "2025-03-01", entity, capital, action=action)
    assert bool(fired(ACTIVE, firm, rule="business_owner")) is fires
    assert not fired(LEFT, firm, rule="business_owner")


def test_hukou_death_is_death_evidence():
    assert fired(ACTIVE, f.hukou(A, "2025-05-01", "死亡注销"), rule="deceased_recipient") == [("2025-05-01", "high")]
    assert not fired(LEFT, f.hukou(A, "2025-05-01", "死亡注销"), rule="deceased_recipient")


def test_one_alert_at_the_first_death_record_with_every_death_record_in_evidence():
    events = [ACTIVE, f.funeral(A, "2025-05-03"), f.hukou(A, "2025-09-20", "死亡注销")]
    for order in (events, events[::-1]):
        alerts = [a for a in DirectPipeline.of(RulesConfig(), 100_000).put_all(order).alerts()
                  if a.rule == "deceased_recipient"]
        assert [a.event_time.isoformat() for a in alerts] == ["2025-05-03"]
        assert [e.feed for e in alerts[0].evidence] == ["funeral", "hukou", "roster"]


def test_a_late_earlier_death_record_moves_the_alert():
    pipeline = DirectPipeline.of(RulesConfig(), 730).put_all([ACTIVE, f.hukou(A, "2025-09-20", "死亡注销")])
    first = {a.alert_id for a in pipeline.alerts()}
    pipeline.put(f.funeral(A, "2025-05-03"))
    assert [a.event_time.isoformat() for a in pipeline.alerts()] == ["2025-05-03"]
    assert not first & {a.alert_id for a in pipeline.alerts()}


def test_a_person_put_on_the_roster_years_after_their_death_is_caught_beyond_the_lateness():
    pipeline = DirectPipeline.of(RulesConfig(), 30).put_all([f.funeral(A, "2022-05-01"), f.claim(A, "2025-01-01", "J", 1)])
    pipeline.put(f.roster(A, "2025-06-01"))
    assert [(a.rule, a.event_time.isoformat()) for a in pipeline.alerts()] == [("deceased_recipient", "2022-05-01")]
