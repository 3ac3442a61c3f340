"""Browser fixtures: the services on free ports, Debian's Chromium driven by Playwright's sync API.

Never `playwright install`: the browser is /usr/bin/chromium (apt-get install chromium fonts-noto-cjk).
Screenshots of every main page, at phone and desktop width, go to tests/artifacts/screenshots/.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from schemas.settings import Settings
from tests.browser.pages import PHONE
from tests.browser.services import Services, isolated

CHROMIUM = "/usr/bin/chromium"
REDIS_DB = 15


@pytest.fixture(scope="module")
def services(stack: Settings, tmp_path_factory) -> Iterator[Services]:
    with Services(isolated(stack, REDIS_DB, tmp_path_factory.mktemp("web"))) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, services: Services) -> Iterator[Callable[[], object]]:
    """Each call opens a separate browser context (its own cookies): one per person in a scenario."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=services.web_url, viewport=PHONE, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
