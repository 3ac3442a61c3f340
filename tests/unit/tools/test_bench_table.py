"""`safetynet bench`'s table: every figure of issue 13, with its target and the machine."""
from __future__ import annotations

from tools.bench import TARGETS, machine, table

FIGURES = {
    "events": 1000, "raw_consume_eps": 90000.0, "faust_fold_eps": 2000.0, "pipeline_eps": 1100.0,
    "pipeline_to_fold": 0.55, "pipeline_to_raw": 0.0122, "pipeline_eps_1_partition": 1000.0,
    "pipeline_eps_2_workers": 1500.0, "two_worker_speedup": 1.5, "latency_samples": 10000, "p50_ms": 20.0,
    "p99_ms": 80.0, "replay_rows": 100000, "replay_s": 50.0, "replay_1m_s": 500.0, "replay_s_1_worker": 70.0,
    "replay_1m_s_1_worker": 700.0, "tracked_people": 500, "rss_bytes_per_person": 900.0, "ingest_rows": 1000,
    "ingest_rows_per_s": 40000, "ingest_one_process_rows_per_s": 30000, "replay_direct_rows": 100000,
    "replay_direct_s": 5.0, "replay_direct_1m_s": 50.0, "changelog_bytes_per_event": 600.0,
    "history_cost_ratio": 0.9, "step_eps_history_10": 10000.0, "step_eps_history_300": 9000.0,
    "machine": {"cores": 2, "ram_gib": 23.5, "load_average": 1.0, "at": "2026-12-03T12:00:00+00:00"},
    "load_average_end": 1.5,
}


def test_every_target_of_the_issue_is_a_row_with_its_target():
    printed = table(FIGURES)
    figures = {line.split()[0]: line for line in printed.splitlines()}
    assert set(TARGETS) <= set(figures)
    for key, target in TARGETS.items():
        assert target.split(";")[0] in figures[key], key
    assert "1.50" in figures["two_worker_speedup"] and "1,500/s on 2 partitions over 1,000/s on 1" in printed


def test_the_table_names_the_machine():
    assert printed_machine(table(FIGURES)) == "machine: 2 cores, 23.5 GiB RAM, load 1.0 at start (1.5 at end), 2026-12-03T12:00:00+00:00"
    found = machine()
    assert found["cores"] >= 1 and found["ram_gib"] > 0


def printed_machine(printed: str) -> str:
    return printed.splitlines()[-1]
