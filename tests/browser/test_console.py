"""The channels and the console in Debian's Chromium: report -> live inbox -> visit -> supervisor."""
from __future__ import annotations

import re
import struct
import zlib

import httpx
from playwright.sync_api import expect

from producers.identity import check_char
from tests.browser.pages import login, shoot

ID_NUMBER = "34040319800101123" + check_char("34040319800101123")
WRONG_CHECK = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
LIVE_S = 45_000  # ms: tracker consumer group join + one SSE round


def png(width: int = 8, height: int = 8) -> bytes:
    """A tiny valid grey PNG, made here so the test needs no fixture file."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_warning_shows_live_in_the_right_inbox_is_worked_and_the_supervisor_sees_it(new_page) -> None:
    worker, neighbour, volunteer = new_page(), new_page(), new_page()
    worker.goto("/login")
    shoot(worker, "login")
    login(worker, "caseworker1")
    login(neighbour, "caseworker2")
    for inbox in (worker, neighbour):
        expect(inbox.locator("#live-status")).to_have_text("实时更新已连接")
    shoot(worker, "inbox-empty")
    worker.evaluate("window.__notReloaded = true")

    volunteer.goto("/warning")
    shoot(volunteer, "warning-form")
    volunteer.get_by_label("上报人（姓名或网格员编号）").fill("网格员王五")
    volunteer.get_by_label("需要帮助的人的姓名").fill("李四")
    volunteer.get_by_label("对方电话").fill("13912345678")
    volunteer.get_by_label("所在乡镇（街道）").select_option("340403001")
    volunteer.get_by_label("情况说明").fill("李四独居，近日摔伤无人照料")
    volunteer.get_by_role("button", name="立即上报").click()
    expect(volunteer.get_by_role("heading", name="预警已上报")).to_be_visible()
    shoot(volunteer, "warning-receipt")

    row = worker.locator("#cases .case-row").filter(has_text="待识别身份")
    expect(row).to_be_visible(timeout=LIVE_S)  # pushed over SSE: the page was never reloaded
    assert worker.evaluate("window.__notReloaded") is True
    expect(worker.locator("#case-count")).to_have_text("1")
    shoot(worker, "inbox")
    expect(neighbour.locator("#cases .case-row")).to_have_count(0)  # another township's inbox stays empty

    case_path = row.locator("a").get_attribute("href")
    denied = neighbour.goto(case_path)
    assert denied.status == 403
    expect(neighbour.get_by_role("heading", name="无权访问")).to_be_visible()
    shoot(neighbour, "case-403")

    row.click()
    expect(worker.get_by_role("heading", name="来源与内容")).to_be_visible()
    shoot(worker, "case-open")
    worker.get_by_role("button", name="接案（由我办理）").click()
    expect(worker.locator("#case-state")).to_have_text("已接案")
    worker.get_by_role("button", name="开始入户走访").click()
    expect(worker.locator("#case-state")).to_have_text("走访中")

    worker.get_by_text("查看身份信息（将留痕）").click()
    worker.get_by_label("查看事由").fill("入户走访前核对身份")
    worker.get_by_role("button", name="查看身份").click()
    expect(worker.locator("#identity-name")).to_have_text("李四")
    assert "李四" not in worker.url and "reason" not in worker.url
    shoot(worker, "case-reveal")

    worker.get_by_label("走访情况").fill("独居，左腿骨折，无子女照料；已联系村医。")
    worker.get_by_label("情况属实").check()
    worker.get_by_label(re.compile("^照片")).set_input_files(
        [{"name": "visit.png", "mimeType": "image/png", "buffer": png()}])
    worker.get_by_role("button", name="保存走访记录").click()
    expect(worker.get_by_role("status")).to_contain_text("已保存：走访记录")
    expect(worker.get_by_role("img", name="走访照片 1")).to_be_visible()
    worker.get_by_role("button", name=re.compile("确认核实")).click()
    expect(worker.locator("#case-state")).to_have_text("已核实")
    expect(worker.locator(".timeline")).to_contain_text("查看身份（留痕）")
    shoot(worker, "case-verified")

    supervisor = new_page()
    login(supervisor, "supervisor1")
    expect(supervisor).to_have_url(re.compile("/overview$"))
    expect(supervisor.locator("#township-340403001 td[data-state=verified]")).to_have_text("1")
    expect(supervisor.get_by_role("link", name="通知送达与办理时限")).to_have_count(0)  # no Grafana runs here
    expect(supervisor.get_by_role("link", name="运维监控图表")).to_have_attribute("href", "/operators")
    shoot(supervisor, "overview")


def test_a_citizen_with_a_bad_id_number_gets_a_clear_error_then_applies_and_queries(page) -> None:
    page.goto("/")
    shoot(page, "home")
    page.get_by_role("link", name=re.compile("申请救助")).click()
    page.get_by_label("救助类别").select_option("低保")
    page.get_by_label("申请人姓名").fill("赵六")
    page.get_by_label("申请人身份证号").fill(WRONG_CHECK)
    page.get_by_label("联系电话").fill("13800001111")
    page.get_by_label("所在乡镇（街道）").select_option("340403001")
    page.get_by_label("家庭人口（人）").fill("3")
    page.get_by_label("家庭年收入（元）").fill("12000.50")
    page.get_by_label("申请理由").fill("丈夫重病，无力负担医药费")
    shoot(page, "apply-form")
    page.get_by_role("button", name="提交申请").click()

    expect(page.locator("#err-id_number")).to_have_text("身份证号校验位不正确，请核对每一位数字，特别是最后一位")
    expect(page.get_by_label("申请人身份证号")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-errors")).to_be_focused()
    assert WRONG_CHECK not in page.url
    shoot(page, "apply-error")

    page.get_by_label("申请人身份证号").fill(ID_NUMBER)
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", name="申请已提交")).to_be_visible()
    number = page.locator("#receipt-no").inner_text()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", number)
    shoot(page, "apply-receipt")

    page.get_by_role("link", name="查询进度").click()
    page.get_by_label("回执号").fill(number.lower().replace("-", ""))  # read aloud, typed in lower case
    page.get_by_label("申请人身份证号").fill(ID_NUMBER)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#status-stage")).to_have_text(re.compile("已收到，正在登记|已受理，等待社工接案"))
    expect(page.locator("#status-next")).not_to_be_empty()
    assert ID_NUMBER not in page.url and ID_NUMBER not in page.content()
    shoot(page, "status")

    page.goto("/tip-off")
    shoot(page, "tip-off-form")


def test_a_12345_ticket_is_followed_from_ticket_to_case_to_closure(page, services) -> None:
    login(page, "admin1")
    page.goto("/hotline")
    form = page.get_by_role("form", name="录入新工单")
    form.get_by_label("工单编号").fill("12345-20260302-0001")
    page.get_by_label("来电人姓名").fill("孙七")
    page.get_by_label("来电号码").fill("13700002222")
    page.get_by_label("所在乡镇（街道）").select_option("340403001")
    page.get_by_label("诉求内容").fill("老人独居，冬季取暖困难，希望了解临时救助")
    shoot(page, "hotline-form")
    page.get_by_role("button", name="录入工单").click()
    expect(page.locator("#ticket-status")).to_have_text("待接案", timeout=LIVE_S)  # the page refreshes itself
    shoot(page, "ticket-open")

    case_id = page.url.rsplit("/", 1)[-1]
    close_case(services.cases_url, case_id)
    page.reload()
    expect(page.locator("#ticket-status")).to_have_text("已办结")
    expect(page.locator(".stepper li.done")).to_have_count(7)
    shoot(page, "ticket-closed")

    page.goto("/hotline")
    page.get_by_label("要查询的工单编号").fill("12345-20260302-0001")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(f"/hotline/tickets/{case_id}$"))


def close_case(cases_url: str, case_id: str) -> None:
    """The township's caseworker works the ticket's case to closure through the tracker API."""
    with httpx.Client(base_url=cases_url) as client:
        token = client.post("/api/login", json={"user": "caseworker1", "password": "caseworker1-demo"}).json()["token"]
        me, url = {"Authorization": f"Bearer {token}"}, f"/api/cases/{case_id}"
        steps = [("transition", {"to": "assigned"}), ("transition", {"to": "visiting"}),
                 ("survey", {"case_id": case_id, "visit_date": "2026-03-03", "findings": "取暖设备损坏",
                             "verdict": "confirmed"}),
                 ("transition", {"to": "verified"}),
                 ("transition", {"to": "resolved", "resolution": "assistance_granted",
                                 "grant": {"category": "低保"}}),
                 ("transition", {"to": "closed"})]
        for action, body in steps:
            response = client.post(f"{url}/{action}", json=body, headers=me)
            assert response.status_code == 200, response.text
