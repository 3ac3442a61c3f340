"""Casework at a glance in Chromium: joined alerts, withdrawals, the county queue, every rule's page in
Chinese, and a read-only auditor."""
from __future__ import annotations

import hashlib
import re

from playwright.sync_api import expect

from tests.browser.alerts import EVIDENCE, make_alert, send
from tests.browser.pages import login, shoot

LIVE_S = 45_000
LATIN_WORD = re.compile(r"(?<![\w-])[A-Za-z]{2,}(?![\w-])")  # letters only: codes and numbers carry digits


def case_row(page, text: str):
    return page.locator("#cases .case-row").filter(has_text=text)


def open_inbox_until(page, locator, timeout: int = LIVE_S) -> None:
    """The inbox, reloaded until `locator` shows (the tracker's consumer group may still be joining)."""
    page.goto("/console")
    expect(locator).to_be_visible(timeout=timeout)


def test_a_second_alert_joins_its_open_case(page, services) -> None:
    person = "1" * 64
    send(services.settings, make_alert("J-1", person=person))
    login(page, "caseworker1")
    row = case_row(page, "医疗支出负担")
    open_inbox_until(page, row)
    send(services.settings, make_alert("J-2", person=person, severity="critical",
                                       evidence=[("medical", "JS2026-0399", 61000.0)]))
    row.locator("a").click()
    for _ in range(40):
        if page.locator("#alert-count").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("#alert-count")).to_have_text("2 条同类预警")
    expect(page.locator(".timeline")).to_contain_text("新预警并入")
    expect(page.locator("#evidence")).to_contain_text("61,000.00 元")
    shoot(page, "case-joined")
    page.goto("/console")
    expect(case_row(page, "医疗支出负担")).to_have_count(1)


def test_a_withdrawn_alerts_case_leaves_the_inbox(page, services) -> None:
    person = "2" * 64
    alert = make_alert("W-1", "income_shock", person=person, severity="medium")
    send(services.settings, alert)
    login(page, "caseworker1")
    row = case_row(page, "收入骤降")
    open_inbox_until(page, row)
    expect(page.locator("#live-status")).to_have_text("实时更新已连接")
    send(services.settings, alert, action="withdrawn")
    expect(row).to_have_count(0, timeout=LIVE_S)  # pushed over SSE
    page.goto("/console?state=closed")
    expect(case_row(page, "收入骤降")).to_contain_text("预警撤回")


def test_a_county_level_case_is_worked_by_the_county(page, services) -> None:
    send(services.settings, make_alert("Q-1", "deceased_recipient", person="3" * 64, township="340403000"))
    login(page, "caseworker2")
    row = case_row(page, "死亡人员仍在保")
    open_inbox_until(page, row)
    expect(row).to_contain_text("田家庵区（区县本级）")
    row.locator("a").click()
    page.get_by_role("button", name="接案（由我办理）").click()
    expect(page.locator("#case-state")).to_have_text("已接案")


def test_every_rules_case_page_reads_in_chinese(page, services) -> None:
    alerts = [make_alert(f"R-{i}", rule, person=hashlib.sha256(rule.encode()).hexdigest())
              for i, rule in enumerate(EVIDENCE)]
    send(services.settings, *alerts)
    login(page, "supervisor1")
    page.goto("/console?state=all")
    for _ in range(60):
        if page.locator("#case-count").inner_text() == str(len(alerts)):
            break
        page.wait_for_timeout(1000)
        page.reload()
    hrefs = page.locator("#cases .case-row a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) >= len(alerts)
    for href in hrefs:
        page.goto(href)
        text = page.locator("main").inner_text()
        assert not LATIN_WORD.findall(text), (href, LATIN_WORD.findall(text))
        if "名下车辆" in text:
            assert "购置价格 168,000.00 元" in text and "号牌号码已脱敏" in text
            shoot(page, "case-page")


def test_an_auditor_is_offered_no_action(page, services) -> None:
    send(services.settings, make_alert("A-1", "business_owner", person="f" * 64))
    login(page, "auditor1")
    row = case_row(page, "经营企业").first
    open_inbox_until(page, row)
    row.locator("a").click()
    expect(page.locator("#read-only")).to_contain_text("只读")
    expect(page.locator(".actions-card button")).to_have_count(0)
    expect(page.get_by_text("查看身份信息（将留痕）")).to_have_count(0)


def test_a_too_large_form_is_not_sent_and_keeps_what_was_typed(page) -> None:
    page.goto("/warning")
    page.get_by_label("上报人（姓名或网格员编号）").fill("网格员王五")
    page.get_by_label("需要帮助的人的姓名").fill("李四")
    page.get_by_label("所在乡镇（街道）").select_option("340403001")
    situation = page.get_by_label("情况说明")
    situation.evaluate("el => el.removeAttribute('maxlength')")  # as if pasted past the limit by an old browser
    situation.fill("很" * 30_000)
    page.get_by_role("button", name="立即上报").click()
    expect(page.locator(".size-error")).to_contain_text("内容过大")
    expect(page.get_by_label("上报人（姓名或网格员编号）")).to_have_value("网格员王五")
    # without the page's script the server answers 413 with the form, what was typed still in it
    page.evaluate("document.querySelector('form[action=\"/warning\"]').setAttribute('data-max-bytes', '99999999')")
    page.get_by_role("button", name="立即上报").click()
    expect(page.locator("#form-errors")).to_contain_text("提交内容过大")
    expect(page.get_by_label("需要帮助的人的姓名")).to_have_value("李四")
    expect(page.get_by_label("所在乡镇（街道）")).to_have_value("340403001")
    assert page.evaluate("fetch('/favicon.ico').then(r => r.headers.get('content-type'))") == "image/svg+xml"


def test_an_auditor_is_offered_no_12345_form(page) -> None:
    login(page, "auditor1")
    page.goto("/hotline")
    expect(page.locator("#read-only")).to_contain_text("只读")
    expect(page.get_by_role("button", name="录入工单")).to_have_count(0)
