"""`safetynet replay` on a machine where nothing runs: it starts its own Kafka and still finishes.

A just-formatted broker takes a moment before it coordinates consumer groups; replay must wait for
that instead of failing. This test uses its own data dir and ports, and stops what replay started.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.slow.test_contract_files import make_exports

REPO = Path(__file__).resolve().parents[2]


def free_port_pair() -> int:
    """A port whose successor is free too (the KRaft controller listens on port + 1)."""
    while True:
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                    return port
                except OSError:
                    continue


def test_replay_starts_a_cold_broker_and_finishes(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    make_exports(exports)
    env = {**os.environ, "SAFETYNET_DATA_DIR": str(tmp_path / "data"),
           "SAFETYNET_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port_pair()}",
           "SAFETYNET_REDIS_URL": f"redis://127.0.0.1:{free_port_pair()}/0"}
    try:
        run = subprocess.run([sys.executable, "-m", "safetynet_cli", "replay", str(exports), "--out", str(tmp_path / "a.jsonl")],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "started the local Kafka" in run.stderr
        alerts = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
        assert len({a["rule"] for a in alerts}) == 7
    finally:
        subprocess.run([sys.executable, "-m", "safetynet_cli", "stack", "down"], cwd=REPO, env=env, capture_output=True)
