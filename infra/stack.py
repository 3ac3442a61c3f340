"""Start, stop and inspect the local stack: one Kafka (KRaft) JVM and one Redis, as plain processes.

Layout under <data_dir>:   kafka/ (log dirs)   redis/ (AOF)   run/ (pid files, rendered config)   logs/

A service that already answers on its address is reused, whoever started it; `down` stops only the
processes whose pid files live under this data_dir. chDB is embedded in the analytics service, so the
stack only reports its DSN. Kafka and Redis themselves: infra/brokers.py; pids, logs, lock: infra/processes.py.
"""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.brokers import (  # noqa: F401 (re-exported: callers import them from here)
    INFRA, KAFKA_VERSION, _cluster_id, _kafka_address, _kafka_healthy, _launch_kafka, _launch_redis, _redis_address,
    _redis_healthy, fetch_kafka_jars, kafka_home,
)
from infra.processes import (  # noqa: F401 (re-exported: callers import them from here)
    StackError, _alive, _cmdline, _dirs, _fmt, _log_tail, _read_pid, _stack_lock, _terminate,
)
from schemas.settings import Settings

KAFKA_START_TIMEOUT = 120.0  # a cold JVM on 2 cores takes ~10 s; CI machines can be slower
REDIS_START_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0  # SIGTERM first (Kafka shuts down cleanly), SIGKILL after this


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    pid: int | None  # None: not started by this data_dir (or embedded)
    healthy: bool | None  # None: nothing to check (embedded)


@dataclass(frozen=True)
class StackStatus:
    services: tuple[ServiceStatus, ...]
    started: tuple[str, ...] = ()  # names of the services this call started

    @property
    def healthy(self) -> bool:
        return all(s.healthy is not False for s in self.services)

    def pid(self, name: str) -> int | None:
        return next(s.pid for s in self.services if s.name == name)

    def __str__(self) -> str:
        rows = [("service", "address", "pid", "healthy")]
        for s in self.services:
            health = "embedded" if s.healthy is None else ("yes" if s.healthy else "NO")
            rows.append((s.name, s.address, "-" if s.pid is None else str(s.pid), health))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


# ---------------------------------------------------------------- public API


def up(settings: Settings, only: tuple[str, ...] | None = None) -> StackStatus:
    """Start what is not running, wait until Kafka serves metadata and Redis answers PING.

    `only` names the services a caller needs (`replay` needs Kafka alone)."""
    with _stack_lock(settings):
        chosen = [svc for svc in _services(settings) if only is None or svc.name in only]
        started = [svc.name for svc in chosen if svc.start_if_needed(settings)]
        for svc in chosen:
            svc.wait_healthy(settings)
        return _status(settings, tuple(started))


def down(settings: Settings) -> None:
    """Stop the processes started under this data_dir: SIGTERM, wait, SIGKILL after a deadline."""
    with _stack_lock(settings):
        for svc in reversed(_services(settings)):
            svc.stop(settings)


def status(settings: Settings) -> StackStatus:
    return _status(settings, ())


def ensure_running(settings: Settings, only: tuple[str, ...] | None = None) -> bool:
    """Bring the stack up; True if this call started anything (so the caller stops only that)."""
    return bool(up(settings, only).started)


# ---------------------------------------------------------------- services


@dataclass(frozen=True)
class _Service:
    name: str
    marker: str  # a word in the process's command line, to refuse stale pid files
    address: Callable[[Settings], tuple[str, int]]
    is_healthy: Callable[[str, int], bool]
    launch: Callable[[Settings], subprocess.Popen]
    timeout: float

    def pid_file(self, settings: Settings) -> Path:
        return _dirs(settings)["run"] / f"{self.name}.pid"

    def own_pid(self, settings: Settings) -> int | None:
        """The pid from our pid file if that process is alive and is this service."""
        try:
            pid = int(self.pid_file(settings).read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) and self.marker in _cmdline(pid) else None

    def healthy(self, settings: Settings) -> bool:
        return self.is_healthy(*self.address(settings))

    def start_if_needed(self, settings: Settings) -> bool:
        if self.own_pid(settings) is not None or self.healthy(settings):
            return False
        self.pid_file(settings).unlink(missing_ok=True)
        proc = self.launch(settings)
        self.pid_file(settings).write_text(f"{proc.pid}\n")
        return True

    def wait_healthy(self, settings: Settings) -> None:
        deadline = time.monotonic() + self.timeout
        while not self.healthy(settings):
            pid = _read_pid(self.pid_file(settings))
            if pid is not None and not _alive(pid):
                raise StackError(f"{self.name} exited during start-up; last log lines:\n{_log_tail(settings, self.name)}")
            if time.monotonic() > deadline:
                raise StackError(f"{self.name} not healthy on {_fmt(self.address(settings))} after "
                                 f"{self.timeout:.0f} s; last log lines:\n{_log_tail(settings, self.name)}")
            time.sleep(0.2)  # poll interval, bounded by the deadline above

    def stop(self, settings: Settings) -> None:
        pid = self.own_pid(settings)
        if pid is not None:
            _terminate(pid, STOP_TIMEOUT)
        self.pid_file(settings).unlink(missing_ok=True)

    def status(self, settings: Settings) -> ServiceStatus:
        return ServiceStatus(self.name, _fmt(self.address(settings)), self.own_pid(settings), self.healthy(settings))


def _services(settings: Settings) -> list[_Service]:
    return [
        _Service("kafka", "kafka.Kafka", _kafka_address, _kafka_healthy, _launch_kafka, KAFKA_START_TIMEOUT),
        _Service("redis", "redis-server", _redis_address, _redis_healthy, _launch_redis, REDIS_START_TIMEOUT),
    ]


def _status(settings: Settings, started: tuple[str, ...]) -> StackStatus:
    services = [svc.status(settings) for svc in _services(settings)]
    services.append(ServiceStatus("chdb", settings.analytics_dsn, None, None))
    return StackStatus(tuple(services), started)
