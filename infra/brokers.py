"""The two brokers the stack runs: how to find, check and launch Kafka (KRaft) and Redis."""
from __future__ import annotations

import base64
import os
import socket
import struct
import subprocess
import uuid
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from infra.processes import StackError, _dirs, _require, _spawn
from schemas.settings import Settings

KAFKA_VERSION = "3.9.1"
INFRA = Path(__file__).resolve().parent


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



def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data
