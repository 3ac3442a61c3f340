"""Debian's Prometheus scrapes our exporter: every dashboard query parses, the rules load, and
queries over metrics this test produced return data."""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest, start_http_server

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((REPO / "infra" / "grafana" / "dashboards").glob("*.json"))
RULES = REPO / "infra" / "prometheus" / "rules.yml"
METRIC = re.compile(r"\b(safetynet_[a-z_]+)")


def prometheus_binary() -> str:
    if shutil.which("prometheus") is None:
        result = subprocess.run(["apt-get", "install", "-y", "prometheus"], capture_output=True, text=True)
        if shutil.which("prometheus") is None:
            pytest.skip(f"Debian's prometheus is not installed and `apt-get install -y prometheus` failed: "
                        f"{result.stderr.strip()[-300:]}")
    return shutil.which("prometheus")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def produce_metrics() -> None:
    """Touch every metric the services export, the way the services do."""
    from consumers.analytics import metrics as sink
    from consumers.cases import metrics as cases
    from consumers.notifier import metrics as notifier
    from streams import metrics as streams

    for feed in ("medical", "roster"):
        streams.observe(feed, time.perf_counter(), __import__("datetime").date.today())
    streams.ALERTS.labels("medical_burden", "high", "340403001").inc()
    streams.ALERTS.labels("vehicle_owner", "high", "340403001").inc()  # a version-2 audit rule
    cases.VERDICTS.labels("vehicle_owner", "confirmed").inc()
    cases.VERDICTS.labels("vehicle_owner", "dismissed").inc()
    cases.RESOLUTIONS.labels("vehicle_owner", "benefit_stopped").inc()
    cases.EXPORTED.inc(3)
    streams.WITHDRAWN.labels("medical_burden").inc()
    streams.DEAD_LETTERS.labels("judge", "invalid").inc()
    for channel, outcome in (("inbox", "delivered"), ("webhook", "delivered"), ("webhook", "dead_letter")):
        notifier.NOTIFICATIONS.labels(channel, outcome).inc()
    notifier.DELIVERY_LATENCY.labels("inbox").observe(0.002)
    notifier.DELIVERY_LATENCY.labels("webhook").observe(0.2)
    notifier.SILENCED.labels("deceased").inc()
    notifier.PENDING.set(2)
    notifier.OLDEST_PENDING.set(30)
    notifier.REDIS_WAITS.inc(0)
    notifier.ROBOT_HELD.labels("340403001").inc(3)
    sink.ROWS.labels("events").inc(1000)
    sink.BATCH_LATENCY.labels("events").observe(0.05)
    sink.LAG.labels("feed.medical").set(12)
    from consumers.cases import metrics as cases

    cases.CASES.labels("open").set(3)
    cases.OVERDUE.set(1)
    cases.WITHDRAWN.set(2)


def produced_names() -> set[str]:
    text = generate_latest(REGISTRY).decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def panel_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            found += [(path.stem, panel["title"], t["expr"]) for t in panel["targets"]]
    return found


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    binary = prometheus_binary()
    produce_metrics()
    exporter, web = free_port(), free_port()
    start_http_server(exporter, addr="127.0.0.1")
    root = tmp_path_factory.mktemp("prometheus")
    (root / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{RULES}']\n"
        f"scrape_configs: [{{job_name: safetynet, static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]}}]\n")
    process = subprocess.Popen([binary, f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={root / 'data'}",
                                f"--web.listen-address=127.0.0.1:{web}"], stdout=subprocess.DEVNULL,
                               stderr=open(root / "prometheus.log", "w"))
    base = f"http://127.0.0.1:{web}"
    try:
        deadline = time.monotonic() + 60
        # at least three scrapes, so rate() and increase() have samples to work with
        while not query(base, "count_over_time(up[1m]) >= 3").get("data", {}).get("result"):
            assert process.poll() is None, (root / "prometheus.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "prometheus did not scrape the exporter three times in 60 s"
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(20)


def query(base: str, expr: str) -> dict:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.load(exc)
    except OSError:
        return {}


def test_dashboards_exist() -> None:
    assert {p.stem for p in DASHBOARDS} == {"operator-overview", "rules", "caseworker-sla"}


@pytest.mark.parametrize(("board", "title", "expr"), panel_queries(), ids=lambda v: v if len(v) < 40 else None)
def test_panel_query_parses_and_returns_data(prometheus: str, board: str, title: str, expr: str) -> None:
    answer = query(prometheus, expr)
    assert answer.get("status") == "success", f"{board} / {title}: {answer.get('error')}"
    names = set(METRIC.findall(expr))
    produced = produced_names()
    assert names <= {n.removesuffix("_bucket") for n in produced} | produced, \
        f"{board} / {title} uses metrics no service exports: {names - produced}"
    assert answer["data"]["result"], f"{board} / {title}: no data although its metrics were produced"


def test_rules_load_and_evaluate(prometheus: str) -> None:
    assert subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True).returncode == 0
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(f"{prometheus}/api/v1/rules", timeout=10) as response:
            rules = [r for g in json.load(response)["data"]["groups"] for r in g["rules"]]
        if rules and all(r.get("lastEvaluation", "").startswith("20") and r["health"] == "ok" for r in rules):
            break
        assert time.monotonic() < deadline, [(r["name"], r["health"], r.get("lastError")) for r in rules]
        time.sleep(0.5)
    names = set(METRIC.findall(RULES.read_text()))
    assert names <= produced_names(), f"rules use metrics no service exports: {names - produced_names()}"


def test_the_operators_page_draws_every_dashboard_panel_from_prometheus(prometheus: str) -> None:
    """One definition: the panels the page draws are the dashboards' own, with data from this Prometheus."""
    import asyncio

    import httpx

    from consumers.web.backends import PrometheusClient
    from consumers.web.operators import draw, load_panels

    async def drawn() -> list:
        async with httpx.AsyncClient(base_url=prometheus) as http:
            client = PrometheusClient(http)
            assert await client.up()
            panels = load_panels()
            return list(zip(panels, await asyncio.gather(*(draw(p, client, time.time()) for p in panels))))

    charts = asyncio.run(drawn())
    assert len(charts) == len(panel_queries())
    for panel, svg in charts:
        assert "<svg" in svg and "暂无数据" not in svg, panel.title
        assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{4,}", panel.title), panel.title  # titles in Chinese
