"""The rules judged from one person's own records (partitioned by person_key)."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date

from streams.config import RulesConfig
from streams.firing import Firing, apply_cooldown, yuan
from streams.records import Record, live_claims, order, window_start
from streams.roster import RosterHistory

MAX_EVIDENCE = 50


def judge_person(person_key: str, masked: str, records: list[Record], rules: RulesConfig) -> list[Firing]:
    """Every alert this person's records raise, after cooldown; independent of arrival order."""
    roster = RosterHistory(records)
    firings = [
        *medical_burden(person_key, masked, records, roster, rules),
        *certificate_rules(person_key, masked, records, roster),
        *deceased_recipient(person_key, masked, records, roster),
        *education_burden(records, roster, rules),
    ]
    return apply_cooldown(firings, lambda f: rules.for_county(f.township_code).cooldown_days)


def placement(masked: str, roster: RosterHistory, on: str) -> tuple[str | None, str]:
    """(household, township) as of a day; off the roster: no household, the ID's county + 000."""
    row = roster.as_of(on)
    return (row["h"], row["t"]) if row else (None, masked[:6] + "000")


def medical_burden(person_key: str, masked: str, records: list[Record], roster: RosterHistory,
                   rules: RulesConfig) -> list[Firing]:
    claims = live_claims(records)
    days = [c["d"] for c in claims]
    running = [0]
    for c in claims:
        running.append(running[-1] + c["oop"])
    firings = []
    for claim in claims:
        household, township = placement(masked, roster, claim["d"])
        limits = rules.for_county(township)
        start = window_start(date.fromisoformat(claim["d"]), limits.window_days).isoformat()
        lo, hi = bisect_left(days, start), bisect_right(days, claim["d"])  # the whole of day d counts
        total = running[hi] - running[lo]
        if total < limits.medical_fen:
            continue
        severity = "critical" if total >= 2 * limits.medical_fen else "high"
        contributing = [("medical", c["sid"], yuan(c["oop"])) for c in claims[lo:hi] if c is not claim][-MAX_EVIDENCE:]
        evidence = (("medical", claim["sid"], yuan(total)), *contributing)
        firings.append(Firing("medical_burden", person_key, masked, claim["id"], claim["d"], order(claim),
                              severity, household, township, evidence))
    return firings


def certificate_rules(person_key: str, masked: str, records: list[Record], roster: RosterHistory) -> list[Firing]:
    firings = []
    for cert in sorted((r for r in records if r["f"] == "disability"), key=order):
        household, township = placement(masked, roster, cert["d"])
        evidence = (("disability", cert["ref"], float(cert["g"])),)
        if cert["a"] in ("新办", "等级变更") and cert["g"] <= 2:
            severity = "critical" if cert["g"] == 1 else "high"
            firings.append(Firing("new_severe_disability", person_key, masked, cert["id"], cert["d"], order(cert),
                                  severity, household, township, evidence))
        row = roster.active_on(cert["d"])
        mismatch = cert["a"] == "注销" or (cert["a"] == "等级变更" and cert["g"] >= 3)
        if row is not None and row["dis"] and mismatch:
            severity = "high" if cert["a"] == "注销" else "medium"
            audit_evidence = (*evidence, ("roster", row["k"], yuan(row["mb"])))
            firings.append(Firing("disability_mismatch", person_key, masked, cert["id"], cert["d"], order(cert),
                                  severity, row["h"], row["t"], audit_evidence))
    return firings


def deceased_recipient(person_key: str, masked: str, records: list[Record], roster: RosterHistory) -> list[Firing]:
    firings = []
    for death in sorted((r for r in records if r["f"] == "funeral"), key=order):
        row = roster.active_on(death["d"]) or roster.active_after(death["d"])
        if row is None:
            continue
        evidence = (("funeral", death["ref"], None), ("roster", row["k"], yuan(row["mb"])))
        firings.append(Firing("deceased_recipient", person_key, masked, death["id"], death["d"], order(death),
                              "high", row["h"], row["t"], evidence))
    return firings


def education_burden(records: list[Record], roster: RosterHistory, rules: RulesConfig) -> list[Firing]:
    """Records here are keyed by the guardian; the student is the subject."""
    firings = []
    for aid in sorted((r for r in records if r["f"] == "education"), key=order):
        guardian = roster.active_on(aid["d"])
        if guardian is None:
            continue
        limit = rules.for_county(guardian["t"]).education_fen
        if aid["net"] < limit:
            continue
        severity = "high" if aid["net"] >= 2 * limit else "medium"
        evidence = (("education", aid["ref"], yuan(aid["net"])),)
        firings.append(Firing("education_burden", aid["sk"], aid["sm"], aid["id"], aid["d"], order(aid),
                              severity, guardian["h"], guardian["t"], evidence))
    return firings
