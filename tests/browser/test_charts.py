"""The supervisor's trends (ClickHouse, through the analytics service) and the operators' panels (the
Grafana dashboards' definitions, data from Debian's Prometheus) render with data in Chromium."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import expect
from prometheus_client import start_http_server

from consumers.analytics.queries_http import read_token
from schemas.settings import Settings
from tests.browser.alerts import make_alert, send
from tests.browser.pages import login, shoot
from tests.browser.services import Services, _free_socket, isolated
from tests.integration.test_prometheus_dashboards import produce_metrics, query

REDIS_DB = 13


def free_port() -> int:
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory) -> Iterator[str]:
    """Debian's Prometheus scraping this process's exporter (every metric the services export, touched)."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("Debian's prometheus is missing: apt-get install prometheus", pytrace=False)
    produce_metrics()
    exporter, web = free_port(), free_port()
    start_http_server(exporter, addr="127.0.0.1")
    root = tmp_path_factory.mktemp("prometheus")
    (root / "prometheus.yml").write_text("global: {scrape_interval: 1s}\n"
                                         f"scrape_configs: [{{job_name: s, static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]}}]\n")
    process = subprocess.Popen([binary, f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={root / 'd'}",
                                f"--web.listen-address=127.0.0.1:{web}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{web}"
    deadline = time.monotonic() + 60
    while not query(base, "count_over_time(up[1m]) >= 3").get("data", {}).get("result"):
        assert process.poll() is None and time.monotonic() < deadline, "prometheus did not scrape three times"
        time.sleep(0.5)
    yield base
    process.terminate()
    process.wait(20)


@pytest.fixture(scope="module")
def analytics(stack: Settings, tmp_path_factory) -> Iterator[tuple[Settings, str]]:
    """`safetynet analytics run` in its own process (it owns its chDB path), on this module's topics."""
    settings = isolated(stack, REDIS_DB, tmp_path_factory.mktemp("charts"))
    port = free_port()
    env = {**os.environ, "SAFETYNET_DATA_DIR": str(settings.data_dir), "SAFETYNET_TOPIC_PREFIX": settings.topic_prefix,
           "SAFETYNET_ANALYTICS_QUERY_PORT": str(port), "SAFETYNET_REDIS_URL": settings.redis_url,
           "SAFETYNET_KAFKA_BOOTSTRAP": settings.kafka_bootstrap}
    log = open(settings.data_dir / "analytics.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "safetynet_cli", "analytics", "run"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.post(f"{url}/query", json={"query": "SELECT 1"}, headers=bearer(settings)).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, (settings.data_dir / "analytics.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the analytics service did not answer in 90 s"
        time.sleep(0.5)
    yield settings, url
    process.terminate()
    process.wait(30)


@pytest.fixture(scope="module")
def services(analytics, prometheus_url) -> Iterator[Services]:
    settings, url = analytics
    with Services(settings, analytics_url=url, prometheus_url=prometheus_url) as running:
        yield running


def bearer(settings: Settings) -> dict[str, str]:
    """The analytics service's token: only its OS user reads it (issue 12)."""
    return {"Authorization": f"Bearer {read_token(settings.data_dir) or ''}"}


def rows(url: str, sql: str, settings: Settings) -> list:
    return httpx.post(f"{url}/query", json={"query": sql}, headers=bearer(settings)).json().get("rows", [])


def test_the_overview_draws_trends_from_clickhouse(page, services, analytics) -> None:
    settings, url = analytics
    recent = date.today() - timedelta(days=10)
    alerts = [make_alert(f"T-{i}", rule, person=f"{i:064x}", township=town, event_time=recent - timedelta(days=7 * i))
              for i, (rule, town) in enumerate([("medical_burden", "340403001"), ("income_shock", "340403002"),
                                               ("vehicle_owner", "340403003"), ("medical_burden", "340403000")])]
    send(services.settings, *alerts)
    send(services.settings, alerts[1], action="withdrawn")
    deadline = time.monotonic() + 120
    while not (rows(url, "SELECT count() FROM alerts_per_week", settings)
               and rows(url, "SELECT count() FROM alerts_per_week", settings)[0][0]
               and rows(url, "SELECT count() FROM case_events WHERE resolution = 'withdrawn'", settings)[0][0]):
        assert time.monotonic() < deadline, "the analytics service never saw the alerts and the withdrawal"
        time.sleep(1)
    login(page, "supervisor1")
    for chart in ("weekly", "townships", "sla", "outcomes"):
        expect(page.locator(f"#chart-{chart} svg[role=img]")).to_be_visible()
    expect(page.locator("#chart-weekly svg[role=img] path")).not_to_have_count(0)
    expect(page.locator("#chart-townships")).to_contain_text("田东街道")
    expect(page.locator("#chart-outcomes")).to_contain_text("预警撤回")
    expect(page.locator("#township-table")).to_contain_text("田家庵区（区县本级）")
    expect(page.locator("#total-withdrawn")).to_have_text("1")
    shoot(page, "overview-trends")


def test_the_operators_page_draws_the_dashboards_panels(page, services) -> None:
    login(page, "admin1")
    page.goto("/operators")
    expect(page.locator("#prometheus-off")).to_have_count(0)
    panels = page.locator("figure.panel")
    assert panels.count() >= 20
    expect(page.locator("figure.panel").filter(has_text="每秒处理的部门数据（按数据源）").locator("svg path")).not_to_have_count(0)
    assert page.locator("figure.panel .nodata").count() == 0
    expect(page.get_by_role("link", name="打开 Grafana")).to_have_count(0)  # no Grafana here: no link
    shoot(page, "operators")
