"""A version-2 city's department files, written from the contract alone (`feeds.md` version 2).

Nothing here comes from `producers/simulate.py` or the pipeline: it lets the suite check the pipeline
against files nobody fitted it to. All twelve feeds, three and a half years of event time, Chinese and
English headers, UTF-8 / UTF-8 with BOM / GB18030, every date and money shape section 1 allows,
full-width and lower-case-x IDs, re-exported files, reversals, household moves, a late file read last,
a few dead letters, and traps next to every threshold. Deterministic by seed.

`traps.jsonl` lists the planted cases (masked subject, rule, whether the contract makes it fire and
why); they live in households and people no background record touches, so their outcome follows
from the contract's words alone.

    python -m tests.contract_city OUT [--seed N] [--households N]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tests.city_traps import plant_traps
from tests.oracle_read import COLUMNS, id_check_char, mask

START, END = date(2023, 1, 1), date(2026, 6, 30)
CITY_COUNTIES = ("340402", "340403", "340404", "340405", "340406")  # one city: first four digits 3404
BIRTH_COUNTIES = CITY_COUNTIES + ("340100", "341200", "320102", "410102")
TOWNSHIPS = tuple(f"{c}{t:03d}" for c in CITY_COUNTIES for t in (1, 2, 3, 4))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海燕云飞鹏辉"
PER_CAPITA = (4200, 5600, 7000, 8800, 9600, 9650, 9700, 9800, 9900, 10000, 10200, 10500, 11000, 12500, 15000)
CATEGORIES = ("低保", "特困", "低保边缘", "支出型困难", "防返贫监测")
YEARS = ("2023-2024", "2024-2025", "2025-2026")
FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass
class Person:
    id: str
    name: str
    slot: int = 0  # claims fall on days with toordinal() % 12 == slot: people ever in one household never tie


@dataclass
class Household:
    id: str
    township: str
    members: list[Person]
    per_capita: int  # yuan
    status: dict[str, str] = field(default_factory=dict)
    income: int | None = None  # fen; when None, per_capita x size
    start: date = START  # first day on the roster

    @property
    def income_fen(self) -> int:
        return self.income if self.income is not None else self.per_capita * 100 * len(self.members)


class City:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.masks: set[str] = set()
        self.rows: dict[str, list[dict]] = defaultdict(list)  # feed -> rows (English names, raw values)
        self.late: dict[str, list[dict]] = defaultdict(list)  # rows only in the late file
        self.bad: dict[str, list[dict]] = defaultdict(list)  # rows that must become dead letters
        self.traps: list[dict] = []
        self.again: dict[str, list[dict]] = defaultdict(list)  # rows that must also appear in a re-export
        self.roster_days: dict[str, set[date]] = defaultdict(set)
        self.ever: dict[str, list[Person]] = defaultdict(list)  # household -> everyone ever in it
        self.homes_of: dict[str, list[str]] = defaultdict(list)  # person -> households ever
        self.serial = 0

    # ------------------------------------------------------------ small makers

    def next(self) -> int:
        self.serial += 1
        return self.serial

    def person(self, born: tuple[int, int] = (1940, 2000)) -> Person:
        while True:
            county = self.rng.choice(BIRTH_COUNTIES)
            birth = date(self.rng.randint(*born), 1, 1) + timedelta(days=self.rng.randint(0, 364))
            first17 = f"{county}{birth:%Y%m%d}{self.rng.randint(0, 999):03d}"
            number = first17 + id_check_char(first17)
            if mask(number) not in self.masks:
                self.masks.add(mask(number))
                name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.randint(1, 2)))
                return Person(number, name)

    def day(self, start: date = START, end: date = END, slot: int | None = None) -> date:
        while True:
            d = start + timedelta(days=self.rng.randint(0, (end - start).days))
            if (slot is None or d.toordinal() % 12 == slot) and (d.month, d.day) != (9, 1):
                return d

    def roster_row(self, hh: Household, person: Person, on: date, relation: str = "家庭成员",
                   basis: str = "家庭人均收入低于当地低保标准", grade: str = "") -> bool:
        if on in self.roster_days[person.id]:
            return False  # 身份证号+变更日期 is the row's key: one row per person per day
        self.roster_days[person.id].add(on)
        if hh.id not in self.homes_of[person.id]:
            self.homes_of[person.id].append(hh.id)
            self.ever[hh.id].append(person)
        self.rows["roster"].append({
            "id_number": person.id, "name": person.name, "household_id": hh.id, "relation": relation,
            "township_code": hh.township, "category": self.rng.choice(CATEGORIES),
            "status": hh.status.get(person.id, "在保"), "household_size": len(hh.members),
            "household_annual_income": hh.income_fen, "monthly_benefit": self.rng.choice((30000, 52000, 80000, 96000)),
            "basis": basis, "disability_grade": grade, "effective_date": on})
        return True

    def household_rows(self, hh: Household, on: date) -> None:
        for i, member in enumerate(hh.members):
            self.roster_row(hh, member, on, relation="户主" if i == 0 else "家庭成员")

    def claim(self, person: Person, on: date, out_of_pocket: int, *, late: bool = False, reversed_: bool = False) -> None:
        fund = self.rng.randint(0, 3) * out_of_pocket
        row = {"settlement_id": f"JS{on:%Y%m%d}{self.next():07d}", "id_number": person.id, "name": person.name,
               "settled_on": on, "visit_type": self.rng.choice(("门诊", "住院", "门特")), "total_cost": out_of_pocket + fund,
               "fund_paid": fund, "out_of_pocket": out_of_pocket, "provider": self.rng.choice(("市第一人民医院", "县中医院", "社区卫生服务中心"))}
        (self.late if late else self.rows)["medical"].append(row)
        if reversed_:
            back = on + timedelta(days=self.rng.randint(0, 40))
            self.rows["medical"].append({**row, "settled_on": back, "total_cost": -row["total_cost"],
                                         "fund_paid": -fund, "out_of_pocket": -out_of_pocket})

    def trap(self, person: Person, rule: str, fires: bool, why: str) -> None:
        self.traps.append({"subject": mask(person.id), "rule": rule, "fires": fires, "why": why})

    # ------------------------------------------------------------ the background city

    def households(self, count: int) -> list[Household]:
        """Households join the roster, then live: reviews and moves, applied in date order."""
        found, events = [], []
        for _ in range(count):
            members = [self.person() for _ in range(self.rng.choice((1, 1, 2, 2, 3, 3, 4, 4, 5)))]
            for slot, member in enumerate(members):
                member.slot = slot
            hh = Household(f"H{340000 + self.next()}", self.rng.choice(TOWNSHIPS), members, self.rng.choice(PER_CAPITA))
            hh.start = self.day(START, date(2024, 6, 30))
            for i, member in enumerate(hh.members):
                disabled = self.rng.random() < 0.08
                self.roster_row(hh, member, hh.start, relation="户主" if i == 0 else "家庭成员",
                                basis="肢体残疾二级，无劳动能力" if disabled else "家庭人均收入低于当地低保标准",
                                grade=str(self.rng.randint(1, 4)) if disabled else "")
            found.append(hh)
            on = hh.start + timedelta(days=self.rng.randint(90, 420))
            while on <= END:
                events.append((on, 1, hh.id, hh))
                on += timedelta(days=self.rng.randint(90, 420))
        events += [(self.day(date(2023, 6, 1), END), 0, "", None) for _ in range(count // 12)]
        for on, _, _, hh in sorted(events, key=lambda e: e[:3]):
            if hh is None:
                self.move(found, on)
            else:
                self.review(hh, on)
        return found

    def review(self, hh: Household, on: date) -> None:
        """A roster change: income review, the household exits or returns, one member leaves."""
        roll = self.rng.random()
        if roll < 0.45:
            hh.per_capita = max(3000, hh.per_capita + self.rng.choice((-800, -300, -100, 100, 300, 800)))
        elif roll < 0.6:
            hh.status = {m.id: "退出" for m in hh.members}
        elif roll < 0.75:
            hh.status = {}
        elif roll < 0.85 and len(hh.members) > 1:
            hh.status[self.rng.choice(hh.members[1:]).id] = "退出"
        self.household_rows(hh, on)

    def move(self, households: list[Household], on: date) -> None:
        """A member (never the head) leaves one household for another, both rewritten that day."""
        source, target = self.rng.sample([hh for hh in households if hh.start < on], 2)
        if len(source.members) < 2 or len(target.members) > 5:
            return
        mover = self.rng.choice(source.members[1:])
        companions = {p.id: p for h in [*self.homes_of[mover.id], target.id] for p in self.ever[h]}
        free = set(range(12)) - {p.slot for p in companions.values() if p.id != mover.id}
        if not free or any(on in self.roster_days[p.id] for p in source.members + target.members):
            return  # one set of figures per household per day: their order within the day is not ours to pick
        mover.slot = min(free)  # no one the mover ever lives with shares its claim days
        source.members.remove(mover)
        target.members.append(mover)
        target.status[mover.id] = source.status.pop(mover.id, "在保")
        self.household_rows(source, on)
        self.household_rows(target, on)

    def medical(self, people: list[Person]) -> None:
        for person in people:
            kind = self.rng.random()
            count, top = (1, 800) if kind < 0.6 else (3, 3000) if kind < 0.92 else (7, 12000)
            for _ in range(self.rng.randint(0, count * 3)):
                on = self.day(slot=person.slot)
                self.claim(person, on, self.rng.randint(5000, top * 100), reversed_=self.rng.random() < 0.04,
                           late=on.year == 2024 and self.rng.random() < 0.05)

    def education(self, guardians: list[Person]) -> None:
        for guardian in guardians:
            children = self.rng.choice((1, 1, 2))
            for _ in range(children):
                student = self.person(born=(2006, 2019))
                number = f"G{student.id}"
                stage = self.rng.choice(("小学", "初中", "高中", "中职", "高职", "本科"))
                for year in self.rng.sample(YEARS, self.rng.randint(1, 3)):
                    tuition = self.rng.choice((0, 120000, 350000, 600000, 650000, 800000))
                    boarding = self.rng.choice((0, 80000, 150000, 200000))
                    aid = self.rng.choice((0, 0, 50000, 100000, 300000))
                    if children > 1:
                        # Two students of one guardian share 1 September. With a negative net cost (aid
                        # above cost) beside a positive one, whether the household is across *between*
                        # them depends on how the two records are ordered within the day, which the
                        # contract does not say (the natural key 学籍号 carries an ID number the
                        # pipeline only sees keyed). Keep such pairs non-negative: the answer is then
                        # the same in any order.
                        aid = min(aid, tuition + boarding)
                    self.rows["education"].append({
                        "student_no": number, "student_id_number": student.id, "student_name": student.name,
                        "guardian_id_number": guardian.id, "stage": stage, "school_year": year,
                        "tuition": tuition, "boarding": boarding, "aid_received": aid})

    def person_feeds(self, people: list[Person], households: list[Household]) -> None:
        """Certificates, unemployment, disasters, rural monitoring, hukou, vehicles, businesses at random."""
        rng = self.rng
        for person in rng.sample(people, len(people) // 12):
            number = person.id + f"{rng.randint(1, 7)}{rng.randint(1, 4)}"
            issued = self.day(START, date(2025, 6, 30))
            self.rows["disability"].append(self.certificate(person, number, "新办", rng.randint(1, 4), issued))
            later = self.day(issued + timedelta(days=30), END)
            action = rng.choice(("换领", "等级变更", "注销"))
            self.rows["disability"].append(self.certificate(person, number, action, rng.randint(1, 4), later))
        for person in rng.sample(people, len(people) // 10):
            self.rows["employment"].append({"id_number": person.id, "name": person.name, "registered_on": self.day(),
                                            "action": rng.choice(("失业登记", "就业登记")), "employer": "某某有限公司"})
        for hh in rng.sample(households, len(households) // 15):
            self.rows["disaster"].append({"head_id_number": hh.members[0].id, "name": hh.members[0].name,
                                          "township_code": hh.township, "hazard": rng.choice(("洪涝", "风雹", "干旱")),
                                          "loss": rng.choice((500000, 999999, 1000000, 2500000, 4999999, 5000000, 300000)),
                                          "reported_on": self.day()})
        for person in rng.sample(people, len(people) // 15):
            self.rural(person, "纳入", self.day(), rng.choice(TOWNSHIPS))
        for person in rng.sample(people, len(people) // 25):
            action = rng.choice(("迁出", "迁出", "迁入", "服刑", "刑满释放"))
            destination = rng.choice(("340404", "340406", "340100", "320102", "340500", "110101")) if action == "迁出" else ""
            self.hukou(person, action, self.day(), destination)
        for person in rng.sample(people, len(people) // 15):
            self.vehicle(person, rng.choice(("小型轿车", "小型越野车", "中型客车", "货车", "摩托车", "三轮汽车", "残疾人专用车")),
                         rng.choice(("注册登记", "注册登记", "转入登记", "注销登记")),
                         rng.choice((800000, 4999999, 5000000, 5000001, 12000000, 0)), self.day())
        for person in rng.sample(people, len(people) // 20):
            self.business(person, rng.choice(("个体工商户", "个体工商户", "有限责任公司", "股份有限公司", "农民专业合作社")),
                          rng.choice((5000000, 9999999, 10000000, 50000000)), rng.choice(("设立", "设立", "注销")), self.day())

    def certificate(self, person: Person, number: str, action: str, grade: int, on: date) -> dict:
        return {"certificate_no": number, "id_number": person.id, "name": person.name,
                "category": self.rng.choice(("视力", "听力", "言语", "肢体", "智力", "精神", "多重")),
                "grade": self.rng.choice((f"{'一二三四'[grade - 1]}级", str(grade))), "action": action, "issued_on": on}

    def rural(self, person: Person, action: str, on: date, township: str) -> None:
        self.rows["rural"].append({"id_number": person.id, "name": person.name, "township_code": township,
                                   "monitor_type": self.rng.choice(("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")),
                                   "risk_type": self.rng.choice(("因病", "因学", "因残", "因灾", "因意外", "因失业", "其他")),
                                   "action": action, "action_date": on})

    def hukou(self, person: Person, action: str, on: date, destination: str = "") -> None:
        self.rows["hukou"].append({"id_number": person.id, "name": person.name, "action": action,
                                   "destination_code": destination, "action_date": on})

    def vehicle(self, person: Person, kind: str, action: str, price: int, on: date) -> None:
        plate = f"皖D{self.next():05d}"
        self.rows["vehicle"].append({"plate_no": plate, "id_number": person.id, "name": person.name, "vehicle_type": kind,
                                     "action": action, "purchase_price": price, "registered_on": on})

    def unit(self, person: Person, number: str, use: str, action: str, on: date) -> None:
        self.rows["property"].append({"unit_no": number, "id_number": person.id, "name": person.name, "use": use,
                                      "floor_area": self.rng.randint(3000, 15000), "action": action, "registered_on": on})

    def business(self, person: Person, entity: str, capital: int, action: str, on: date) -> None:
        code = f"92{self.rng.choice(CITY_COUNTIES)}MA{self.next():06d}X"
        self.rows["business"].append({"credit_code": code, "id_number": person.id, "name": person.name,
                                      "entity_type": entity, "registered_capital": capital, "action": action,
                                      "action_date": on})

    def properties(self, households: list[Household]) -> None:
        """Homes and shops bought and sold by members, each member's records on days of their own slot and
        never two on one day, so no two records of a household share a day (their order within a day
        would decide a crossing, and the contract leaves it open)."""
        for hh in self.rng.sample(households, len(households) // 6):
            for member in hh.members:
                used: set[date] = set()
                for _ in range(self.rng.choice((0, 1, 1, 2))):
                    number = f"{hh.township}{self.next():06d}GB{self.rng.randint(0, 99999):05d}F0001"
                    use = self.rng.choice(("住宅", "住宅", "住宅", "商业", "办公", "工业"))
                    bought = self.unused_day(used, START, END, member.slot)
                    self.unit(member, number, use, "取得", bought)
                    if self.rng.random() < 0.4 and bought < END - timedelta(days=60):
                        self.unit(member, number, use, "注销", self.unused_day(used, bought + timedelta(days=30), END, member.slot))

    def unused_day(self, used: set[date], start: date, end: date, slot: int) -> date:
        while (on := self.day(start, end, slot)) in used:
            pass
        used.add(on)
        return on

    def deaths(self, households: list[Household], outsiders: list[Person]) -> None:
        """Deaths among members (some still paid after) and outsiders: funeral, hukou or both."""
        people = [m for hh in households for m in hh.members] + outsiders
        for person in self.rng.sample(people, len(people) // 60):
            died = self.day(date(2023, 3, 1), date(2026, 3, 1))
            roll = self.rng.random()
            if roll < 0.8:
                self.rows["funeral"].append({"record_no": f"HH{self.next():08d}", "id_number": person.id,
                                             "name": person.name, "died_on": died,
                                             "cremated_on": died + timedelta(days=self.rng.randint(1, 5)),
                                             "facility": self.rng.choice(("市殡仪馆", "县殡仪馆"))})
            if roll > 0.3:
                self.hukou(person, "死亡注销", died + timedelta(days=self.rng.randint(5, 120)))


# ---------------------------------------------------------------- writing files


MONEY_FIELDS = {"household_annual_income", "monthly_benefit", "total_cost", "fund_paid", "out_of_pocket", "tuition",
                "boarding", "aid_received", "loss", "purchase_price", "registered_capital", "floor_area"}
ID_FIELDS = {"id_number", "student_id_number", "guardian_id_number", "head_id_number"}


def shape(rng: random.Random, name: str, value) -> str:
    """One value in one of the shapes section 1 allows."""
    if isinstance(value, date):
        return value.strftime(rng.choice(("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")))
    if name in MONEY_FIELDS and isinstance(value, int):
        sign, fen = ("-" if value < 0 else ""), abs(value)
        text = f"{fen // 100}.{fen % 100:02d}" if fen % 100 or rng.random() < 0.5 else str(fen // 100)
        roll = rng.random()
        if name != "floor_area" and roll < 0.15:
            text = f"{fen // 100:,}.{fen % 100:02d}"
        elif name != "floor_area" and roll < 0.25:
            text += "元"
        return sign + text
    if name in ID_FIELDS:
        roll = rng.random()
        return value.translate(FULL) if roll < 0.03 else value.lower() if roll < 0.2 else f" {value} " if roll < 0.25 else value
    return str(value)


def write_file(path: Path, feed: str, rows: list[dict], rng: random.Random) -> None:
    chinese = list(COLUMNS[feed])
    english = rng.random() < 0.3
    header = [COLUMNS[feed][c] if english else c for c in chinese]
    extra = rng.random() < 0.3
    order = list(range(len(header)))
    if rng.random() < 0.3:
        rng.shuffle(order)  # column order is free
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if rng.random() < 0.5 else "\n")
    writer.writerow([header[i] for i in order] + (["备注"] if extra else []))
    for row in rows:
        cells = [shape(rng, COLUMNS[feed][c], row.get(COLUMNS[feed][c], "")) for c in chinese]
        writer.writerow([cells[i] for i in order] + (["无"] if extra else []))
    encoding = rng.choice(("utf-8", "utf-8-sig", "gb18030"))
    path.write_bytes(buffer.getvalue().encode(encoding))


KEYS = {  # the natural key of each feed (section 1); medical adds the sign of its amounts
    "roster": ("id_number", "effective_date"), "medical": ("settlement_id",), "disability": ("certificate_no", "action", "issued_on"),
    "funeral": ("record_no",), "education": ("student_no", "school_year"), "employment": ("id_number", "action", "registered_on"),
    "disaster": ("head_id_number", "reported_on"), "rural": ("id_number", "action", "action_date"),
    "hukou": ("id_number", "action", "action_date"), "vehicle": ("plate_no", "action", "registered_on"),
    "property": ("unit_no", "id_number", "action", "registered_on"), "business": ("credit_code", "action", "action_date"),
}


def natural_key(feed: str, row: dict) -> tuple:
    key = tuple(row[name] for name in KEYS[feed])
    return key + ((row["out_of_pocket"] < 0,) if feed == "medical" else ())


def distinct(feed: str, rows: list[dict], seen: set) -> list[dict]:
    """Drop a row whose natural key an earlier row already holds (random collisions of the background)."""
    kept = []
    for row in rows:
        key = natural_key(feed, row)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def event_year(feed: str, row: dict) -> int:
    if feed == "education":
        return int(row["school_year"][:4])
    return next(v for v in row.values() if isinstance(v, date)).year


def write_city(out: Path, *, seed: int = 7, households: int = 900) -> dict[str, int]:
    """Write the city into `out`; return rows written per feed (re-exports and dead letters included)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    city = City(seed)
    homes = city.households(households)
    outsiders = [city.person() for _ in range(households // 2)]
    for person in outsiders:
        person.slot = city.rng.randint(0, 11)
    members = [m for hh in homes for m in hh.members]
    city.medical(members + outsiders)
    city.education([hh.members[0] for hh in city.rng.sample(homes, households // 5)] + outsiders[: len(outsiders) // 5])
    city.person_feeds(members + outsiders, homes)
    city.properties(homes)
    city.deaths(homes, outsiders)
    plant_traps(city)
    rng = random.Random(seed * 7919 + 1)
    written: dict[str, int] = defaultdict(int)
    for feed in COLUMNS:
        seen: set = set()
        city.rows[feed] = distinct(feed, city.rows[feed], seen)
        city.late[feed] = distinct(feed, city.late[feed], seen)
        by_year: dict[int, list[dict]] = defaultdict(list)
        for row in city.rows[feed]:
            by_year[event_year(feed, row)].append(row)
        for year, rows in sorted(by_year.items()):
            rng.shuffle(rows)
            write_file(out / f"{feed}_{year}.csv", feed, rows, rng)
            written[feed] += len(rows)
        if city.bad[feed]:
            write_file(out / f"{feed}_bad.csv", feed, city.bad[feed], rng)
            written[feed] += len(city.bad[feed])
    for feed, year in (("medical", 2024), ("roster", 2023), ("hukou", 2025), ("property", 2024)):
        again = [r for r in city.rows[feed] if event_year(feed, r) == year and rng.random() < 0.3]
        again += [r for r in city.again[feed] if not any(r is a for a in again)]
        write_file(out / f"{feed}_{year}_reexport.csv", feed, again, rng)  # same rows, other shapes
        written[feed] += len(again)
    for feed, rows in city.late.items():
        if not rows:
            continue
        write_file(out / f"{feed}_zz_late.csv", feed, rows, rng)  # a hospital's late export: old claims, read last
        written[feed] += len(rows)
    with (out / "traps.jsonl").open("w", encoding="utf-8") as handle:
        for trap in city.traps:
            handle.write(json.dumps(trap, ensure_ascii=False) + "\n")
    return dict(written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--households", type=int, default=900)
    args = parser.parse_args()
    written = write_city(args.out, seed=args.seed, households=args.households)
    print(f"{sum(written.values())} rows: " + ", ".join(f"{feed} {n}" for feed, n in sorted(written.items())))


if __name__ == "__main__":
    main()
