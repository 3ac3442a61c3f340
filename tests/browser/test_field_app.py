"""The field app in Chromium: a home visit recorded with the network off is kept on the phone and sent
once when the network is back (its visit_id makes a second send a no-op); and the channels' new pages,
photographed at phone width: WeChat H5, reporters, 12345 answer, 摸排, the bureau's year."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx
from playwright.sync_api import expect

from producers.hotline12345 import signed_headers
from producers.identity import check_char
from producers.wechat import follower_links
from tests.browser.pages import login, shoot

LIVE_S = 45_000
ID_NUMBER = "34040319800101123" + check_char("34040319800101123")


def reload_until(page, path: str, locator, attempts: int = 90) -> None:
    """Open `path` until `locator` shows (the tracker opens cases asynchronously); fail at the deadline."""
    for _ in range(attempts):
        page.goto(path)
        if locator.count():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{path}: never showed {locator}")


def tracker_case(services, case_id: str) -> dict:
    with httpx.Client(base_url=services.cases_url, timeout=30.0) as client:
        token = client.post("/api/login", json={"user": "caseworker1", "password": "caseworker1-demo"}).json()["token"]
        return client.get(f"/api/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}).json()


def open_case_from_warning(services, worker, name: str) -> str:
    with httpx.Client(base_url=services.intake_url, timeout=30.0) as client:
        made = client.post("/api/intake/warnings", json={"reporter": "网格员", "subject_name": name,
                                                        "township_code": "340403001", "situation": f"{name}需要帮助"})
        assert made.status_code == 202, made.text
    login(worker, "caseworker1")
    row = worker.locator("#cases .case-row").first
    expect(row).to_be_visible(timeout=LIVE_S)
    row.click()
    worker.get_by_role("button", name="接案（由我办理）").click()
    worker.get_by_role("button", name="开始入户走访").click()
    expect(worker.locator("#case-state")).to_have_text("走访中")
    return worker.url.rsplit("/", 1)[-1].split("?")[0]


def test_a_visit_recorded_offline_is_sent_once_when_back_online(new_page, services) -> None:
    worker = new_page()
    case_id = open_case_from_warning(services, worker, "周九")
    assert worker.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)") is True
    manifest = worker.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert (manifest["start_url"], manifest["display"]) == ("/console", "standalone")

    worker.context.set_offline(True)
    worker.get_by_label("走访情况").fill("无信号山区：独居，屋顶漏雨，无固定收入。")
    worker.get_by_label("情况属实").check()
    worker.get_by_role("button", name="保存走访记录").click()
    expect(worker.locator("#field-status")).to_contain_text("已保存在本机")
    queued = json.loads(worker.evaluate("localStorage.getItem('safetynet.visits')"))
    assert len(queued) == 1 and len(queued[0]["fields"]["visit_id"]) == 32
    shoot(worker, "field-visit-offline")
    assert tracker_case(services, case_id)["verdict"] is None  # nothing left the phone

    worker.context.set_offline(False)
    expect(worker.locator("#field-status")).to_have_text("已上传 1 条离线走访记录。", timeout=15_000)
    assert worker.evaluate("localStorage.getItem('safetynet.visits')") == "[]"
    case = tracker_case(services, case_id)
    assert case["verdict"] == "confirmed" and "屋顶漏雨" in case["survey"]["findings"]

    # the same visit sent again (say the answer to the first send was lost): recorded once
    worker.evaluate("q => { document.getElementById('field-status').textContent = '';"
                    " localStorage.setItem('safetynet.visits', q); window.dispatchEvent(new Event('online')); }",
                    json.dumps(queued))
    expect(worker.locator("#field-status")).to_have_text("已上传 1 条离线走访记录。", timeout=15_000)
    assert worker.evaluate("localStorage.getItem('safetynet.visits')") == "[]"
    history = tracker_case(services, case_id)["history"]
    assert [h["type"] for h in history].count("survey_recorded") == 1
    worker.reload()
    shoot(worker, "field-visit-uploaded")


def test_screening_and_the_year_to_date_page(new_page) -> None:
    worker, supervisor = new_page(), new_page()
    login(worker, "caseworker1")
    worker.goto("/console/screening")
    shoot(worker, "screening-form")
    worker.get_by_label("户主姓名").fill("吴十")
    worker.get_by_label("家庭人口（人）").fill("4")
    worker.get_by_label("摸排情况").fill("户主患尿毒症，每周透析，两个孩子上学。")
    worker.get_by_label("是否开案核实").select_option("yes")
    worker.get_by_role("button", name="保存摸排记录").click()
    expect(worker.locator("#screening-done")).to_contain_text("已开案")
    shoot(worker, "screening-done")
    expect(worker.locator("#cases .case-row").filter(has_text="入户摸排")).to_have_count(0)  # still on the form page
    worker.goto("/console")
    expect(worker.locator("#cases .case-row").filter(has_text="入户摸排")).to_be_visible(timeout=LIVE_S)
    worker.locator('a[data-source="screening"]').click()  # its own tab, not under 12345
    expect(worker.locator("#cases .case-row").filter(has_text="入户摸排")).to_be_visible()
    expect(worker.locator('a[data-source="hotline"] .count')).to_have_text("0")

    login(supervisor, "supervisor1")
    supervisor.goto("/bureau/ytd")
    expect(supervisor.get_by_role("heading", name=f"{datetime.now(UTC).year} 年度统计")).to_be_visible()
    expect(supervisor.locator("#ytd")).to_contain_text("田家庵区")
    expect(supervisor.locator("#total-warnings_pushed")).to_have_text("0")  # no alerts in this module's data
    shoot(supervisor, "bureau-ytd")


def test_reporters_wechat_h5_and_a_12345_answer(new_page, services) -> None:
    reporter, other, follower, worker = new_page(), new_page(), new_page(), new_page()
    login(reporter, "reporter1")
    reporter.goto("/reporter/new")
    shoot(reporter, "reporter-form")
    reporter.get_by_label("需要帮助的人的姓名").fill("郑十一")
    reporter.get_by_label("所在乡镇（街道）").select_option("340403001")
    reporter.get_by_label("情况说明").fill("郑十一失业后无收入，孩子辍学")
    reporter.get_by_role("button", name="立即上报").click()
    expect(reporter.get_by_role("heading", name="我的预警")).to_be_visible()
    link = reporter.locator(".cases a").first
    reload_until(reporter, "/reporter", link)
    shoot(reporter, "reporter-list")
    report_path = link.get_attribute("href")
    link.click()
    expect(reporter.locator("#report-state")).to_have_text("待接案")
    shoot(reporter, "reporter-report")
    login(other, "reporter2")
    assert other.goto(report_path).status == 403

    token = follower_links(services.settings).dumps("oFOLLOWER-0001")
    follower.goto(f"/wechat/h5/apply?f={token}")
    shoot(follower, "wechat-h5-apply")
    follower.get_by_label("救助类别").select_option("临时救助")
    follower.get_by_label("申请人姓名").fill("冯十三")
    follower.get_by_label("申请人身份证号").fill(ID_NUMBER)
    follower.get_by_label("联系电话").fill("13500003333")
    follower.get_by_label("所在乡镇（街道）").select_option("340403001")
    follower.get_by_label("家庭人口（人）").fill("2")
    follower.get_by_label("家庭年收入（元）").fill("6000")
    follower.get_by_label("申请理由").fill("突发重病")
    follower.get_by_role("button", name="提交申请").click()
    expect(follower.locator("#receipt-no")).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$"))
    shoot(follower, "wechat-h5-receipt")
    follower.goto(f"/wechat/h5/tip-off?f={token}")
    shoot(follower, "wechat-h5-tip-off")
    assert follower.goto("/wechat/h5/tip-off?f=forged").status == 200  # the form shows; submitting it is refused

    body = json.dumps({"ticket_no": "HN-0002", "caller_name": "王十二", "caller_phone": "13600002222",
                       "township_code": "340403001", "content": "咨询低保标准", "ticket_type": "咨询",
                       "received_at": datetime.now(UTC).isoformat()}, ensure_ascii=False).encode()
    secret = services.settings.hotline_secret.get_secret_value().encode()
    with httpx.Client(base_url=services.intake_url, timeout=30.0) as client:
        pushed = client.post("/api/12345/tickets", content=body, headers=signed_headers(secret, body, datetime.now(UTC)))
    assert pushed.status_code == 200, pushed.text
    login(worker, "caseworker1")
    reload_until(worker, f"/console/cases/{pushed.json()['case_id']}", worker.get_by_role("button", name="接案（由我办理）"))
    worker.get_by_role("button", name="接案（由我办理）").click()
    worker.locator("#answer-link").click()
    worker.get_by_label("答复内容").fill("本市低保标准为每人每月 800 元。")
    shoot(worker, "hotline-answer")
    worker.get_by_role("button", name="答复并办结").click()
    expect(worker.locator("#case-state")).to_have_text("已办结")
