"""Outside development mode every service refuses the public defaults, naming the settings (issue 12)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

SERVICES = [["intake", "--port", "1"], ["web", "--port", "1"], ["cases", "serve", "--port", "1"], ["notifier", "run"],
            ["analytics", "run"], ["worker"], ["ingest", "medical", "missing.csv"], ["replay", "."], ["demo", "--exit"]]


@pytest.mark.parametrize("args", SERVICES, ids=lambda a: " ".join(a[:2]))
def test_a_service_will_not_start_on_public_defaults(args, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYNET_")}
    env["SAFETYNET_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "safetynet_cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    for name in ("SAFETYNET_PSEUDONYM_SECRET", "SAFETYNET_TOKEN_SECRET", "SAFETYNET_VAULT_KEY", "SAFETYNET_USERS_FILE"):
        assert name in done.stderr, done.stderr[-2000:]


def test_a_typo_stops_any_command(tmp_path):
    env = {**os.environ, "SAFETYNET_REDIS_ULR": "redis://elsewhere:6379/0"}
    done = subprocess.run([sys.executable, "-m", "safetynet_cli", "stack", "status"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "SAFETYNET_REDIS_ULR (did you mean SAFETYNET_REDIS_URL?)" in done.stderr
