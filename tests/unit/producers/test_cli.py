"""`safetynet simulate` writes a city; `safetynet ingest --help` loads without a broker."""
from __future__ import annotations

from click.testing import CliRunner

from safetynet_cli import main
from schemas.envelope import FEEDS


def test_simulate_writes_every_feed(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path), "--scale", "0.002", "--seed", "4",
                                       "--start", "2025-01-01", "--days", "365"])
    assert result.exit_code == 0, result.output
    for feed in FEEDS:
        assert (tmp_path / f"{feed}.csv").stat().st_size > 0
        assert feed in result.output


def test_ingest_help():
    result = CliRunner().invoke(main, ["ingest", "--help"])
    assert result.exit_code == 0 and "FEED" in result.output
