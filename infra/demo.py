"""`safetynet demo` / `make demo`: a simulated city through the whole system on local defaults.

stack up -> simulate a city -> start worker, case tracker, notifier, analytics sink, intake and the
web console as processes -> ingest every department file -> wait until the worker has consumed it
-> print what was found, where to look, and the demo logins -> keep running until Ctrl-C.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from schemas.settings import Settings

# (name, safetynet arguments, metrics port); ports match infra/prometheus/prometheus.yml
SERVICES = [
    ("worker", ["worker"], 9102),
    ("cases", ["cases", "serve", "--port", "8040"], 9104),
    ("notifier", ["notifier", "run", "--window", "5"], 9103),
    ("analytics", ["analytics", "run"], 9105),
    ("intake", ["intake", "--port", "8030"], 9101),
    ("web", ["web", "--port", "8050"], 9106),
    ("replies", ["replies", "run"], 9107),  # 12345 callbacks / WeChat messages once their settings are given
]
LOGINS = [("caseworker1", "田家庵区 田东街道 340403001"), ("caseworker2", "田家庵区 新淮街道 340403002"),
          ("supervisor1", "田家庵区 340403"), ("auditor1", "只读, 全部"), ("admin1", "管理员"),
          ("reporter1", "我要预警上报人（公职人员）"), ("reporter2", "我要预警上报人（志愿者）")]


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path


def start(settings: Settings, name: str, args: list[str], metrics_port: int) -> Service:
    log = settings.data_dir / "logs" / f"demo-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SAFETYNET_DATA_DIR": str(settings.data_dir), "SAFETYNET_METRICS_PORT": str(metrics_port),
           # the demo back-fills years of history at once: Kafka interleaves the feeds, so judge every record
           "SAFETYNET_ALLOWED_LATENESS_DAYS": os.environ.get("SAFETYNET_ALLOWED_LATENESS_DAYS", "1000000")}
    process = subprocess.Popen([sys.executable, "-m", "safetynet_cli", *args], env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    return Service(name, process, log)


def start_prometheus(settings: Settings) -> Service | None:
    """Debian's Prometheus on 127.0.0.1:9090 scraping the services (infra/prometheus): the web's operators'
    page draws from it. None when it is not installed (apt-get install prometheus)."""
    import shutil

    binary = shutil.which("prometheus")
    if binary is None:
        return None
    config = Path(__file__).resolve().parent / "prometheus" / "prometheus.yml"
    log = settings.data_dir / "logs" / "demo-prometheus.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={settings.data_dir / 'prometheus'}",
                                "--web.listen-address=127.0.0.1:9090"], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    return Service("prometheus", process, log)


def stop(services: list[Service]) -> None:
    for service in services:
        if service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
    for service in services:
        try:
            service.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)


def check_alive(services: list[Service]) -> None:
    for service in services:
        if service.process.poll() is not None:
            tail = service.log.read_text(errors="replace").splitlines()[-15:]
            raise RuntimeError(f"{service.name} exited ({service.process.returncode}); log {service.log}:\n" + "\n".join(tail))


async def feed_city(settings: Settings, city: Path, services: list[Service], echo=print) -> tuple[int, Counter]:
    from infra.progress import Stages
    from producers.publish import ingest_files
    from streams.app import app_id
    from streams.export import fold, read_notices
    from tools.replay import drain, files_by_feed, ingest_progress
    from streams.topics import create_topics, pipeline_topics, wait_group_stable

    worker = next(s.process for s in services if s.name == "worker")
    await create_topics(settings, pipeline_topics(settings))
    echo("waiting for the stream worker to join its consumer group (usually 5-30 s)...")
    started = time.monotonic()
    await wait_group_stable(settings, app_id(settings), 1, timeout=180, alive=lambda: worker.poll() is None)
    echo(f"worker ready in {time.monotonic() - started:.0f} s; feeding the city's department files:")
    published, stages = 0, Stages()
    try:
        for feed, paths in files_by_feed(city).items():
            published += (await ingest_files(settings, feed, paths,
                                             progress=ingest_progress(stages, feed, paths))).published
        await drain(settings, [worker], timeout=1800, progress=stages)
    finally:
        stages.close()
    alerts = fold(await read_notices(settings))
    return published, Counter(a.rule for a in alerts)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run(settings: Settings, scale: float, seed: int, wait: bool, echo=print) -> int:
    from infra.progress import Progress
    from infra.stack import up
    from producers.simulate import PHASES, simulate

    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the services too, like Ctrl-C
    echo("starting the local stack (Kafka, Redis)...")
    echo(str(up(settings)))
    city = settings.data_dir / "demo" / f"city-{scale}-{seed}"
    if not city.exists():
        progress = Progress(f"simulating a city at scale {scale}", total=PHASES, unit="steps")
        counts = simulate(city, scale=scale, seed=seed, phase=progress.update)
        progress.finish()
        echo(f"simulated city at scale {scale}: {sum(counts.values())} rows in {city}")
    echo(f"starting {len(SERVICES)} services: {', '.join(name for name, _, _ in SERVICES)} "
         f"(logs in {settings.data_dir / 'logs'})")
    services = [start(settings, name, args, port) for name, args, port in SERVICES]
    prometheus = start_prometheus(settings)
    services += [prometheus] if prometheus else []
    try:
        started = time.monotonic()
        published, by_rule = asyncio.run(feed_city(settings, city, services, echo))
        check_alive(services)
        echo(f"\n{published} department records judged in {time.monotonic() - started:.0f} s; standing alerts:")
        for rule, n in sorted(by_rule.items()):
            echo(f"  {rule:<24}{n:>7}")
        echo("\ncaseworker console:  http://127.0.0.1:8050/login   supervisor overview: /overview   12345 tickets: /hotline")
        echo("public pages:        http://127.0.0.1:8050/  (/apply, /status, /tip-off, /warning = 我要预警)")
        echo("case tracker API:    http://127.0.0.1:8040/docs     intake API: http://127.0.0.1:8030/docs")
        echo("metrics:             http://127.0.0.1:9101-9106/metrics; operators' charts: http://127.0.0.1:8050/operators"
             + ("  (Prometheus on :9090)" if prometheus else "  (apt-get install prometheus to fill them)"))
        echo("demo logins (password = user name + '-demo'):")
        for user, scope in LOGINS:
            echo(f"  {user:<12} {scope}")
        echo(f"logs: {settings.data_dir / 'logs'}/demo-*.log;  `make down` stops the stack")
        if wait:
            echo("\nrunning; Ctrl-C stops the services")
            while True:
                check_alive(services)
                time.sleep(1)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        stop(services)
