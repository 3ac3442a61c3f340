"""The batch oracle's first half: department files (contract `feeds.md` version 2, section 1) to records.

Written from the contract's words alone; it imports nothing from `producers/`, `streams/` or
`consumers/`. A record is a plain dict: feed, key (the natural key the contract names), person
(the raw ID the rules join on), day (event time), then the figures the rules need. A row the
pipeline must dead-letter raises ValueError here and counts for nothing.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

FEEDS = ("roster", "medical", "disability", "funeral", "education", "employment", "disaster",
         "rural", "hukou", "vehicle", "property", "business")

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
    "rural": {
        "身份证号": "id_number", "姓名": "name", "乡镇街道代码": "township_code", "监测类型": "monitor_type",
        "风险类型": "risk_type", "业务类型": "action", "业务日期": "action_date",
    },
    "hukou": {
        "身份证号": "id_number", "姓名": "name", "业务类型": "action", "迁往地区代码": "destination_code",
        "业务日期": "action_date",
    },
    "vehicle": {
        "号牌号码": "plate_no", "身份证号": "id_number", "姓名": "name", "车辆类型": "vehicle_type",
        "业务类型": "action", "购置价格": "purchase_price", "登记日期": "registered_on",
    },
    "property": {
        "不动产单元号": "unit_no", "身份证号": "id_number", "姓名": "name", "房屋用途": "use",
        "建筑面积": "floor_area", "业务类型": "action", "登记日期": "registered_on",
    },
    "business": {
        "统一社会信用代码": "credit_code", "身份证号": "id_number", "姓名": "name", "主体类型": "entity_type",
        "注册资本": "registered_capital", "业务类型": "action", "业务日期": "action_date",
    },
}

# Closed value sets from the contract's table: a row outside them cannot be an event of the feed.
ALLOWED = {
    ("roster", "category"): {"低保", "特困", "低保边缘", "支出型困难", "防返贫监测"},
    ("roster", "status"): {"在保", "退出"},
    ("medical", "visit_type"): {"门诊", "住院", "门特"},
    ("disability", "category"): {"视力", "听力", "言语", "肢体", "智力", "精神", "多重"},
    ("disability", "action"): {"新办", "换领", "等级变更", "注销"},
    ("education", "stage"): {"学前", "小学", "初中", "高中", "中职", "高职", "本科"},
    ("employment", "action"): {"失业登记", "就业登记"},
    ("rural", "monitor_type"): {"脱贫不稳定户", "边缘易致贫户", "突发严重困难户"},
    ("rural", "risk_type"): {"因病", "因学", "因残", "因灾", "因意外", "因失业", "其他"},
    ("rural", "action"): {"纳入", "消除"},
    ("hukou", "action"): {"死亡注销", "迁出", "迁入", "服刑", "刑满释放"},
    ("vehicle", "vehicle_type"): {"小型轿车", "小型越野车", "中型客车", "货车", "摩托车", "三轮汽车", "残疾人专用车"},
    ("vehicle", "action"): {"注册登记", "转入登记", "注销登记"},
    ("property", "use"): {"住宅", "商业", "办公", "工业"},
    ("property", "action"): {"取得", "注销"},
    ("business", "entity_type"): {"个体工商户", "有限责任公司", "股份有限公司", "农民专业合作社"},
    ("business", "action"): {"设立", "注销"},
}

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
    # Reading: characters 7-14 must form a real calendar date (the pipeline refuses others too).
    datetime.strptime(text[6:14], "%Y%m%d")
    return text


def mask(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


def parse_money(raw: str | None, *, signed: bool = False) -> int:
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


def parse_date(raw: str | None) -> date:
    """`YYYY-MM-DD`, `YYYY/MM/DD` (one-digit month/day accepted) or `YYYYMMDD`."""
    text = halfwidth(raw or "").strip()
    if re.fullmatch(r"\d{8}", text):
        return datetime.strptime(text, "%Y%m%d").date()
    match = re.fullmatch(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})", text)
    if not match:
        raise ValueError(f"not a date: {raw!r}")
    return date(int(match[1]), int(match[3]), int(match[4]))


GRADES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def parse_grade(raw: str | None) -> int:
    """`一级`..`四级`, `1`..`4` (also `2级`)."""
    text = halfwidth(raw or "").strip().removesuffix("级").strip()
    if text not in GRADES:
        raise ValueError(f"not a grade: {raw!r}")
    return GRADES[text]


def parse_int(raw: str | None, low: int, high: int) -> int:
    text = halfwidth(raw or "").strip()
    if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
        raise ValueError(f"not a whole number in {low}..{high}: {raw!r}")
    return int(text)


def parse_code(raw: str | None, digits: int) -> str:
    text = halfwidth(raw or "").strip()
    if not re.fullmatch(rf"\d{{{digits}}}", text):
        raise ValueError(f"not a {digits}-digit code: {raw!r}")
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
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    names = []
    for cell in next(reader, []):
        cell = cell.strip()
        names.append(aliases.get(cell) or (cell.lower() if cell.lower() in english else None))
    rows = []
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append({name: cell for name, cell in zip(names, cells) if name is not None})
    return rows


# ---------------------------------------------------------------- rows to records


def base(feed: str, key: str, person: str, day: date, **fields: Any) -> dict[str, Any]:
    return {"feed": feed, "key": key, "person": person, "day": day, **fields}


def roster_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("id_number", "")), parse_date(row.get("effective_date"))
    grade = (row.get("disability_grade") or "").strip()
    one_of("roster", row, "category")
    optional_money(row.get("monthly_benefit"))
    return base("roster", f"{person}|{day}", person, day,
                household=required(row, "household_id"), township=parse_code(row.get("township_code"), 9),
                active=one_of("roster", row, "status") == "在保", size=parse_int(row.get("household_size"), 1, 100),
                income=parse_money(row.get("household_annual_income")),
                basis_disability="残疾" in (row.get("basis") or ""), grade=parse_grade(grade) if grade else None)


def medical_record(row: dict[str, str]) -> dict[str, Any]:
    settlement = required(row, "settlement_id")
    amounts = [parse_money(row.get(name), signed=True) for name in ("total_cost", "fund_paid", "out_of_pocket")]
    one_of("medical", row, "visit_type")
    reversal = any(amount < 0 for amount in amounts)  # Reading: any negative amount makes a reversal
    return base("medical", f"{settlement}|{'-' if reversal else '+'}", normalise_id(row.get("id_number", "")),
                parse_date(row.get("settled_on")), settlement=settlement, reversal=reversal, out_of_pocket=amounts[2])


def disability_record(row: dict[str, str]) -> dict[str, Any]:
    certificate, day = required(row, "certificate_no"), parse_date(row.get("issued_on"))
    action = one_of("disability", row, "action")
    one_of("disability", row, "category")
    return base("disability", f"{certificate}|{action}|{day}", normalise_id(row.get("id_number", "")), day,
                action=action, grade=parse_grade(row.get("grade")))


def funeral_record(row: dict[str, str]) -> dict[str, Any]:
    if (row.get("cremated_on") or "").strip():
        parse_date(row.get("cremated_on"))
    # Reading: a funeral record's event time is 死亡日期.
    return base("funeral", required(row, "record_no"), normalise_id(row.get("id_number", "")),
                parse_date(row.get("died_on")))


def education_record(row: dict[str, str]) -> dict[str, Any]:
    student_no, year = required(row, "student_no"), halfwidth(row.get("school_year") or "").strip()
    if not re.fullmatch(r"\d{4}-\d{4}", year):
        raise ValueError(f"not a school year: {year!r}")
    one_of("education", row, "stage")
    # Reading: blank 住宿费 / 已获资助 are 0; net cost is used as is (negative when aid exceeds cost).
    net = parse_money(row.get("tuition")) + optional_money(row.get("boarding")) - optional_money(row.get("aid_received"))
    return base("education", f"{student_no}|{year}", normalise_id(row.get("guardian_id_number", "")),
                date(int(year[:4]), 9, 1), student=normalise_id(row.get("student_id_number", "")), net=net)


def employment_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("id_number", "")), parse_date(row.get("registered_on"))
    action = one_of("employment", row, "action")
    return base("employment", f"{person}|{action}|{day}", person, day, action=action)


def disaster_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("head_id_number", "")), parse_date(row.get("reported_on"))
    return base("disaster", f"{person}|{day}", person, day, township=parse_code(row.get("township_code"), 9),
                loss=parse_money(row.get("loss")))


def rural_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("id_number", "")), parse_date(row.get("action_date"))
    action = one_of("rural", row, "action")
    one_of("rural", row, "monitor_type")
    one_of("rural", row, "risk_type")
    return base("rural", f"{person}|{action}|{day}", person, day, action=action,
                township=parse_code(row.get("township_code"), 9))


def hukou_record(row: dict[str, str]) -> dict[str, Any]:
    person, day = normalise_id(row.get("id_number", "")), parse_date(row.get("action_date"))
    action = one_of("hukou", row, "action")
    # Reading: 迁出 needs a 6-digit 迁往地区代码; on other actions the column is ignored.
    destination = parse_code(row.get("destination_code"), 6) if action == "迁出" else None
    return base("hukou", f"{person}|{action}|{day}", person, day, action=action, destination=destination)


def vehicle_record(row: dict[str, str]) -> dict[str, Any]:
    plate, day = required(row, "plate_no"), parse_date(row.get("registered_on"))
    action = one_of("vehicle", row, "action")
    # Reading: a blank 购置价格 is 0 (it never reaches the threshold).
    return base("vehicle", f"{plate}|{action}|{day}", normalise_id(row.get("id_number", "")), day, action=action,
                vehicle_type=one_of("vehicle", row, "vehicle_type"), price=optional_money(row.get("purchase_price")))


def property_record(row: dict[str, str]) -> dict[str, Any]:
    unit, day = required(row, "unit_no"), parse_date(row.get("registered_on"))
    person, action = normalise_id(row.get("id_number", "")), one_of("property", row, "action")
    if (row.get("floor_area") or "").strip():
        parse_money(row.get("floor_area"))  # square metres, up to 2 decimals: same shape as money
    return base("property", f"{unit}|{person}|{action}|{day}", person, day, unit=unit, action=action,
                use=one_of("property", row, "use"))


def business_record(row: dict[str, str]) -> dict[str, Any]:
    code, day = required(row, "credit_code"), parse_date(row.get("action_date"))
    action = one_of("business", row, "action")
    return base("business", f"{code}|{action}|{day}", normalise_id(row.get("id_number", "")), day, action=action,
                entity=one_of("business", row, "entity_type"), capital=optional_money(row.get("registered_capital")))


PARSERS: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "roster": roster_record, "medical": medical_record, "disability": disability_record,
    "funeral": funeral_record, "education": education_record, "employment": employment_record,
    "disaster": disaster_record, "rural": rural_record, "hukou": hukou_record, "vehicle": vehicle_record,
    "property": property_record, "business": business_record,
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
