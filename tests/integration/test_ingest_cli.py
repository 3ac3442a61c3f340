"""`safetynet ingest` end to end: summary table, dead-letter report, exit status."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from producers.simulate import simulate
from safetynet_cli import main


def config_file(settings, tmp_path: Path) -> Path:
    path = tmp_path / "safetynet.yaml"
    path.write_text(yaml.safe_dump({"topic_prefix": settings.topic_prefix, "data_dir": str(tmp_path / "data"),
                                    "kafka_bootstrap": settings.kafka_bootstrap}), encoding="utf-8")
    return path


def test_ingest_prints_a_summary_and_no_pii(settings, tmp_path):
    simulate(tmp_path / "city", scale=0.003, seed=8)
    medical = tmp_path / "city" / "medical.csv"
    lines = medical.read_text(encoding="gb18030").splitlines()
    first = lines[1].split(",")
    bad_id = first[1][:17] + ("0" if first[1][17] != "0" else "1")
    lines.append(",".join(["JSBAD", bad_id, "欧阳无名", *first[3:]]))
    medical.write_text("\n".join(lines) + "\n", encoding="gb18030")

    result = CliRunner().invoke(main, ["ingest", "medical", str(medical), "--config", str(config_file(settings, tmp_path))])

    assert result.exit_code == 0, result.output
    assert re.search(rf"rows read\s+{len(lines) - 1:,}\n", result.output)
    assert re.search(r"dead-lettered\s+1\n", result.output)
    assert "check digit mismatch" in result.output
    assert bad_id not in result.output and "欧阳无名" not in result.output and first[1] not in result.output
    report = next((tmp_path / "data" / "dead-letters").glob("medical-*.jsonl")).read_text(encoding="utf-8")
    assert '"line":' in report and bad_id not in report and "欧阳无名" not in report


def test_exit_status_is_non_zero_only_when_nothing_could_be_read(settings, tmp_path):
    cfg = str(config_file(settings, tmp_path))
    broken = tmp_path / "broken.csv"
    broken.write_text("结算单号,身份证号\nJS1,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", "medical", str(broken), str(tmp_path / "missing.csv"), "--config", cfg])
    assert result.exit_code == 1
    assert "missing required columns" in result.output and "cannot read file" in result.output

    simulate(tmp_path / "city", scale=0.002, seed=8)
    result = CliRunner().invoke(main, ["ingest", "medical", str(broken), str(tmp_path / "city" / "medical.csv"),
                                       "--config", cfg])
    assert result.exit_code == 0
