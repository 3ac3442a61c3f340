"""Decisions flow back (spec section 5): closed cases' outcomes as rows of the civil-affairs roster.

closed case (resolution, grant, resolved_at)           benefit_stopped    -> 状态 退出
  + identity from the vault (身份证号, 姓名)          assistance_granted -> 状态 在保, the grant's 救助类别
  + the person's latest row on feed.roster              (household figures, 户编号, 与户主关系, 残疾等级)
  -> DecisionRow (the roster feed's own columns) -> CSV in UTF-8 or GBK, formula cells neutralised

The rows hold real ID numbers: only the case tracker builds them (it alone opens the vault), for an
administrator, and every case exported gets a DecisionExported event before the rows leave.
"""
from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from consumers.cases.lifecycle import export_decision
from consumers.cases.sla import LOCAL
from consumers.cases.store import CaseStore, IdentityUnknown, VaultError, VaultIndex, read_to_end
from producers.roster import COLUMNS as ROSTER_COLUMNS
from producers.vault import IdentityRecord
from schemas.cases import Case, CaseState
from schemas.envelope import Envelope, RosterChange
from schemas.settings import Settings

FIELDS = tuple(ROSTER_COLUMNS.values())  # english names, in the roster feed's column order
HEADER = tuple(ROSTER_COLUMNS)  # 身份证号, 姓名, 户编号, ... 变更日期
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula
ENCODINGS = {"utf-8": "utf-8-sig", "gbk": "gb18030"}  # GB18030 is GBK's superset: same bytes for GBK's characters
DECIDED = ("benefit_stopped", "assistance_granted")
PROVISIONAL_HOUSEHOLD = "N"  # + case id: a new household's 户编号 until civil affairs assigns one


class DecisionRow(BaseModel):
    """One roster row; None where neither the case nor the pipeline's roster knows the value."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    case_id: str  # not a roster column: lets the caller say which cases were incomplete
    id_number: str
    name: str
    household_id: str
    relation: str = ""
    township_code: str | None
    category: str | None
    status: Literal["在保", "退出"]
    household_size: int | None
    household_annual_income_fen: int | None
    monthly_benefit_fen: int
    basis: str
    disability_grade: int | None = None
    effective_date: date

    @property
    def complete(self) -> bool:
        """Every column the roster feed requires has a value (otherwise its ingest dead-letters the row)."""
        return None not in (self.township_code, self.category, self.household_size, self.household_annual_income_fen)

    def cells(self) -> list[str]:
        values = {**self.model_dump(exclude={"case_id"}), "household_annual_income": _yuan(self.household_annual_income_fen),
                  "monthly_benefit": _yuan(self.monthly_benefit_fen), "effective_date": self.effective_date.isoformat()}
        return [neutralise("" if values[f] is None else str(values[f])) for f in FIELDS]


class DecisionsRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    since: date | None = None  # decisions taken on or after this day (China Standard Time)


class DecisionsExport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    export_id: str
    rows: list[DecisionRow]
    skipped: dict[str, str] = Field(default_factory=dict)  # case_id -> why no row (never an ID)

    @property
    def incomplete(self) -> list[str]:
        return [row.case_id for row in self.rows if not row.complete]


# ---------------------------------------------------------------- pure


def decided_on(case: Case) -> date | None:
    """The decision's date: the day (China Standard Time) the case was resolved."""
    return case.resolved_at.astimezone(LOCAL).date() if case.resolved_at else None


def exportable(case: Case, since: date | None = None) -> bool:
    """Closed, resolved with an outcome civil affairs imports, about a known person, on or after `since`."""
    day = decided_on(case)
    return (case.state is CaseState.closed and case.resolution in DECIDED and case.person_key is not None
            and day is not None and (since is None or day >= since))


def one_per_person_day(cases: Iterable[Case]) -> list[Case]:
    """The roster keys a row on 身份证号 + 变更日期: of a person's cases decided the same day, the last
    resolved speaks for them all. Ordered by decision day, then case id."""
    kept: dict[tuple[str, date], Case] = {}
    for case in sorted(cases, key=lambda c: c.resolved_at):
        kept[(case.person_key, decided_on(case))] = case
    return sorted(kept.values(), key=lambda c: (decided_on(c), c.case_id))


def decision_row(case: Case, identity: IdentityRecord, roster: Envelope | None) -> DecisionRow:
    """The roster row that carries `case`'s decision; household figures from the grant, else the roster."""
    last: RosterChange | None = roster.payload if roster is not None else None  # type: ignore[assignment]
    grant = case.grant if case.resolution == "assistance_granted" else None
    size = grant.household_size if grant and grant.household_size else (last.household_size if last else None)
    income = grant.household_income_fen if grant and grant.household_income_fen is not None else \
        (last.household_income_fen if last else None)
    basis = f"核查结论 {case.kind} 案件{case.case_id}" + ("，残疾" if last and last.basis_disability else "")
    return DecisionRow(
        case_id=case.case_id, id_number=identity.id_number, name=identity.name,
        household_id=(last.household_id if last else case.household_id) or PROVISIONAL_HOUSEHOLD + case.case_id,
        relation=last.relation if last else "", township_code=last.township_code if last else case.township_code,
        category=grant.category if grant else (last.category if last else None),
        status="在保" if grant else "退出", household_size=size, household_annual_income_fen=income,
        monthly_benefit_fen=grant.monthly_benefit_fen if grant else 0, basis=basis,
        disability_grade=last.disability_grade if last else None, effective_date=decided_on(case))


def latest_rows(envelopes: Iterable[Envelope]) -> dict[str, Envelope]:
    """Each person's latest roster row: by 变更日期, ties by natural key (streams/RULES.md)."""
    latest: dict[str, Envelope] = {}
    for e in envelopes:
        held = latest.get(e.person_key)
        if held is None or (e.event_time, e.source_key) >= (held.event_time, held.source_key):
            latest[e.person_key] = e
    return latest


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def to_csv(rows: Iterable[DecisionRow], encoding: str = "utf-8") -> bytes:
    """The decisions file: the roster's Chinese header, one row per decision, CRLF line ends."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(row.cells() for row in rows)
    return text.getvalue().encode(ENCODINGS[encoding])


def write_file(path: Path, data: bytes) -> None:
    """Owner-only (it holds real ID numbers), written whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    partial.replace(path)


def new_export_id(at: datetime) -> str:
    return f"DX{at:%Y%m%d%H%M%S}{uuid.uuid4().hex[:8]}"


def roster_envelope(value: bytes, wanted: set[str]) -> Envelope | None:
    """A feed.roster record, validated only when it is about someone in `wanted`."""
    try:
        data = orjson.loads(value)
        return Envelope.model_validate(data) if data.get("person_key") in wanted else None
    except (orjson.JSONDecodeError, AttributeError, ValidationError):
        return None  # the streams dead-letter these; they carry no roster row we could use


def _yuan(fen: int | None) -> str | None:
    if fen is None:
        return None
    return f"{fen // 100}.{fen % 100:02d}" if fen % 100 else str(fen // 100)


# ---------------------------------------------------------------- the I/O shell (case tracker side)


async def export_decisions(settings: Settings, store: CaseStore, vault: VaultIndex, *, since: date | None,
                           actor: str, at: datetime) -> DecisionsExport:
    """Rows for every exportable case; each case gets its DecisionExported event before rows are returned."""
    cases = [c for c in await store.list("state", str(CaseState.closed), limit=await store.count("state", "closed") + 1)
             if exportable(c, since)]
    roster = latest_rows(e for r in await read_to_end(settings, settings.topic("feed.roster"))
                         if (e := roster_envelope(r.value, {c.person_key for c in cases})) is not None)
    rows, skipped = [], {}
    for case in one_per_person_day(cases):
        try:
            identity = await vault.open(case.person_key)
        except (IdentityUnknown, VaultError) as exc:
            skipped[case.case_id] = f"no identity in the vault ({type(exc).__name__})"
            continue
        rows.append(decision_row(case, identity, roster.get(case.person_key)))
    export = DecisionsExport(export_id=new_export_id(at), rows=rows, skipped=skipped)
    for case in cases:  # every case whose decision went out, also those another case's row speaks for
        if case.case_id not in skipped:
            await store.append(case.case_id, lambda c: export_decision(c, export_id=export.export_id, rows=len(rows),
                                                                      actor=actor, at=at))
    return export
