"""The synthetic city's building blocks: people with valid IDs, households, and one row writer per feed.

`simulate.py` fills a year with background activity; `planted.py` adds the cases every rule must
find (and near misses that must not fire). Exports vary as real ones do: three date formats,
thousands separators and 元 suffixes, grades as 一级 or 1.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from producers.identity import check_char
from producers.reader import feed_module
from schemas.envelope import FEEDS
from schemas.townships import places

COUNTIES = ("340403", "340404", "340405")
# real codes of the city file (infra/townships/huainan.csv), so every generated township has a name
TOWNSHIPS = {county: [t.code for t in places().townships(county)] for county in COUNTIES}
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
MONITOR_TYPES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
RISK_TYPES = ("因病", "因学", "因残", "因灾", "因意外", "因失业", "其他")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
HEADERS = {feed: list(feed_module(feed).COLUMNS) for feed in FEEDS}
ENCODINGS = {"roster": "utf-8-sig", "medical": "gb18030", "disaster": "gb18030", "hukou": "gb18030",
             "property": "utf-8-sig"}


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
        return Person(self.new_id(county, born), name, born, township=rnd.choice(TOWNSHIPS.get(county) or [f"{county}001"]))

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

    # --- version 2 registries -------------------------------------------------------------------
    def rural(self, who: Person, on: date, action: str = "纳入", monitor: str | None = None) -> None:
        self.rows["rural"].append([who.id_number, who.name, who.township or f"{who.id_number[:6]}001",
                                   monitor or self.rnd.choice(MONITOR_TYPES), self.rnd.choice(RISK_TYPES), action,
                                   self.date_text(on)])

    def hukou(self, who: Person, on: date, action: str, destination: str = "") -> None:
        self.rows["hukou"].append([who.id_number, who.name, action, destination, self.date_text(on)])

    def plate(self) -> str:
        """A unique 皖D plate: five digits and letters, after a further D on a new-energy car."""
        n, chars, out = self.next_no(), "0123456789" + PLATE_LETTERS, ""
        for _ in range(5):
            n, r = divmod(n, len(chars))
            out = chars[r] + out
        return f"皖D{out}" if self.rnd.random() < 0.9 else f"皖DD{out}"

    def vehicle(self, who: Person, on: date, vehicle_type: str, price: int, action: str = "注册登记",
                plate: str | None = None) -> str:
        plate = plate or self.plate()
        self.rows["vehicle"].append([plate, who.id_number, who.name, vehicle_type, action,
                                     "" if action == "注销登记" and self.rnd.random() < 0.5 else self.money(price),
                                     self.date_text(on)])
        return plate

    def unit(self, county: str) -> str:
        """A 28-character 不动产单元号 (GB/T 37346 shape)."""
        return f"{county}{self.rnd.randrange(1, 13):03d}{self.rnd.randrange(1, 50):03d}GB{self.next_no():05d}F" \
               f"{self.rnd.randrange(1, 99):04d}{self.rnd.randrange(1, 3000):04d}"

    def property(self, who: Person, on: date, use: str = "住宅", action: str = "取得", unit: str | None = None,
                 area: int | None = None) -> str:
        unit = unit or self.unit(who.id_number[:6])
        area = area if area is not None else self.rnd.randrange(3_000, 16_000)  # 30.00 to 160.00 m²
        self.rows["property"].append([unit, who.id_number, who.name, use, f"{area // 100}.{area % 100:02d}", action,
                                      self.date_text(on)])
        return unit

    def business(self, who: Person, on: date, entity_type: str, capital: int, action: str = "设立",
                 code: str | None = None) -> str:
        code = code or f"9{'2' if entity_type == '个体工商户' else '1'}{who.id_number[:6]}MA{self.next_no():08d}"[:18]
        self.rows["business"].append([code, who.id_number, who.name, entity_type,
                                      "" if action == "注销" else self.money(capital), action, self.date_text(on)])
        return code


# --- households ----------------------------------------------------------------------------------

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
