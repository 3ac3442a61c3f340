"""The group robot's message: rule in words, township, deadline, case link; never a person; 4096 bytes."""
from __future__ import annotations

from datetime import UTC, date, datetime

from consumers.notifier.grouping import notify
from consumers.notifier.robot import MAX_BYTES, markdown
from consumers.notifier.routing import Route
from schemas.alerts import Alert, Evidence
from schemas.cases import case_id_for_alert

AT = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 in Huainan


def alert(alert_id: str, rule: str = "medical_burden", kind: str = "risk") -> Alert:
    return Alert(alert_id=alert_id, rule=rule, kind=kind, severity="high", subject="340403********123X",
                 person_key="a" * 64, township_code="340403001", event_time=date(2026, 3, 2), triggered_at=AT,
                 rule_version="1", evidence=[Evidence(feed="medical", key="JS1", figure=31250.5)])


def note(*alerts: Alert):
    return notify(Route(group="east", members=("cw",)), list(alerts), AT)


def test_one_alert_in_words_with_deadline_and_link() -> None:
    text = markdown([note(alert("a1"))], "https://mz.example.gov.cn/")
    assert text.startswith("### 救助预警\n")
    assert "医疗支出负担" in text and "田东街道" in text
    assert "核实时限：2026-12-10 09:00 前" in text  # risk: 7 days
    assert f"(https://mz.example.gov.cn/console/cases/{case_id_for_alert('a1')})" in text
    assert "123X" not in text and "340403**" not in text and "a" * 64 not in text


def test_a_digest_is_cut_to_the_robots_limit() -> None:
    many = [note(alert(f"a{i}", "deceased_recipient", "audit")) for i in range(60)]
    text = markdown(many, "https://mz.example.gov.cn")
    assert text.startswith("### 救助预警（60 条合并发送）") and len(text.encode()) <= MAX_BYTES
    assert text.endswith("条，请在工作台收件箱查看") and "核实时限：2026-12-18 09:00 前" in text  # audit: 15 days
