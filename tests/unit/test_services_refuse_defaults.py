"""Every command that serves or publishes refuses the public default secrets outside SAFETYNET_DEV=1."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from safetynet_cli import main as cli

SERVICES = [["worker"], ["notifier", "run"], ["cases", "serve"], ["replies", "run"], ["web"], ["intake"],
            ["analytics", "run"]]


@pytest.mark.parametrize("command", SERVICES, ids=" ".join)
def test_a_service_will_not_start_on_public_defaults(command, monkeypatch, tmp_path):
    monkeypatch.delenv("SAFETYNET_DEV", raising=False)
    monkeypatch.setenv("SAFETYNET_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, command)
    assert result.exit_code != 0
    assert "refusing to start outside development mode" in result.output, result.output
