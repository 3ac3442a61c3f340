"""Batch oracle: the alerts a directory of department CSV files must raise, computed the slow, plain way.

It reads the files itself (spec `feeds.md` section 1) and applies `streams/RULES.md` literally, with
loops over sorted lists. It imports nothing from `producers/` or `streams/`: the end-to-end test
compares the streaming pipeline's alert set with this one, so the two must stay independent.

Where RULES.md leaves a choice, the choice made here is written as a comment marked `Reading:`.
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

FEEDS = ("roster", "medical", "disability", "funeral", "education", "employment", "disaster")

COLUMNS = {  # Chinese header -> English alias (the name used below)
    "roster": {
        "身份证号": "id_number", "姓名": "name", "户编号": "household_id", "与户主关系": "relation",
        "乡镇街道代码": "township_code", "救助类别": "category", "状态": "status", "家庭人口": "household_size",
        "家庭年收入": "household_annual_income", "月救助金额": "monthly_benefit", "认定依据": "basis",
        "残疾等级": "disability_grade", "变更日期": "effective_date",
    },
    "medical": {
        "结算单号": "settlement_id", "身份证号": "id_number", "姓名": "name", "结算日期": "settled_on",
        "就诊类型": "visit_type", "医疗总费用": "total_cost", "基金支付": "fund_paid",
        "个人自付": "out_of_pocket", "医疗机构": "provider",
    },
    "disability": {
        "残疾人证号": "certificate_no", "身份证号": "id_number", "姓名": "name", "残疾类别": "category",
        "残疾等级": "grade", "业务类型": "action", "办理日期": "issued_on",
    },
    "funeral": {
        "火化证明编号": "record_no", "身份证号": "id_number", "姓名": "name", "死亡日期": "died_on",
        "火化日期": "cremated_on", "殡仪馆": "facility",
    },
    "education": {
        "学籍号": "student_no", "学生身份证号": "student_id_number", "学生姓名": "student_name",
        "监护人身份证号": "guardian_id_number", "学段": "stage", "学年": "school_year", "学杂费": "tuition",
        "住宿费": "boarding", "已获资助": "aid_received",
    },
    "employment": {
        "身份证号": "id_number", "姓名": "name", "业务类型": "action", "登记日期": "registered_on",
        "原单位": "employer",
    },
    "disaster": {
        "户主身份证号": "head_id_number", "姓名": "name", "乡镇街道代码": "township_code", "灾害类型": "hazard",
        "直接经济损失": "loss", "报告日期": "reported_on",
    },
}

# Closed value sets from the spec's table (schemas/envelope.py holds the same Literals): a row
# outside them cannot become an event, so the pipeline dead-letters it and so do we.
ALLOWED = {
    ("roster", "category"): {"低保", "特困", "低保边缘", "支出型困难", "防返贫监测"},
    ("roster", "status"): {"在保", "退出"},
    ("medical", "visit_type"): {"门诊", "住院", "门特"},
    ("disability", "category"): {"视力", "听力", "言语", "肢体", "智力", "精神", "多重"},
    ("disability", "action"): {"新办", "换领", "等级变更", "注销"},
    ("education", "stage"): {"学前", "小学", "初中", "高中", "中职", "高职", "本科"},
    ("employment", "action"): {"失业登记", "就业登记"},
}

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass(frozen=True)
class Thresholds:
    """Every configurable figure, in yuan and days, with the spec's defaults."""

    medical_burden: Decimal = Decimal("30000")  # 365-day 个人自付
    dibao_monthly: Decimal = Decimal("800")  # per person per month; the yearly line is 12 x this
    education_burden: Decimal = Decimal("8000")  # net yearly cost
    disaster_loss: Decimal = Decimal("10000")
    window_days: int = 365
    cooldown_days: int = 90

    def fen(self, name: str) -> int:
        return int(Decimal(str(getattr(self, name))) * 100)

    @property
    def yearly_line_fen(self) -> int:
        return self.fen("dibao_monthly") * 12


# ---------------------------------------------------------------- reading one value


def halfwidth(text: str) -> str:
    """Full-width ASCII (０-９, Ｘ, ，, －, ／ ...) and the ideographic space to plain ASCII."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        elif code == 0x3000:
            ch = " "
        out.append(ch)
    return "".join(out)


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # index = weighted sum mod 11


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def normalise_id(raw: str) -> str:
    """The 18-character resident ID, upper-case X; ValueError when it fails MOD 11-2 or the birth date."""
    text = halfwidth(raw or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValueError(f"not an 18-character ID: {raw!r}")
    if id_check_char(text[:17]) != text[17]:
        raise ValueError("ID check digit fails")
    # Reading: "birth date validity" = characters 7-14 form a real calendar date.
    datetime.strptime(text[6:14], "%Y%m%d")
    return text


def mask(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


def parse_money(raw: str, *, signed: bool = False) -> int:
    """Yuan text to integer fen: `12,345.60`, `300元`, `-50.5`; ValueError otherwise."""
    text = halfwidth(raw or "").strip().replace(",", "")
    if text.endswith("元"):
        text = text[:-1].strip()
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", text):
        raise ValueError(f"not money: {raw!r}")
    fen = int(Decimal(text) * 100)
    if fen < 0 and not signed:
        raise ValueError(f"negative amount: {raw!r}")
    return fen


def optional_money(raw: str | None) -> int:
    return parse_money(raw) if (raw or "").strip() else 0


def parse_date(raw: str) -> date:
    """`YYYY-MM-DD`, `YYYY/MM/DD` (one-digit month/day accepted) or `YYYYMMDD`."""
    text = halfwidth(raw or "").strip()
    if re.fullmatch(r"\d{8}", text):
        return datetime.strptime(text, "%Y%m%d").date()
    match = re.fullmatch(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})", text)
    if not match:
        raise ValueError(f"not a date: {raw!r}")
    return date(int(match[1]), int(match[3]), int(match[4]))


GRADES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def parse_grade(raw: str) -> int:
    """`一级`..`四级`, `1`..`4` (also `2级`)."""
    text = halfwidth(raw or "").strip().removesuffix("级").strip()
    if text not in GRADES:
        raise ValueError(f"not a grade: {raw!r}")
    return GRADES[text]


def parse_int(raw: str, low: int, high: int) -> int:
    text = halfwidth(raw or "").strip()
    if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
        raise ValueError(f"not a whole number in {low}..{high}: {raw!r}")
    return int(text)


def parse_township(raw: str) -> str:
    text = halfwidth(raw or "").strip()
    if not re.fullmatch(r"\d{9}", text):
        raise ValueError(f"not a 9-digit township code: {raw!r}")
    return text


def required(row: dict[str, str], name: str) -> str:
    text = (row.get(name) or "").strip()
    if not text:
        raise ValueError(f"{name} is empty")
    return text


def one_of(feed: str, row: dict[str, str], name: str) -> str:
    text = (row.get(name) or "").strip()
    if text not in ALLOWED[(feed, name)]:
        raise ValueError(f"{name} not allowed: {text!r}")
    return text


# ---------------------------------------------------------------- reading one file


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def read_rows(path: Path, feed: str) -> list[dict[str, str]]:
    """The file's rows keyed by the English field names; unknown columns dropped."""
    aliases = COLUMNS[feed]
    english = set(aliases.values())
    rows = []
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    header = next(reader, [])
    names = []
    for cell in header:
        cell = cell.strip()
        names.append(aliases.get(cell) or (cell.lower() if cell.lower() in english else None))
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append({name: cell for name, cell in zip(names, cells) if name is not None})
    return rows


# ---------------------------------------------------------------- rows to records
# A record is a dict: feed, key (the natural key as text), person (raw ID), day (event time), then
# the figures the rules need. Each parser raises ValueError for a row the pipeline dead-letters.


def roster_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("id_number", "")), parse_date(row.get("effective_date", ""))
    grade = (row.get("disability_grade") or "").strip()
    one_of("roster", row, "category")
    optional_money(row.get("monthly_benefit", ""))
    return {
        "feed": "roster", "key": f"{person}|{day}", "person": person, "day": day,
        # Reading: household_id is the raw 户编号 with surrounding spaces removed.
        "household": required(row, "household_id"),
        "township": parse_township(row.get("township_code", "")),
        "active": one_of("roster", row, "status") == "在保",
        "size": parse_int(row.get("household_size", ""), 1, 100),
        "income": parse_money(row.get("household_annual_income", "")),
        "basis_disability": "残疾" in (row.get("basis") or ""),
        "grade": parse_grade(grade) if grade else None,
    }


def medical_record(row: dict[str, str]) -> dict[str, Any]:
    settlement = required(row, "settlement_id")
    amounts = [parse_money(row.get(name, ""), signed=True) for name in ("total_cost", "fund_paid", "out_of_pocket")]
    one_of("medical", row, "visit_type")
    # Reading: a row is a reversal when any of its three amounts is negative.
    reversal = any(amount < 0 for amount in amounts)
    return {
        "feed": "medical", "key": f"{settlement}|{'-' if reversal else '+'}",
        "person": normalise_id(row.get("id_number", "")), "day": parse_date(row.get("settled_on", "")),
        "settlement": settlement, "reversal": reversal, "out_of_pocket": amounts[2],
    }


def disability_record(row: dict[str, str]) -> dict[str, Any]:
    certificate, day = required(row, "certificate_no"), parse_date(row.get("issued_on", ""))
    action = one_of("disability", row, "action")
    one_of("disability", row, "category")
    return {
        "feed": "disability", "key": f"{certificate}|{action}|{day}",
        "person": normalise_id(row.get("id_number", "")), "day": day,
        "action": action, "grade": parse_grade(row.get("grade", "")),
    }


def funeral_record(row: dict[str, str]) -> dict[str, Any]:
    cremated = (row.get("cremated_on") or "").strip()
    if cremated:
        parse_date(cremated)
    # Reading: the funeral's event time (and the alert's) is 死亡日期.
    return {
        "feed": "funeral", "key": required(row, "record_no"),
        "person": normalise_id(row.get("id_number", "")), "day": parse_date(row.get("died_on", "")),
    }


def education_record(row: dict[str, str]) -> dict[str, Any]:
    student_no, year = required(row, "student_no"), (row.get("school_year") or "").strip()
    if not re.fullmatch(r"\d{4}-\d{4}", year):
        raise ValueError(f"not a school year: {year!r}")
    one_of("education", row, "stage")
    # Reading: a blank 住宿费 or 已获资助 is 0 (exports leave zero cells empty); 学杂费 is required.
    net = parse_money(row.get("tuition", "")) + optional_money(row.get("boarding", "")) - optional_money(row.get("aid_received", ""))
    return {
        "feed": "education", "key": f"{student_no}|{year}",
        "student": normalise_id(row.get("student_id_number", "")),
        "person": normalise_id(row.get("guardian_id_number", "")),  # the guardian: roster joins use them
        "day": date(int(year[:4]), 9, 1),
        # Reading: net cost is used as is, negative when aid exceeds cost (no clamping at 0).
        "net": net,
    }


def employment_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("id_number", "")), parse_date(row.get("registered_on", ""))
    action = one_of("employment", row, "action")
    return {"feed": "employment", "key": f"{person}|{action}|{day}", "person": person, "day": day, "action": action}


def disaster_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("head_id_number", "")), parse_date(row.get("reported_on", ""))
    parse_township(row.get("township_code", ""))
    return {"feed": "disaster", "key": f"{person}|{day}", "person": person, "day": day,
            "loss": parse_money(row.get("loss", ""))}


PARSERS: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "roster": roster_record, "medical": medical_record, "disability": disability_record,
    "funeral": funeral_record, "education": education_record, "employment": employment_record,
    "disaster": disaster_record,
}


def load(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every valid row of every `<feed>*.csv`, once per natural key (the first one read wins)."""
    records: dict[str, list[dict[str, Any]]] = {}
    for feed in FEEDS:
        seen: set[str] = set()
        records[feed] = []
        for path in sorted(Path(directory).glob(f"{feed}*.csv")):
            for row in read_rows(path, feed):
                try:
                    record = PARSERS[feed](row)
                except ValueError:
                    continue  # the pipeline dead-letters it
                if record["key"] not in seen:
                    seen.add(record["key"])
                    records[feed].append(record)
    return records


# ---------------------------------------------------------------- the roster, as of a date


class Roster:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows_by_person: dict[str, list[dict]] = defaultdict(list)
        self.rows_by_household: dict[str, list[dict]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: (r["day"], r["key"])):
            self.rows_by_person[row["person"]].append(row)
            self.rows_by_household[row["household"]].append(row)

    def row_on(self, person: str, day: date) -> dict | None:
        """The person's latest row dated on or before `day` (rows are sorted by day, key)."""
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
        """The household's latest row dated on or before `day` (ties: larger natural key)."""
        latest = None
        for row in self.rows_by_household.get(household, []):
            if row["day"] <= day:
                latest = row
        return latest


# ---------------------------------------------------------------- the rules


def in_window(day: date, end: date, days: int) -> bool:
    return end - timedelta(days=days) < day <= end


def candidate(rule: str, record: dict, subject: str, severity: str, household: str | None) -> dict[str, Any]:
    return {"rule": rule, "person": subject, "day": record["day"], "feed": record["feed"],
            "key": record["key"], "severity": severity, "household": household}


def medical_burden(claims: list[dict], roster: Roster, th: Thresholds) -> list[dict]:
    by_person: dict[str, list[dict]] = defaultdict(list)
    for claim in claims:
        by_person[claim["person"]].append(claim)
    found = []
    for claim in claims:
        total = sum(c["out_of_pocket"] for c in by_person[claim["person"]]
                    if in_window(c["day"], claim["day"], th.window_days))
        if total >= th.fen("medical_burden"):
            severity = "critical" if total >= 2 * th.fen("medical_burden") else "high"
            found.append(candidate("medical_burden", claim, claim["person"], severity,
                                   roster.household_on(claim["person"], claim["day"])))
    return found


def expenditure_hardship(claims: list[dict], education: list[dict], roster: Roster, th: Thresholds) -> list[dict]:
    """Judged at each claim of a member and each education record whose guardian is a member."""
    claims_by_person: dict[str, list[dict]] = defaultdict(list)
    for claim in claims:
        claims_by_person[claim["person"]].append(claim)
    education_by_guardian: dict[str, list[dict]] = defaultdict(list)
    for record in education:
        education_by_guardian[record["person"]].append(record)
    line = th.yearly_line_fen
    found = []
    for record in claims + education:  # for education, "person" is the guardian: the subject here
        day = record["day"]
        household = roster.household_on(record["person"], day)
        if household is None or not roster.household_active_on(household, day):
            continue
        figures = roster.household_row_on(household, day)
        size, income = figures["size"], figures["income"]
        if income < line * size:
            continue  # already under the line on income alone
        spend = 0
        for member in roster.members_on(household, day):
            spend += sum(c["out_of_pocket"] for c in claims_by_person[member] if in_window(c["day"], day, th.window_days))
            spend += sum(e["net"] for e in education_by_guardian[member] if in_window(e["day"], day, th.window_days))
        after = income - spend
        if after < line * size:
            severity = "high" if 2 * after < line * size else "medium"
            found.append(candidate("expenditure_hardship", record, record["person"], severity, household))
    return found


def new_severe_disability(certificates: list[dict], roster: Roster) -> list[dict]:
    found = []
    for cert in certificates:
        if cert["action"] in ("新办", "等级变更") and cert["grade"] in (1, 2):
            severity = "critical" if cert["grade"] == 1 else "high"
            found.append(candidate("new_severe_disability", cert, cert["person"], severity,
                                   roster.household_on(cert["person"], cert["day"])))
    return found


def education_burden(education: list[dict], roster: Roster, th: Thresholds) -> list[dict]:
    found = []
    for record in education:
        guardian, day = record["person"], record["day"]
        if record["net"] >= th.fen("education_burden") and roster.active_on(guardian, day):
            severity = "high" if record["net"] >= 2 * th.fen("education_burden") else "medium"
            found.append(candidate("education_burden", record, record["student"], severity,
                                   roster.household_on(guardian, day)))
    return found


def income_shock(employment: list[dict], disasters: list[dict], roster: Roster, th: Thresholds) -> list[dict]:
    found = []
    for record in employment + disasters:
        day = record["day"]
        household = roster.household_on(record["person"], day)
        if household is None or not roster.household_active_on(household, day):
            continue
        if record["feed"] == "employment" and record["action"] == "失业登记":
            found.append(candidate("income_shock", record, record["person"], "medium", household))
        if record["feed"] == "disaster" and record["loss"] >= th.fen("disaster_loss"):
            severity = "high" if record["loss"] >= 5 * th.fen("disaster_loss") else "medium"
            found.append(candidate("income_shock", record, record["person"], severity, household))
    return found


def deceased_recipient(funerals: list[dict], roster: Roster) -> list[dict]:
    found = []
    for record in funerals:
        person, died = record["person"], record["day"]
        firing = roster.row_on(person, died)
        if firing is None or not firing["active"]:
            # Reading: among rows dated after the death that say 在保, the earliest one "made it fire".
            later = [row for row in roster.rows_by_person.get(person, []) if row["day"] > died and row["active"]]
            firing = later[0] if later else None
        if firing is not None:
            found.append(candidate("deceased_recipient", record, person, "high", firing["household"]))
    return found


def disability_mismatch(certificates: list[dict], roster: Roster) -> list[dict]:
    found = []
    for cert in certificates:
        row = roster.row_on(cert["person"], cert["day"])
        if row is None or not row["active"] or not row["basis_disability"]:
            continue
        if cert["action"] == "注销":
            found.append(candidate("disability_mismatch", cert, cert["person"], "high", row["household"]))
        elif cert["action"] == "等级变更" and cert["grade"] in (3, 4):
            found.append(candidate("disability_mismatch", cert, cert["person"], "medium", row["household"]))
    return found


def apply_cooldown(candidates: list[dict], cooldown_days: int) -> list[dict]:
    """Walk in event-time order (same day: feed name, then natural key); keep what the cooldown lets through.

    Reading: "by feed" sorts on the feed's name as text (disaster < education < employment < medical).
    """
    fired: dict[tuple[str, str], list[dict]] = defaultdict(list)
    kept = []
    for alert in sorted(candidates, key=lambda a: (a["day"], a["feed"], a["key"])):
        earlier = fired[(alert["rule"], alert["person"])]
        blocked = any((alert["day"] - old["day"]).days < cooldown_days
                      and SEVERITY_RANK[old["severity"]] >= SEVERITY_RANK[alert["severity"]] for old in earlier)
        if not blocked:
            earlier.append(alert)
            kept.append(alert)
    return kept


# ---------------------------------------------------------------- the answer


def thresholds_from(overrides: Thresholds | Mapping[str, Any] | None) -> Thresholds:
    if overrides is None:
        return Thresholds()
    if isinstance(overrides, Thresholds):
        return overrides
    known = {f.name for f in fields(Thresholds)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown thresholds {sorted(unknown)}; known: {sorted(known)}")
    return Thresholds(**{k: (v if k.endswith("_days") else Decimal(str(v))) for k, v in overrides.items()})


def expected_alerts(directory: Path, thresholds: Thresholds | Mapping[str, Any] | None = None) -> list[dict]:
    """One dict per alert standing at the end: rule, subject (masked), event_time, severity, household_id."""
    th = thresholds_from(thresholds)
    records = load(Path(directory))
    roster = Roster(records["roster"])
    reversed_ids = {r["settlement"] for r in records["medical"] if r["reversal"]}
    claims = [r for r in records["medical"] if not r["reversal"] and r["settlement"] not in reversed_ids]
    candidates = (
        medical_burden(claims, roster, th)
        + expenditure_hardship(claims, records["education"], roster, th)
        + new_severe_disability(records["disability"], roster)
        + education_burden(records["education"], roster, th)
        + income_shock(records["employment"], records["disaster"], roster, th)
        + deceased_recipient(records["funeral"], roster)
        + disability_mismatch(records["disability"], roster)
    )
    alerts = [
        {"rule": a["rule"], "subject": mask(a["person"]), "event_time": a["day"].isoformat(),
         "severity": a["severity"], "household_id": a["household"]}
        for a in apply_cooldown(candidates, th.cooldown_days)
    ]
    return sorted(alerts, key=lambda a: (a["event_time"], a["rule"], a["subject"], a["severity"]))


def expected_pairs(directory: Path, thresholds: Thresholds | Mapping[str, Any] | None = None) -> set[tuple[str, str]]:
    """The (masked subject, rule) pairs that must have at least one alert."""
    return {(a["subject"], a["rule"]) for a in expected_alerts(directory, thresholds)}
