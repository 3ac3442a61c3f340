"""Figures of the step functions alone, in one process (no Kafka): `bench --direct-only`, and part of `bench`.

replay_direct_1m_s          `replay --direct` of a simulated city, scaled to a million rows
changelog_bytes_per_event   median bytes of table values written per event (what the changelogs carry)
history_cost_ratio          step events/s for members with 300 records of history over those with 10
"""
from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from schemas.envelope import Envelope
from schemas.settings import Settings
from tools.replay import files_by_feed

TARGETS = {"replay_direct_1m_s": "<= 60 s", "changelog_bytes_per_event": "<= 1,000", "history_cost_ratio": ">= 0.8"}


def direct_figures(directory: Path, settings: Settings) -> dict:
    """The step functions alone, in this process: replay --direct, state bytes per event, history cost."""
    from tools.replay import replay_direct

    result = replay_direct(directory, settings)
    figures = {"replay_direct_rows": result.rows_read, "replay_direct_s": result.seconds["total"],
               "replay_direct_1m_s": result.seconds["total"] * 1_000_000 / max(result.rows_read, 1)}
    figures["changelog_bytes_per_event"] = state_bytes_per_event(directory, settings)
    short, long = step_rate(history=10), step_rate(history=300)
    figures["history_cost_ratio"] = long / short
    figures["step_eps_history_10"], figures["step_eps_history_300"] = short, long
    return figures


def state_bytes_per_event(directory: Path, settings: Settings, sample: int = 50_000) -> float:
    """Median bytes of table values written per event (the person's state, and each household state
    its deltas changed): what the changelogs carry."""
    from producers.identity import Pseudonymizer
    from producers.reader import read_feed
    from streams.config import load_rules
    from streams.direct import DirectPipeline
    from tools.replay import UNBOUNDED_LATENESS
    from streams.state import dumps

    keys, now = Pseudonymizer(settings.pseudonym_secret.get_secret_value()), datetime.now(timezone.utc)
    pipeline, sizes = DirectPipeline.of(load_rules(settings.rules_file), UNBOUNDED_LATENESS), []
    events = (e for feed, paths in files_by_feed(directory).items() for path in paths
              for e in read_feed(path, feed, keys, now) if type(e) is Envelope)
    for n, event in enumerate(events):
        if n >= sample:
            break
        person = pipeline.people.get(event.person_key)
        households = {h: pipeline.households.get(h) for h in (person.households if person else ())}
        pipeline.put(event)
        after = pipeline.people[event.person_key]
        households.update({h: None for h in after.households if h not in households})
        written = len(dumps(after)) if after is not person else 0
        written += sum(len(dumps(pipeline.households[h])) for h, state in households.items()
                       if pipeline.households.get(h) is not state)
        sizes.append(written)
    return statistics.median(sizes) if sizes else 0.0


def step_rate(history: int, people: int = 100, new_events: int = 20) -> float:
    """Events/s of the step functions (both stages) for members who already have `history` claims."""
    from streams.config import RulesConfig
    from streams.direct import DirectPipeline

    pipeline = DirectPipeline.of(RulesConfig(), 730)
    start = date(2024, 1, 1).toordinal()
    for p in range(people):
        pipeline.put(roster_event(p, start))
        for n in range(history):
            pipeline.put(claim_event(p, start + n * 300 // history, n))
    began = time.perf_counter()
    for n in range(history, history + new_events):
        for p in range(people):
            pipeline.put(claim_event(p, start + 300 + n - history, n))
    return people * new_events / (time.perf_counter() - began)


def bench_envelope(p: int, day: int, source_key: str, payload) -> Envelope:
    person = hashlib.sha256(f"bench-person-{p}".encode()).hexdigest()
    return Envelope(event_id=hashlib.sha256(f"{payload.kind}|{source_key}".encode()).hexdigest()[:32],
                    feed=payload.kind, source_key=source_key, event_time=date.fromordinal(day),
                    ingested_at=datetime.now(timezone.utc), person_key=person, masked_id=f"340403********{p % 1000:03d}1",
                    payload=payload)


def roster_event(p: int, day: int) -> Envelope:
    from schemas.envelope import RosterChange

    payload = RosterChange(household_id=f"BH{p // 3}", township_code="340403001", category="低保", status="在保",
                           household_size=3, household_income_fen=10_000_000, monthly_benefit_fen=80_000,
                           basis_disability=False)
    return bench_envelope(p, day, f"R{p}|{day}", payload)


def claim_event(p: int, day: int, n: int) -> Envelope:
    from schemas.envelope import MedicalClaim

    payload = MedicalClaim(settlement_id=f"B{p}-{n}", visit_type="门诊", total_fen=2000, fund_fen=1000, out_of_pocket_fen=1000)
    return bench_envelope(p, day, f"B{p}-{n}|+", payload)


def direct_rows(figures: dict) -> list[tuple]:
    return [("replay_direct_1m_s", f"{figures['replay_direct_1m_s']:.1f}",
             f"{TARGETS['replay_direct_1m_s']}; measured {figures['replay_direct_s']:.1f} s for {figures['replay_direct_rows']} rows"),
            ("changelog_bytes_per_event", round(figures["changelog_bytes_per_event"]), TARGETS["changelog_bytes_per_event"]),
            ("history_cost_ratio", f"{figures['history_cost_ratio']:.2f}",
             f"{TARGETS['history_cost_ratio']}; step functions {figures['step_eps_history_10']:.0f}/s at 10 records, "
             f"{figures['step_eps_history_300']:.0f}/s at 300")]


def main_direct(settings: Settings, replay_events: int, json_out: Path | None) -> dict:
    """Only the figures of the step functions in this process (no Kafka): `bench --direct-only`."""
    from tools.bench import city

    with tempfile.TemporaryDirectory() as work:
        figures = direct_figures(city(Path(work) / "replay", replay_events, seed=5), settings)
    width = max(len(r[0]) for r in direct_rows(figures))
    print("\n".join(f"{name:<{width}}  {str(value):>12}  {note}" for name, value, note in direct_rows(figures)))
    if json_out:
        json_out.write_text(json.dumps(figures, indent=2))
    return figures
