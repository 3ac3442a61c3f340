"""Start, stop and inspect the local stack: one Kafka (KRaft) JVM and one Redis, as plain processes.

Layout under <data_dir>:   kafka/ (log dirs)   redis/ (AOF)   run/ (pid files, rendered config)   logs/

A service that already answers on its address is reused, whoever started it; `down` stops only the
processes whose pid files live under this data_dir. chDB is embedded in the analytics service, so the
stack only reports its DSN.
"""
from __future__ import annotations

import base64
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from schemas.settings import Settings

KAFKA_VERSION = "3.9.1"
INFRA = Path(__file__).resolve().parent
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


def kafka_home() -> Path:
    default = Path.home() / ".cache" / "safetynet" / f"kafka-{KAFKA_VERSION}"
    return Path(os.environ.get("SAFETYNET_KAFKA_HOME", default)).expanduser()


def fetch_kafka_jars(home: Path | None = None) -> Path:
    """Download the broker's jars with Maven into <home>/lib (once); return that directory."""
    home = home or kafka_home()
    lib = home / "lib"
    if any(lib.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
        return lib
    mvn = _require("mvn", "install Maven (apt-get install maven) and Java 17")
    cmd = [mvn, "-q", "-B", "-f", str(INFRA / "kafka" / "pom.xml"), "dependency:copy-dependencies",
           f"-Dkafka.home={home}", f"-Dkafka.version={KAFKA_VERSION}"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0 or not any(lib.glob("kafka_2.13-*.jar")):
        raise StackError(f"fetching Kafka jars failed ({' '.join(cmd)}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return lib


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


# ---------------------------------------------------------------- kafka


def _kafka_address(settings: Settings) -> tuple[str, int]:
    host, _, port = settings.kafka_bootstrap.split(",")[0].strip().rpartition(":")
    return host or "127.0.0.1", int(port)


def _kafka_healthy(host: str, port: int) -> bool:
    """A Metadata v1 request (no topics) answered with at least one registered broker."""
    client_id = b"safetynet-stack"
    body = struct.pack(">hhih", 3, 1, 7, len(client_id)) + client_id + struct.pack(">i", 0)
    try:
        with socket.create_connection((host, port), timeout=2.0) as sock:
            sock.settimeout(2.0)
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = _recv_exact(sock, 12)  # size, correlation id, broker count
    except OSError:
        return False
    _, correlation_id, brokers = struct.unpack(">iii", header)
    return correlation_id == 7 and brokers >= 1


def _launch_kafka(settings: Settings) -> subprocess.Popen:
    java = _require("java", "install Java 17 (apt-get install openjdk-17-jre-headless)")
    lib = fetch_kafka_jars()
    props = _render_kafka_properties(settings)
    jvm = [java, "-Xmx768m", "-Xms256m", "-Djava.awt.headless=true",
           f"-Dlog4j.configuration=file:{INFRA / 'kafka' / 'log4j.properties'}",
           f"-Dkafka.logs.dir={_dirs(settings)['logs']}", "-cp", f"{lib}/*"]
    _format_storage(settings, jvm, props)
    return _spawn(settings, "kafka", [*jvm, "kafka.Kafka", str(props)])


def _render_kafka_properties(settings: Settings) -> Path:
    host, port = _kafka_address(settings)
    template = Template((INFRA / "kafka" / "server.properties").read_text(encoding="utf-8"))
    text = template.substitute(host=host, port=port, controller_port=port + 1,
                               log_dirs=_dirs(settings)["kafka"])
    path = _dirs(settings)["run"] / "kafka.properties"
    path.write_text(text, encoding="utf-8")
    return path


def _format_storage(settings: Settings, jvm: list[str], props: Path) -> None:
    """KRaft needs formatted log dirs; done once per data_dir (a restart keeps its cluster id)."""
    if (_dirs(settings)["kafka"] / "meta.properties").exists():
        return
    cmd = [*jvm, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props), "--ignore-formatted"]
    result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise StackError(f"formatting Kafka storage failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def _cluster_id() -> str:
    """A base64url UUID like `kafka-storage random-uuid`; one starting with '-' reads as an option."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


# ---------------------------------------------------------------- redis


def _redis_address(settings: Settings) -> tuple[str, int]:
    url = urlsplit(settings.redis_url)
    return url.hostname or "127.0.0.1", url.port or 6379


def _redis_healthy(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.settimeout(1.0)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _launch_redis(settings: Settings) -> subprocess.Popen:
    redis = _require("redis-server", "install it with `apt-get install redis-server`")
    host, port = _redis_address(settings)
    cmd = [redis, str(INFRA / "redis" / "redis.conf"), "--bind", host, "--port", str(port),
           "--dir", str(_dirs(settings)["redis"])]
    return _spawn(settings, "redis", cmd)


# ---------------------------------------------------------------- processes and files


def _dirs(settings: Settings) -> dict[str, Path]:
    root = settings.data_dir.resolve()
    return {name: root / name for name in ("kafka", "redis", "run", "logs")}


def _spawn(settings: Settings, name: str, cmd: list[str]) -> subprocess.Popen:
    """Detached from our session and terminal: it outlives the `safetynet stack up` that started it."""
    with open(_dirs(settings)["logs"] / f"{name}.log", "ab") as log:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=settings.data_dir.resolve())


def _terminate(pid: int, timeout: float) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)  # the service leads its own process group (start_new_session)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while _alive(pid):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        else:
            return
    raise StackError(f"process {pid} survived SIGKILL")


def _alive(pid: int) -> bool:
    """True for a running process; reaps it (and says False) if it is our exited child."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: the usual case after `safetynet stack up` exited
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _log_tail(settings: Settings, name: str, lines: int = 30) -> str:
    path = _dirs(settings)["logs"] / f"{name}.log"
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextmanager
def _stack_lock(settings: Settings) -> Iterator[None]:
    """Two `up`s at once (two terminals, parallel test sessions) must not start two brokers."""
    for path in _dirs(settings).values():
        path.mkdir(parents=True, exist_ok=True)
    with open(_dirs(settings)["run"] / "stack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _require(program: str, hint: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise StackError(f"{program} not found on PATH: {hint}")
    return path


def _fmt(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


class StackError(RuntimeError):
    """The stack could not be started or stopped; the message says why and what to do."""
