"""`safetynet replay` on a city generated from the contract alone, against the oracle (also from the contract).

Neither the files (tests/contract_city.py) nor the expected alerts (tests/oracle.py) come from the
pipeline's code, so this is the check on data nobody fitted the pipeline to: recall 1.0 and
precision >= 0.99 on (subject, rule), and every planted trap right.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.contract_city import write_city
from tests.oracle import expected_alerts

REPO = Path(__file__).resolve().parents[2]
SEED, HOUSEHOLDS = 7, 900


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("contract-city")
    write_city(out, seed=SEED, households=HOUSEHOLDS)
    return out


def describe(alert: dict) -> str:
    evidence = ", ".join(" ".join(str(e[k]) for k in ("feed", "event_time", "key", "figure") if e.get(k) is not None)
                         for e in alert.get("evidence", [])[:6])  # the oracle's and the pipeline's shapes differ
    return (f"{alert['rule']:<22} {alert['subject']} {alert['event_time']} {alert['severity']:<8} "
            f"household={alert.get('household_id')} [{evidence}]")


def report(missed: set, extra: set, expected: list[dict], got: list[dict]) -> str:
    lines = [f"{len(missed)} missed (in the oracle, not raised), {len(extra)} extra (raised, not in the oracle)"]
    for title, pairs, source in (("MISSED", missed, expected), ("EXTRA", extra, got)):
        for subject, rule in sorted(pairs, key=lambda p: (p[1], p[0])):
            for alert in source:
                if (alert["subject"], alert["rule"]) == (subject, rule):
                    lines.append(f"  {title:<6} {describe(alert)}")
    return "\n".join(lines)


def event_report(expected: list[dict], got: list[dict]) -> str:
    """Not asserted: alerts that differ in event time or severity (a re-crossing of the same person, say)."""
    key = lambda a: (a["subject"], a["rule"], a["event_time"], a["severity"])  # noqa: E731
    want, have = Counter(map(key, expected)), Counter(map(key, got))
    lines = [f"event level: {sum((want - have).values())} only in the oracle, {sum((have - want).values())} only raised"]
    lines += [f"  ORACLE {' '.join(k)}" for k in sorted(want - have, key=lambda k: (k[1], k[0], k[2]))]
    lines += [f"  RAISED {' '.join(k)}" for k in sorted(have - want, key=lambda k: (k[1], k[0], k[2]))]
    return "\n".join(lines)


@pytest.mark.timeout(1800)  # ~26,000 rows: 2-4 minutes on a 2-core machine
def test_replay_of_a_contract_city_agrees_with_the_oracle(city, stack, tmp_path):
    out = tmp_path / "alerts.jsonl"
    run = subprocess.run([sys.executable, "-m", "safetynet_cli", "replay", str(city), "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=3000)
    assert run.returncode == 0, run.stderr[-4000:]
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = expected_alerts(city)
    want, have = {(a["subject"], a["rule"]) for a in expected}, {(a["subject"], a["rule"]) for a in got}
    missed, extra = want - have, have - want
    recall = 1 - len(missed) / len(want)
    precision = 1 - len(extra) / max(len(have), 1)
    traps = [json.loads(line) for line in (city / "traps.jsonl").read_text(encoding="utf-8").splitlines()]
    wrong = [t for t in traps if ((t["subject"], t["rule"]) in have) != t["fires"]]
    per_rule = {rule: f"{n}/{Counter(r for _, r in have)[rule]}" for rule, n in sorted(Counter(r for _, r in want).items())}
    text = "\n".join([
        f"contract city seed {SEED}: {len(want)} expected pairs, {len(have)} raised; "
        f"recall {recall:.4f}, precision {precision:.4f}; {len(wrong)} of {len(traps)} traps wrong",
        f"per rule (expected/raised): {per_rule}",
        *(f"  TRAP WRONG {t['rule']:<22} {t['subject']} fires={t['fires']}: {t['why']}" for t in wrong),
        report(missed, extra, expected, got), event_report(expected, got)])
    print("\n" + text)
    (REPO / ".data").mkdir(exist_ok=True)
    (REPO / ".data" / "contract-city-report.txt").write_text(text, encoding="utf-8")  # the full list, kept after the run
    assert recall == 1.0 and precision >= 0.99 and not wrong, text[:20000]


def test_the_oracle_gets_every_trap_right(city):
    """The traps' outcomes follow from the contract's words; the oracle must agree with each one."""
    pairs = {(a["subject"], a["rule"]) for a in expected_alerts(city)}
    traps = [json.loads(line) for line in (city / "traps.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {t["rule"] for t in traps} == {
        "medical_burden", "expenditure_hardship", "new_severe_disability", "education_burden", "income_shock",
        "deceased_recipient", "disability_mismatch", "rural_unassisted", "moved_away", "incarcerated",
        "vehicle_owner", "property_holder", "business_owner"}
    assert [t for t in traps if ((t["subject"], t["rule"]) in pairs) != t["fires"]] == []
