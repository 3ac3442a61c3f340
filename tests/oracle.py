"""Batch oracle: the alerts a directory of department files must raise, computed the slow, plain way.

Written from the contract alone (`feeds.md` version 2, section 3), with `streams/RULES.md` only for
choices the contract leaves open; it imports nothing from `producers/`, `streams/` or `consumers/`.
The end-to-end tests compare the streaming pipeline's standing alert set with this one.

The reading of the household rules (`expenditure_hardship`, `property_holder`) is the crossing:
records are totally ordered by (event date, feed, natural key); at a tipping record r on day d,
with H the household of r's person on d and members the people whose household on d is H, the
rule fires when `across(H, d, records before r)` is false and `across(H, d, records up to r)` is
true. The result is a function of the whole data, never of arrival order.

Where the contract leaves a choice, the choice made here is a comment marked `Reading:`.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from tests.oracle_read import (  # noqa: F401  (re-exported: the unit tests and other tests use them)
    FEEDS, id_check_char, load, mask, normalise_id, parse_date, parse_grade, parse_money,
)

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
KINDS = {
    "medical_burden": "risk", "expenditure_hardship": "risk", "new_severe_disability": "risk",
    "education_burden": "risk", "income_shock": "risk", "deceased_recipient": "audit",
    "disability_mismatch": "audit", "rural_unassisted": "risk", "moved_away": "audit", "incarcerated": "audit",
    "vehicle_owner": "audit", "property_holder": "audit", "business_owner": "audit",
}
# Reading: the contract gives no severities for the version-2 rules; each has one fixed severity,
# so their cooldown is a plain 90 days.
FIXED_SEVERITY = {"rural_unassisted": "high", "moved_away": "medium", "incarcerated": "high",
                  "vehicle_owner": "medium", "property_holder": "medium", "business_owner": "medium"}
NON_RESIDENTIAL = ("商业", "办公", "工业")


# ---------------------------------------------------------------- thresholds, per county


@dataclass(frozen=True)
class Thresholds:
    """Every configurable figure, in yuan, units and days, with the contract's defaults."""

    medical_burden: Decimal = Decimal("30000")  # 365-day 个人自付
    dibao_monthly: Decimal = Decimal("800")  # per person per month; the yearly line is 12 x this
    education_burden: Decimal = Decimal("8000")  # net yearly cost
    disaster_loss: Decimal = Decimal("10000")
    vehicle_price: Decimal = Decimal("50000")  # 购置价格
    business_capital: Decimal = Decimal("100000")  # a 个体工商户's 注册资本
    residential_units: int = 2  # 住宅 units held by a household's members
    vehicle_types_firing: tuple[str, ...] = ("小型轿车", "小型越野车", "中型客车")
    window_days: int = 365
    cooldown_days: int = 90

    def fen(self, name: str) -> int:
        return int(Decimal(str(getattr(self, name))) * 100)

    @property
    def yearly_line_fen(self) -> int:
        return self.fen("dibao_monthly") * 12


# rules.yaml's names (streams/rules.yaml, the configuration interface) -> the names above
YAML_NAMES = {
    "dibao_monthly_standard": "dibao_monthly", "medical_burden_threshold": "medical_burden",
    "education_burden_threshold": "education_burden", "disaster_loss_threshold": "disaster_loss",
    "vehicle_price_threshold": "vehicle_price", "business_capital_threshold": "business_capital",
    "residential_units_threshold": "residential_units",
}


@dataclass(frozen=True)
class Config:
    """Default thresholds and the counties (6-digit codes) that override some of them."""

    defaults: Thresholds = field(default_factory=Thresholds)
    counties: Mapping[str, Thresholds] = field(default_factory=dict)

    def at(self, township: str | None) -> Thresholds:
        """Reading: a rule uses the county of the township its alert carries."""
        return self.counties.get((township or "")[:6], self.defaults)


def _updated(start: Thresholds, values: Mapping[str, Any]) -> Thresholds:
    known = {f.name for f in fields(Thresholds)}
    changes = {}
    for name, value in values.items():
        name = YAML_NAMES.get(name, name)
        if name not in known:
            raise TypeError(f"unknown threshold {name!r}; known: {sorted(known)}")
        if name in ("window_days", "cooldown_days", "residential_units"):
            changes[name] = int(value)
        elif name == "vehicle_types_firing":
            changes[name] = tuple(value)
        else:
            changes[name] = Decimal(str(value))
    return Thresholds(**{**{f.name: getattr(start, f.name) for f in fields(Thresholds)}, **changes})


def thresholds_from(overrides: Config | Thresholds | Mapping[str, Any] | None) -> Config:
    """None, Thresholds, Config, a flat mapping (optionally with `counties`) or rules.yaml's shape."""
    if overrides is None:
        return Config()
    if isinstance(overrides, Config):
        return overrides
    if isinstance(overrides, Thresholds):
        return Config(overrides)
    flat = dict(overrides)
    counties = flat.pop("counties", None) or {}
    nested = flat.pop("defaults", None) or {}
    defaults = _updated(Thresholds(), {**nested, **flat})
    return Config(defaults, {str(code): _updated(defaults, values or {}) for code, values in counties.items()})


def thresholds_from_yaml(path: Path) -> Config:
    """A rules file of rules.yaml's shape (`defaults:` and `counties:`) as the oracle's Config."""
    import yaml

    return thresholds_from(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


# ---------------------------------------------------------------- the roster, as of a date


def order(record: dict) -> tuple:
    """The total order of records: event date, feed name (as text), natural key."""
    return (record["day"], record["feed"], record["key"])


class Roster:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows_by_person: dict[str, list[dict]] = defaultdict(list)
        self.rows_by_household: dict[str, list[dict]] = defaultdict(list)
        for row in sorted(rows, key=order):
            self.rows_by_person[row["person"]].append(row)
            self.rows_by_household[row["household"]].append(row)

    def row_on(self, person: str, day: date) -> dict | None:
        """The person's latest row dated on or before `day` (ties: larger natural key)."""
        latest = None
        for row in self.rows_by_person.get(person, []):
            if row["day"] <= day:
                latest = row
        return latest

    def active_on(self, person: str, day: date) -> bool:
        row = self.row_on(person, day)
        return row is not None and row["active"]

    def household_on(self, person: str, day: date) -> str | None:
        row = self.row_on(person, day)
        return row["household"] if row else None

    def members_on(self, household: str, day: date) -> list[str]:
        """People whose household on `day` is this one, whatever their status."""
        people = sorted({row["person"] for row in self.rows_by_household.get(household, [])})
        return [person for person in people if self.household_on(person, day) == household]

    def household_active_on(self, household: str, day: date) -> bool:
        return any(self.active_on(person, day) for person in self.members_on(household, day))

    def household_row_on(self, household: str, day: date) -> dict | None:
        """The household's latest row dated on or before `day`, of any member (ties: larger natural key)."""
        latest = None
        for row in self.rows_by_household.get(household, []):
            if row["day"] <= day:
                latest = row
        return latest


# ---------------------------------------------------------------- alerts and their evidence


def in_window(day: date, end: date, days: int) -> bool:
    """The window of `days` days ending on `end`: event dates in (end - days, end]."""
    return end - timedelta(days=days) < day <= end


def yuan(fen: int) -> float:
    return float(Decimal(fen) / 100)


def cite(record: dict, figure: int | None = None) -> dict[str, Any]:
    """One evidence entry; ID numbers masked; plates, unit numbers and credit codes replaced by a digest."""
    key = re.sub(r"\d{17}[\dX]", lambda m: mask(m[0]), record["key"])
    if record["feed"] in ("vehicle", "property", "business"):
        first, _, rest = key.partition("|")
        key = hashlib.sha256(first.encode()).hexdigest()[:12] + "|" + rest
    return {"feed": record["feed"], "key": key, "event_time": record["day"].isoformat(),
            "figure": None if figure is None else yuan(figure)}


def candidate(rule: str, record: dict, subject: str, severity: str, row: dict | None, *,
              evidence: list[dict], figure: int | None = None, township: str | None = None) -> dict[str, Any]:
    """`row` is the roster row the alert takes its household and township from (None: not on the roster)."""
    return {"rule": rule, "person": subject, "day": record["day"], "feed": record["feed"], "key": record["key"],
            "severity": severity, "household": row["household"] if row else None,
            "township": township or (row["township"] if row else subject[:6] + "000"),
            "evidence": evidence, "figure": None if figure is None else yuan(figure)}


def township_of(roster: Roster, person: str, day: date) -> str:
    """Reading: the roster township on the day, else the county of the ID number + `000`."""
    row = roster.row_on(person, day)
    return row["township"] if row else person[:6] + "000"


# ---------------------------------------------------------------- rules on one person


def medical_burden(claims: list[dict], roster: Roster, cfg: Config) -> list[dict]:
    by_person: dict[str, list[dict]] = defaultdict(list)
    for claim in claims:
        by_person[claim["person"]].append(claim)
    found = []
    for claim in claims:
        person, day = claim["person"], claim["day"]
        th = cfg.at(township_of(roster, person, day))
        window = [c for c in by_person[person] if in_window(c["day"], day, th.window_days)]
        total = sum(c["out_of_pocket"] for c in window)
        if total >= th.fen("medical_burden"):
            severity = "critical" if total >= 2 * th.fen("medical_burden") else "high"
            found.append(candidate("medical_burden", claim, person, severity, roster.row_on(person, day),
                                   evidence=[cite(c, c["out_of_pocket"]) for c in sorted(window, key=order)],
                                   figure=total))
    return found


def new_severe_disability(certificates: list[dict], roster: Roster) -> list[dict]:
    found = []
    for cert in certificates:
        if cert["action"] in ("新办", "等级变更") and cert["grade"] in (1, 2):
            severity = "critical" if cert["grade"] == 1 else "high"
            found.append(candidate("new_severe_disability", cert, cert["person"], severity,
                                   roster.row_on(cert["person"], cert["day"]), evidence=[cite(cert)]))
    return found


def education_burden(education: list[dict], roster: Roster, cfg: Config) -> list[dict]:
    found = []
    for record in education:
        row = roster.row_on(record["person"], record["day"])  # the guardian's
        if row is None or not row["active"]:
            continue
        th = cfg.at(row["township"])
        if record["net"] >= th.fen("education_burden"):
            severity = "high" if record["net"] >= 2 * th.fen("education_burden") else "medium"
            found.append(candidate("education_burden", record, record["student"], severity, row,
                                   evidence=[cite(record, record["net"])], figure=record["net"]))
    return found


def income_shock(employment: list[dict], disasters: list[dict], roster: Roster, cfg: Config) -> list[dict]:
    found = []
    for record in employment + disasters:
        day = record["day"]
        household = roster.household_on(record["person"], day)
        if household is None or not roster.household_active_on(household, day):
            continue
        figures = roster.household_row_on(household, day)
        th = cfg.at(figures["township"])
        row = {**figures, "household": household}
        if record["feed"] == "employment" and record["action"] == "失业登记":
            found.append(candidate("income_shock", record, record["person"], "medium", row, evidence=[cite(record)]))
        if record["feed"] == "disaster" and record["loss"] >= th.fen("disaster_loss"):
            severity = "high" if record["loss"] >= 5 * th.fen("disaster_loss") else "medium"
            found.append(candidate("income_shock", record, record["person"], severity, row,
                                   evidence=[cite(record, record["loss"])], figure=record["loss"]))
    return found


def deceased_recipient(funerals: list[dict], hukou: list[dict], roster: Roster) -> list[dict]:
    """Funeral records (dated 死亡日期) and hukou 死亡注销 (dated 业务日期) are death records alike.

    Reading: a death record meets an active roster row when the person is active on its date or a
    roster row dated after it says 在保 (put on the roster after death). The first death record in
    the total order that meets one fires, once per person; the evidence is every death record.
    """
    deaths: dict[str, list[dict]] = defaultdict(list)
    for record in funerals + [h for h in hukou if h["action"] == "死亡注销"]:
        deaths[record["person"]].append(record)
    found = []
    for person, records in deaths.items():
        records.sort(key=order)
        for record in records:
            firing = roster.row_on(person, record["day"])
            if firing is None or not firing["active"]:
                later = [r for r in roster.rows_by_person.get(person, []) if r["day"] > record["day"] and r["active"]]
                firing = later[0] if later else None
            if firing is not None:
                found.append(candidate("deceased_recipient", record, person, "high", firing,
                                       evidence=[cite(r) for r in records]))
                break
    return found


def disability_mismatch(certificates: list[dict], roster: Roster) -> list[dict]:
    found = []
    for cert in certificates:
        row = roster.row_on(cert["person"], cert["day"])
        if row is None or not row["active"] or not row["basis_disability"]:
            continue
        if cert["action"] == "注销":
            found.append(candidate("disability_mismatch", cert, cert["person"], "high", row, evidence=[cite(cert)]))
        elif cert["action"] == "等级变更" and cert["grade"] in (3, 4):
            found.append(candidate("disability_mismatch", cert, cert["person"], "medium", row, evidence=[cite(cert)]))
    return found


def rural_unassisted(rural: list[dict], roster: Roster) -> list[dict]:
    found = []
    for record in rural:
        if record["action"] == "纳入" and not roster.active_on(record["person"], record["day"]):
            row = roster.row_on(record["person"], record["day"])
            # Reading: a person never on the roster takes the rural record's own township.
            found.append(candidate("rural_unassisted", record, record["person"], FIXED_SEVERITY["rural_unassisted"],
                                   row, evidence=[cite(record)], township=None if row else record["township"]))
    return found


def moved_away(hukou: list[dict], roster: Roster) -> list[dict]:
    found = []
    for record in hukou:
        row = roster.row_on(record["person"], record["day"])
        if record["action"] == "迁出" and row is not None and row["active"] \
                and record["destination"][:4] != row["township"][:4]:
            found.append(candidate("moved_away", record, record["person"], FIXED_SEVERITY["moved_away"], row,
                                   evidence=[cite(record)]))
    return found


def incarcerated(hukou: list[dict], roster: Roster) -> list[dict]:
    found = []
    for record in hukou:
        row = roster.row_on(record["person"], record["day"])
        if record["action"] == "服刑" and row is not None and row["active"]:
            found.append(candidate("incarcerated", record, record["person"], FIXED_SEVERITY["incarcerated"], row,
                                   evidence=[cite(record)]))
    return found


def vehicle_owner(vehicles: list[dict], roster: Roster, cfg: Config) -> list[dict]:
    found = []
    for record in vehicles:
        row = roster.row_on(record["person"], record["day"])
        if record["action"] not in ("注册登记", "转入登记") or row is None or not row["active"]:
            continue
        th = cfg.at(row["township"])
        if record["vehicle_type"] in th.vehicle_types_firing and record["price"] >= th.fen("vehicle_price"):
            found.append(candidate("vehicle_owner", record, record["person"], FIXED_SEVERITY["vehicle_owner"], row,
                                   evidence=[cite(record, record["price"])], figure=record["price"]))
    return found


def business_owner(businesses: list[dict], roster: Roster, cfg: Config) -> list[dict]:
    found = []
    for record in businesses:
        row = roster.row_on(record["person"], record["day"])
        if record["action"] != "设立" or row is None or not row["active"]:
            continue
        th = cfg.at(row["township"])
        company = record["entity"] in ("有限责任公司", "股份有限公司")
        big_shop = record["entity"] == "个体工商户" and record["capital"] >= th.fen("business_capital")
        if company or big_shop:
            found.append(candidate("business_owner", record, record["person"], FIXED_SEVERITY["business_owner"], row,
                                   evidence=[cite(record, record["capital"])], figure=record["capital"]))
    return found


# ---------------------------------------------------------------- household rules: the crossing


def counted(record: dict, tipping: dict, inclusive: bool) -> bool:
    """Is `record` among the records before `tipping` (or up to and including it)?"""
    return order(record) < order(tipping) or (inclusive and order(record) == order(tipping))


def household_at(roster: Roster, record: dict) -> tuple[str, dict, list[str]] | None:
    """The household of the record's person on its day, its latest row, its members; None when off the roster."""
    household = roster.household_on(record["person"], record["day"])
    if household is None:
        return None
    return household, roster.household_row_on(household, record["day"]), roster.members_on(household, record["day"])


def hardship_spend(members: list[str], day: date, tipping: dict, inclusive: bool, claims_by_person: dict,
                   education_by_guardian: dict, window_days: int) -> tuple[int, list[dict]]:
    """Members' 365-day 个人自付 plus education net cost of students whose guardian is a member."""
    spend, used = 0, []
    for member in members:
        for record in claims_by_person[member] + education_by_guardian[member]:
            if counted(record, tipping, inclusive) and in_window(record["day"], day, window_days):
                spend += record["out_of_pocket"] if record["feed"] == "medical" else record["net"]
                used.append(record)
    return spend, used


def expenditure_hardship(claims: list[dict], education: list[dict], roster: Roster, cfg: Config) -> list[dict]:
    """Tipping records: a member's non-cancelled claim; an education record whose guardian is a member."""
    claims_by_person: dict[str, list[dict]] = defaultdict(list)
    for claim in claims:
        claims_by_person[claim["person"]].append(claim)
    education_by_guardian: dict[str, list[dict]] = defaultdict(list)
    for record in education:
        education_by_guardian[record["person"]].append(record)
    found = []
    for record in sorted(claims + education, key=order):  # for education, "person" is the guardian
        day, place = record["day"], household_at(roster, record)
        if place is None or not roster.household_active_on(place[0], day):
            continue
        household, figures, members = place
        th = cfg.at(figures["township"])
        line = th.yearly_line_fen * figures["size"]
        if figures["income"] < line:
            continue  # under the line on income alone: never eligible, so never crossing
        before, _ = hardship_spend(members, day, record, False, claims_by_person, education_by_guardian, th.window_days)
        after, used = hardship_spend(members, day, record, True, claims_by_person, education_by_guardian, th.window_days)
        if figures["income"] - before >= line and figures["income"] - after < line:
            severity = "high" if 2 * (figures["income"] - after) < line else "medium"
            per_head = (figures["income"] - after) // figures["size"]
            found.append(candidate("expenditure_hardship", record, record["person"], severity,
                                   {**figures, "household": household},
                                   evidence=[cite(r, r.get("out_of_pocket", r.get("net"))) for r in sorted(used, key=order)],
                                   figure=per_head))
    return found


def held_units(members: list[str], tipping: dict, inclusive: bool, by_person: dict) -> dict[str, dict]:
    """Units some member holds after the counted records: unit -> the 取得 that made it held.

    A member holds a unit from their 取得 of it until their 注销 of it; a unit two members both hold
    counts once.
    """
    units: dict[str, dict] = {}
    for member in members:
        latest: dict[str, dict] = {}
        for record in sorted(by_person[member], key=order):
            if counted(record, tipping, inclusive):
                latest[record["unit"]] = record
        units.update({unit: record for unit, record in latest.items() if record["action"] == "取得"})
    return units


def holds_too_much(units: dict[str, dict], th: Thresholds) -> bool:
    residential = sum(1 for record in units.values() if record["use"] == "住宅")
    return residential >= th.residential_units or any(r["use"] in NON_RESIDENTIAL for r in units.values())


def property_holder(properties: list[dict], roster: Roster, cfg: Config) -> list[dict]:
    """Tipping records: a member's 取得."""
    by_person: dict[str, list[dict]] = defaultdict(list)
    for record in properties:
        by_person[record["person"]].append(record)
    found = []
    for record in sorted(properties, key=order):
        if record["action"] != "取得":
            continue
        place = household_at(roster, record)
        if place is None or not roster.household_active_on(place[0], record["day"]):
            continue
        household, figures, members = place
        th = cfg.at(figures["township"])
        before = held_units(members, record, False, by_person)
        after = held_units(members, record, True, by_person)
        if not holds_too_much(before, th) and holds_too_much(after, th):
            found.append(candidate("property_holder", record, record["person"], FIXED_SEVERITY["property_holder"],
                                   {**figures, "household": household},
                                   evidence=[cite(r) for r in sorted(after.values(), key=order)], figure=None))
    return found


# ---------------------------------------------------------------- cooldown and the answer


def apply_cooldown(candidates: list[dict], cfg: Config) -> list[dict]:
    """Walk in the total order; an alert is held back when the same person already has one of the
    rule less than the cooldown earlier whose severity is not lower."""
    fired: dict[tuple[str, str], list[dict]] = defaultdict(list)
    kept = []
    for alert in sorted(candidates, key=lambda a: (a["day"], a["feed"], a["key"], a["rule"])):
        cooldown = cfg.at(alert["township"]).cooldown_days
        earlier = fired[(alert["rule"], alert["person"])]
        blocked = any((alert["day"] - old["day"]).days < cooldown
                      and SEVERITY_RANK[old["severity"]] >= SEVERITY_RANK[alert["severity"]] for old in earlier)
        if not blocked:
            earlier.append(alert)
            kept.append(alert)
    return kept


def candidates_of(records: dict[str, list[dict]], cfg: Config) -> list[dict]:
    roster = Roster(records["roster"])
    reversed_ids = {r["settlement"] for r in records["medical"] if r["reversal"]}
    claims = [r for r in records["medical"] if not r["reversal"] and r["settlement"] not in reversed_ids]
    return (
        medical_burden(claims, roster, cfg)
        + expenditure_hardship(claims, records["education"], roster, cfg)
        + new_severe_disability(records["disability"], roster)
        + education_burden(records["education"], roster, cfg)
        + income_shock(records["employment"], records["disaster"], roster, cfg)
        + deceased_recipient(records["funeral"], records["hukou"], roster)
        + disability_mismatch(records["disability"], roster)
        + rural_unassisted(records["rural"], roster)
        + moved_away(records["hukou"], roster)
        + incarcerated(records["hukou"], roster)
        + vehicle_owner(records["vehicle"], roster, cfg)
        + property_holder(records["property"], roster, cfg)
        + business_owner(records["business"], roster, cfg)
    )


def expected_alerts(directory: Path, thresholds: Config | Thresholds | Mapping[str, Any] | None = None) -> list[dict]:
    """One dict per alert standing at the end: rule, kind, subject (masked), event_time, severity,
    household_id, township_code, figure (what crossed the threshold, yuan) and evidence."""
    cfg = thresholds_from(thresholds)
    alerts = [
        {"rule": a["rule"], "kind": KINDS[a["rule"]], "subject": mask(a["person"]),
         "event_time": a["day"].isoformat(), "severity": a["severity"], "household_id": a["household"],
         "township_code": a["township"], "figure": a["figure"], "evidence": a["evidence"]}
        for a in apply_cooldown(candidates_of(load(Path(directory)), cfg), cfg)
    ]
    return sorted(alerts, key=lambda a: (a["event_time"], a["rule"], a["subject"], a["severity"]))


def expected_pairs(directory: Path, thresholds: Config | Thresholds | Mapping[str, Any] | None = None) -> set[tuple[str, str]]:
    """The (masked subject, rule) pairs that must have at least one alert."""
    return {(a["subject"], a["rule"]) for a in expected_alerts(directory, thresholds)}
