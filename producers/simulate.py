"""A synthetic city: a year of department exports, with planted cases for every rule.

scale 1.0 ≈ 130,000 monitored people in ≈ 55,000 households, plus ≈ 100,000 residents who are
not on the roster. Background activity is random but seeded; planted cases (planted.py) and
their near misses are listed in `planted.jsonl`. Re-exported duplicate rows and medical
reversals are part of the background.

Files: roster.csv and property.csv (UTF-8 with BOM), medical.csv, disaster.csv and hukou.csv
(GB18030), the rest UTF-8. Background rates of the registries (version 2) are in registries.py.
"""
from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from producers.city import BASES, ENCODINGS, HEADERS, City, Person, household
from producers.planted import PLANTS
from producers.registries import registries

PHASES = 9  # background's 7 steps, the planted cases, the files: simulate's progress counts them


def background(city: City, scale: float, phase: Callable[[int], None] = lambda _: None) -> None:
    """Random but realistic activity for the monitored population and other residents."""
    households = monitored(city, int(55_000 * scale))
    residents = [city.person(0, 90) for _ in range(int(100_000 * scale))]
    everyone = [p for hh in households for p in hh] + residents
    phase(1)
    roster_changes(city, households)
    phase(2)
    for person in everyone:
        claims(city, person)
    phase(3)
    certificates_and_registrations(city, everyone)
    phase(4)
    deaths(city, households, residents)
    phase(5)
    school_and_disasters(city, households)
    phase(6)
    registries(city, households, residents)
    phase(7)


def monitored(city: City, n: int) -> list[list[Person]]:
    """Households on the roster since before the year began; most live under the line."""
    rnd, before = city.rnd, city.start - timedelta(days=1)
    households = []
    for _ in range(n):
        basis = rnd.choice(BASES)
        grade = str(rnd.randrange(1, 5)) if "残疾" in basis else ""
        per_head = rnd.randrange(150_000, 900_000) if rnd.random() < 0.92 else rnd.randrange(1_000_000, 1_600_000)
        size = rnd.choices((1, 2, 3, 4, 5), (25, 30, 25, 13, 7))[0]
        households.append(household(city, size, per_head, before - timedelta(days=rnd.randrange(700)),
                                    basis=basis, grade=grade))
    return households


def roster_changes(city: City, households: list[list[Person]]) -> None:
    """5 % leave the roster during the year, 5 % have their income re-assessed."""
    rnd = city.rnd
    for hh in households:
        roll, on = rnd.random(), city.day(rnd.randrange(city.days))
        if roll < 0.05:
            for m in hh:
                city.roster(m, m.household, "户主" if m is hh[0] else "配偶", len(hh), 1_200_000 * len(hh), on, "退出")
        elif roll < 0.10:
            city.roster(hh[0], hh[0].household, "户主", len(hh), rnd.randrange(150_000, 1_100_000) * len(hh), on)


def claims(city: City, person: Person) -> None:
    """0-5 settlements a year; 8 % inpatient; 1 % reversed later."""
    rnd = city.rnd
    for _ in range(rnd.choices((0, 1, 2, 3, 5), (40, 25, 15, 12, 8))[0]):
        inpatient = rnd.random() < 0.08
        oop = rnd.randrange(200_000, 1_500_000) if inpatient else rnd.randrange(1_000, 80_000)
        on = city.day(rnd.randrange(city.days))
        reversal = max(on, city.day(rnd.randrange(city.days))) if rnd.random() < 0.01 else None
        city.medical(person, on, oop, "住院" if inpatient else rnd.choice(("门诊", "门特")), reversal)


def certificates_and_registrations(city: City, everyone: list[Person]) -> None:
    rnd = city.rnd
    for p in rnd.sample(everyone, int(len(everyone) * 0.02)):
        city.certificate(p, city.day(rnd.randrange(city.days)), rnd.choices((1, 2, 3, 4), (5, 15, 35, 45))[0],
                         rnd.choice(("新办", "新办", "换领")))
    for p in rnd.sample(everyone, int(len(everyone) * 0.01)):
        city.employment(p, city.day(rnd.randrange(city.days)), rnd.choice(("失业登记", "就业登记")))


def deaths(city: City, households: list[list[Person]], residents: list[Person]) -> None:
    """0.6 % of residents die; so do a few recipients, struck off the roster only weeks later.

    Most deaths also reach the household register (死亡注销) days or weeks after the funeral.
    """
    rnd = city.rnd
    for p in rnd.sample(residents, int(len(residents) * 0.006)):
        died = city.day(rnd.randrange(city.days))
        city.funeral(p, died)
        if rnd.random() < 0.85:
            city.hukou(p, died + timedelta(days=rnd.randrange(3, 45)), "死亡注销")
    for hh in rnd.sample(households, int(len(households) * 0.002)):
        died = city.day(rnd.randrange(city.days))
        city.funeral(hh[0], died)
        if rnd.random() < 0.8:
            city.hukou(hh[0], died + timedelta(days=rnd.randrange(3, 45)), "死亡注销")
        city.roster(hh[0], hh[0].household, "户主", len(hh), 300_000 * len(hh), died + timedelta(days=40), "退出")


def school_and_disasters(city: City, households: list[list[Person]]) -> None:
    rnd = city.rnd
    for hh in households:
        for child in (m for m in hh[1:] if 6 <= (city.start - m.born).days // 365 <= 22 and rnd.random() < 0.5):
            city.education(child, hh[0], city.start.year, rnd.randrange(0, 500_000), rnd.randrange(0, 150_000),
                           rnd.randrange(0, 200_000) if rnd.random() < 0.7 else 0)
    for hh in rnd.sample(households, int(len(households) * 0.005)):
        loss = rnd.randrange(10_000, 800_000) if rnd.random() < 0.9 else rnd.randrange(1_000_000, 5_000_000)
        city.disaster(hh[0], city.day(rnd.randrange(city.days)), loss)


# --- the city, written out ---------------------------------------------------------------------

def build(scale: float, seed: int, start: date, days: int, copies: int | None = None,
          phase: Callable[[int], None] = lambda _: None) -> City:
    """Background activity plus `copies` of every planted case (default grows with scale)."""
    city = City(start=start, days=max(1, days), rnd=random.Random(seed))
    background(city, scale, phase)
    for _ in range(copies if copies is not None else max(1, round(10 * scale))):
        for plant in PLANTS:
            plant(city)
    re_export(city, 0.01)
    phase(8)
    return city


def re_export(city: City, share: float) -> None:
    """Departments re-export: a share of rows appears twice."""
    for rows in city.rows.values():
        rows.extend(city.rnd.sample(rows, int(len(rows) * share)))


def write(city: City, out: Path) -> dict[str, int]:
    """One CSV per feed (row order is free: rules run on event time); returns rows written per feed."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for feed, rows in city.rows.items():
        with (out / f"{feed}.csv").open("w", encoding=ENCODINGS.get(feed, "utf-8"), newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(HEADERS[feed])
            writer.writerows(rows)
        counts[feed] = len(rows)
    with (out / "planted.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in city.planted)
    return counts


def simulate(out: Path, scale: float = 1.0, seed: int = 1, start: date = date(2025, 1, 1), days: int = 365,
             phase: Callable[[int], None] = lambda _: None) -> dict[str, int]:
    """Write the city; `phase(n)` is called as each of the PHASES steps completes (for progress)."""
    counts = write(build(scale, seed, start, days, phase=phase), out)
    phase(PHASES)
    return counts
