"""A synthetic city: a year of department exports, with planted cases for every rule.

scale 1.0 ≈ 130,000 monitored people in ≈ 55,000 households, plus ≈ 100,000 residents who are
not on the roster. Background activity is random but seeded; planted people get no background
activity, so each planted case (and its near miss just under the threshold) stays exact.
`planted.jsonl` beside the CSV files says who was planted for what (synthetic IDs only).

Files: roster.csv (UTF-8 with BOM), medical.csv and disaster.csv (GB18030), the rest UTF-8.
"""
from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from producers.identity import check_char
from producers import (disability as disability_feed, disaster as disaster_feed, education as education_feed,
                       employment as employment_feed, funeral as funeral_feed, medical as medical_feed,
                       roster as roster_feed)

COUNTIES = ("340403", "340404", "340405")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘蒋蔡余杜叶程苏魏吕任沈姚卢姜崔钟谭陆汪范金廖贾夏韦付邹孟熊秦邱尹薛闫段侯史陶黎贺顾毛郝龚邵万钱严覃戴莫孔汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英玉萍红兰凤建辉鹏飞斌宇浩凯俊帆帅旭欣婷雪慧颖琳晶倩梅莉燕彤"
PROVIDERS = ("淮南市第一人民医院", "淮南市中医院", "田家庵区社区卫生服务中心", "谢家集区卫生院", "八公山区医院", "东方医院")
FACILITIES = ("淮南市殡仪馆", "凤台县殡仪馆")
EMPLOYERS = ("淮南矿业集团", "田家庵区建筑公司", "个体工商户", "市政工程处", "")
HAZARDS = ("洪涝", "风雹", "火灾", "地质灾害")
CATEGORIES = ("低保", "低保", "低保", "特困", "低保边缘", "支出型困难", "防返贫监测")
BASES = ("家庭收入低于标准", "因病致贫", "重度残疾", "残疾人家庭", "缺乏劳动能力", "因学致贫")
DIS_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
GRADE_TEXT = ("一级", "二级", "三级", "四级")
STAGES = ("小学", "初中", "高中", "中职", "高职", "本科")
RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女")
HEADERS = {m.__name__.rsplit(".", 1)[1]: list(m.COLUMNS) for m in (
    roster_feed, medical_feed, disability_feed, funeral_feed, education_feed, employment_feed, disaster_feed)}
ENCODINGS = {"roster": "utf-8-sig", "medical": "gb18030", "disaster": "gb18030"}


@dataclass
class Person:
    id_number: str
    name: str
    born: date
    household: str | None = None  # 户编号 when on the roster
    township: str = ""


@dataclass
class City:
    """Rows per feed (lists of cells, in COLUMNS order) and the planted cases."""

    start: date
    days: int
    rnd: random.Random
    rows: dict[str, list[list[str]]] = field(default_factory=lambda: {f: [] for f in HEADERS})
    planted: list[dict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    seq: int = 0

    # --- people ---------------------------------------------------------------------------------
    def new_id(self, county: str, born: date) -> str:
        while True:
            first17 = f"{county}{born:%Y%m%d}{self.rnd.randrange(1000):03d}"
            id_number = first17 + check_char(first17)
            if id_number not in self.ids:
                self.ids.add(id_number)
                return id_number

    def person(self, age_from: int = 18, age_to: int = 85, county: str | None = None) -> Person:
        rnd = self.rnd
        county = county or rnd.choice(COUNTIES)
        born = self.start - timedelta(days=rnd.randrange(age_from * 365, age_to * 365 + 1))
        name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
        return Person(self.new_id(county, born), name, born, township=f"{county}{rnd.randrange(1, 13):03d}")

    def next_no(self) -> int:
        self.seq += 1
        return self.seq

    def day(self, offset: int) -> date:
        """A day of the simulated period (planted cases assume about 300 days; shorter runs clamp)."""
        return self.start + timedelta(days=min(offset, self.days - 1))

    def plant(self, rule: str, expect: bool, who: Person, note: str) -> None:
        self.planted.append({"rule": rule, "fires": expect, "id_number": who.id_number, "note": note})

    # --- formatting: exports vary, so do we -----------------------------------------------------
    def date_text(self, d: date) -> str:
        r = self.rnd.random()
        return d.isoformat() if r < 0.9 else f"{d:%Y/%m/%d}" if r < 0.95 else f"{d:%Y%m%d}"

    def money(self, fen: int) -> str:
        sign, fen = ("-" if fen < 0 else ""), abs(fen)
        r = self.rnd.random()
        if r < 0.9:
            return f"{sign}{fen // 100}.{fen % 100:02d}"
        if r < 0.95:
            return f"{sign}{fen // 100:,}.{fen % 100:02d}"
        return f"{sign}{fen // 100}.{fen % 100:02d}元"

    # --- rows, one method per feed ----------------------------------------------------------
    def roster(self, who: Person, household: str, relation: str, size: int, income: int, on: date,
               status: str = "在保", category: str = "低保", basis: str = "家庭收入低于标准", grade: str = "") -> None:
        benefit = 0 if status == "退出" else max(0, 80_000 * size - income // 12) // size
        self.rows["roster"].append([who.id_number, who.name, household, relation, who.township, category, status,
                                    str(size), self.money(income), self.money(benefit), basis, grade,
                                    self.date_text(on)])

    def medical(self, who: Person, on: date, oop: int, visit: str = "门诊", reversal_on: date | None = None) -> None:
        fund = oop * self.rnd.choice((1, 2, 3))
        sid = f"JS{on:%Y%m%d}{self.next_no():08d}"
        provider = self.rnd.choice(PROVIDERS)
        row = [sid, who.id_number, who.name, self.date_text(on), visit, self.money(oop + fund), self.money(fund),
               self.money(oop), provider]
        self.rows["medical"].append(row)
        if reversal_on is not None:
            self.rows["medical"].append([sid, who.id_number, who.name, self.date_text(reversal_on), visit,
                                         self.money(-oop - fund), self.money(-fund), self.money(-oop), provider])

    def certificate(self, who: Person, on: date, grade: int, action: str = "新办") -> None:
        suffix = f"{self.rnd.randrange(1, 8)}{grade}"
        self.rows["disability"].append([who.id_number + suffix, who.id_number, who.name,
                                        self.rnd.choice(DIS_CATEGORIES), self.grade_text(grade), action,
                                        self.date_text(on)])

    def grade_text(self, grade: int) -> str:
        return GRADE_TEXT[grade - 1] if self.rnd.random() < 0.7 else str(grade)

    def funeral(self, who: Person, died: date) -> None:
        cremated = died + timedelta(days=self.rnd.randrange(1, 5))
        self.rows["funeral"].append([f"HH{died:%Y}{self.next_no():08d}", who.id_number, who.name,
                                     self.date_text(died), self.date_text(cremated), self.rnd.choice(FACILITIES)])

    def education(self, student: Person, guardian: Person, year: int, tuition: int, boarding: int, aid: int) -> None:
        self.rows["education"].append(["G" + student.id_number, student.id_number, student.name, guardian.id_number,
                                       self.rnd.choice(STAGES), f"{year}-{year + 1}", self.money(tuition),
                                       self.money(boarding), self.money(aid)])

    def employment(self, who: Person, on: date, action: str = "失业登记") -> None:
        self.rows["employment"].append([who.id_number, who.name, action, self.date_text(on),
                                        self.rnd.choice(EMPLOYERS)])

    def disaster(self, head: Person, on: date, loss: int) -> None:
        self.rows["disaster"].append([head.id_number, head.name, head.township, self.rnd.choice(HAZARDS),
                                      self.money(loss), self.date_text(on)])


# --- the population ------------------------------------------------------------------------------

def household(city: City, size: int, per_capita: int, on: date, status: str = "在保", basis: str = "家庭收入低于标准",
              grade: str = "") -> list[Person]:
    """A roster household: a head and size-1 members, one roster row each, all dated `on`."""
    rnd = city.rnd
    head = city.person(25, 80)
    hh_id = f"HH{head.township}{city.next_no():07d}"
    members = [head] + [city.person(1, 80, head.id_number[:6]) for _ in range(size - 1)]
    for i, m in enumerate(members):
        m.household, m.township = hh_id, head.township
        relation = "户主" if i == 0 else rnd.choice(RELATIONS[1:])
        city.roster(m, hh_id, relation, size, per_capita * size, on, status, rnd.choice(CATEGORIES), basis, grade)
    return members


def background(city: City, scale: float) -> None:
    """Random but realistic activity for the monitored population and other residents."""
    rnd, days = city.rnd, city.days
    before = city.start - timedelta(days=1)
    roster_people: list[list[Person]] = []
    for _ in range(int(55_000 * scale)):
        size = rnd.choices((1, 2, 3, 4, 5), (25, 30, 25, 13, 7))[0]
        basis = rnd.choice(BASES)
        grade = str(rnd.randrange(1, 5)) if "残疾" in basis else ""
        on = before - timedelta(days=rnd.randrange(700))
        roster_people.append(household(city, size, rnd.randrange(150_000, 1_300_000), on, basis=basis, grade=grade))
    residents = [city.person(0, 90) for _ in range(int(100_000 * scale))]
    everyone = [p for hh in roster_people for p in hh] + residents
    for hh in roster_people:
        roll = rnd.random()
        if roll < 0.05:  # leaves the roster during the year
            on = city.day(rnd.randrange(days))
            for m in hh:
                city.roster(m, m.household, "户主" if m is hh[0] else "配偶", len(hh), 1_200_000 * len(hh), on, "退出")
        elif roll < 0.10:  # income re-assessed
            on = city.day(rnd.randrange(days))
            city.roster(hh[0], hh[0].household, "户主", len(hh), rnd.randrange(150_000, 1_100_000) * len(hh), on)
    for p in everyone:
        for _ in range(rnd.choices((0, 1, 2, 3, 5), (40, 25, 15, 12, 8))[0]):
            inpatient = rnd.random() < 0.08
            oop = rnd.randrange(200_000, 1_500_000) if inpatient else rnd.randrange(1_000, 80_000)
            rev = city.day(rnd.randrange(days)) if rnd.random() < 0.01 else None
            on = city.day(rnd.randrange(days))
            city.medical(p, on, oop, "住院" if inpatient else rnd.choice(("门诊", "门特")),
                         max(on, rev) if rev else None)
    for p in rnd.sample(everyone, int(len(everyone) * 0.02)):
        city.certificate(p, city.day(rnd.randrange(days)), rnd.choices((1, 2, 3, 4), (5, 15, 35, 45))[0],
                         rnd.choice(("新办", "新办", "换领")))
    for p in rnd.sample(residents, int(len(residents) * 0.006)):
        city.funeral(p, city.day(rnd.randrange(days)))
    for hh in roster_people:
        for child in (m for m in hh[1:] if 6 <= (city.start - m.born).days // 365 <= 22 and rnd.random() < 0.5):
            city.education(child, hh[0], city.start.year, rnd.randrange(0, 500_000), rnd.randrange(0, 150_000),
                           rnd.randrange(0, 200_000) if rnd.random() < 0.7 else 0)
    for p in rnd.sample(everyone, int(len(everyone) * 0.01)):
        city.employment(p, city.day(rnd.randrange(days)), rnd.choice(("失业登记", "就业登记")))
    for hh in rnd.sample(roster_people, int(len(roster_people) * 0.005)):
        city.disaster(hh[0], city.day(rnd.randrange(days)), rnd.randrange(10_000, 800_000))


# --- planted cases: each fires, and a near miss just under its threshold does not ---------------

def plant_medical_burden(city: City) -> None:
    who = city.person()
    for oop in (1_500_000, 1_000_000, 500_000):
        city.medical(who, city.day(city.rnd.randrange(10, 300)), oop, "住院")
    city.plant("medical_burden", True, who, "out of pocket 30,000.00 exactly, not on the roster")
    miss = city.person()
    city.medical(miss, city.day(20), 1_999_999, "住院")
    city.medical(miss, city.day(200), 1_000_000, "住院")
    city.plant("medical_burden", False, miss, "29,999.99")
    rev = city.person()
    city.medical(rev, city.day(30), 2_500_000, "住院")
    city.medical(rev, city.day(60), 1_000_000, "住院", reversal_on=city.day(90))
    city.plant("medical_burden", False, rev, "35,000 claimed, 10,000 reversed")


def plant_expenditure_hardship(city: City) -> None:
    on = city.start - timedelta(days=30)
    members = household(city, 3, 1_000_000, on)  # 10,000 per head
    city.medical(members[1], city.day(100), 200_000, "住院")  # (30,000 - 2,000) / 3 = 9,333 < 9,600
    city.plant("expenditure_hardship", True, members[1], "household of 3, income 30,000, spend 2,000")
    near = household(city, 3, 1_000_000, on)
    city.medical(near[1], city.day(100), 120_000, "住院")  # (30,000 - 1,200) / 3 = 9,600: not below
    city.plant("expenditure_hardship", False, near[1], "per head after spend exactly 9,600")
    poor = household(city, 2, 900_000, on)
    city.medical(poor[0], city.day(50), 300_000, "住院")  # income alone already under the line
    city.plant("expenditure_hardship", False, poor[0], "income alone below the line")
    school = household(city, 4, 1_000_000, on)
    student = city.person(7, 12, school[0].id_number[:6])
    city.education(student, school[0], city.start.year, 300_000, 100_000, 0)  # (40,000 - 4,000) / 4 = 9,000
    city.plant("expenditure_hardship", True, school[0], "education net cost 4,000 pushes a household of 4 under")


def plant_new_severe_disability(city: City) -> None:
    for grade, action, fires in ((1, "新办", True), (2, "等级变更", True), (3, "新办", False), (1, "换领", False)):
        who = city.person()
        city.certificate(who, city.day(city.rnd.randrange(city.days)), grade, action)
        city.plant("new_severe_disability", fires, who, f"{action} grade {grade}")


def plant_education_burden(city: City) -> None:
    on = city.start - timedelta(days=60)
    for net, status, fires in ((800_000, "在保", True), (799_999, "在保", False), (1_200_000, "退出", False)):
        members = household(city, 2, 400_000, on, status=status)
        student = city.person(15, 20, members[0].id_number[:6])
        city.education(student, members[0], city.start.year, net + 100_000, 50_000, 150_000)
        city.plant("education_burden", fires, student, f"net {net / 100:.2f}, guardian {status}")


def plant_income_shock(city: City) -> None:
    on = city.start - timedelta(days=10)
    jobless = household(city, 3, 500_000, on)
    city.employment(jobless[1], city.day(40))
    city.plant("income_shock", True, jobless[1], "失业登记 in an active household")
    hired = household(city, 3, 500_000, on)
    city.employment(hired[1], city.day(40), "就业登记")
    city.plant("income_shock", False, hired[1], "就业登记")
    outsider = city.person()
    city.employment(outsider, city.day(40))
    city.plant("income_shock", False, outsider, "失业登记, not on the roster")
    for loss, fires in ((1_000_000, True), (999_999, False), (6_000_000, True)):
        heads = household(city, 2, 500_000, on)
        city.disaster(heads[0], city.day(70), loss)
        city.plant("income_shock", fires, heads[0], f"disaster loss {loss / 100:.2f}")


def plant_deceased_recipient(city: City) -> None:
    on = city.start - timedelta(days=100)
    active = household(city, 1, 400_000, on)[0]
    city.funeral(active, city.day(80))
    city.plant("deceased_recipient", True, active, "dies while 在保")
    late = city.person(70, 90)
    late.household = f"HH{late.township}{city.next_no():07d}"
    city.funeral(late, city.day(20))
    city.roster(late, late.household, "户主", 1, 300_000, city.day(50))
    city.plant("deceased_recipient", True, late, "put on the roster after death")
    gone = household(city, 1, 400_000, on)[0]
    city.roster(gone, gone.household, "户主", 1, 400_000, city.day(30), "退出")
    city.funeral(gone, city.day(31))
    city.plant("deceased_recipient", False, gone, "left the roster the day before death")


def plant_disability_mismatch(city: City) -> None:
    on = city.start - timedelta(days=200)
    for basis, action, grade, fires in (("重度残疾", "注销", 2, True), ("残疾人家庭", "等级变更", 3, True),
                                        ("重度残疾", "等级变更", 2, False), ("因病致贫", "注销", 1, False)):
        who = household(city, 1, 300_000, on, basis=basis, grade="2")[0]
        city.certificate(who, city.day(150), grade, action)
        city.plant("disability_mismatch", fires, who, f"认定依据 {basis}, {action} grade {grade}")


PLANTS = (plant_medical_burden, plant_expenditure_hardship, plant_new_severe_disability, plant_education_burden,
          plant_income_shock, plant_deceased_recipient, plant_disability_mismatch)


# --- the city, written out ---------------------------------------------------------------------

def build(scale: float, seed: int, start: date, days: int, copies: int | None = None) -> City:
    """Background activity plus `copies` of every planted case (default grows with scale)."""
    city = City(start=start, days=max(1, days), rnd=random.Random(seed))
    background(city, scale)
    for _ in range(copies if copies is not None else max(1, round(10 * scale))):
        for plant in PLANTS:
            plant(city)
    re_export(city, 0.01)
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
             ) -> dict[str, int]:
    return write(build(scale, seed, start, days), out)
