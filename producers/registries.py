"""Background activity of the five registries added in contract version 2, at realistic yearly rates.

Most of it concerns residents who are not on the roster (it raises nothing); a small share
concerns monitored people, as real audits find: a recipient who buys a car or founds a company,
moves out of the city or is jailed. Planted cases (planted_registries.py) are separate people.
"""
from __future__ import annotations

from datetime import date, timedelta

from producers.city import COUNTIES, City, Person

IN_CITY = (*COUNTIES, "340421", "340422")  # Huainan: every county code starts 3404
ELSEWHERE = ("320102", "310115", "340104", "440305", "330106", "341202")
CARS = ("小型轿车", "小型越野车", "中型客车")
CHEAP = ("摩托车", "三轮汽车", "货车", "残疾人专用车")


def registries(city: City, households: list[list[Person]], residents: list[Person]) -> None:
    members = adults(city, [p for hh in households for p in hh])
    rural(city, households, residents)
    residents = adults(city, residents)
    hukou(city, members, residents)
    vehicles(city, members, residents)
    properties(city, households, residents)
    businesses(city, members, residents)


def adults(city: City, people: list[Person]) -> list[Person]:
    return [p for p in people if (city.start - p.born).days >= 18 * 365]


def some(city: City, people: list, share: float) -> list:
    return city.rnd.sample(people, int(len(people) * share))


def when(city: City) -> date:
    return city.day(city.rnd.randrange(city.days))


def rural(city: City, households: list[list[Person]], residents: list[Person]) -> None:
    """1.5 % of monitored households are also watched by the rural bureau; 0.4 % of residents are not ours."""
    for hh in some(city, households, 0.015) + [[p] for p in some(city, residents, 0.004)]:
        on = when(city)
        city.rural(hh[0], on)
        if city.rnd.random() < 0.3:
            city.rural(hh[0], on + timedelta(days=city.rnd.randrange(60, 200)), "消除")


def hukou(city: City, members: list[Person], residents: list[Person]) -> None:
    """Moves out (most of them out of the city), moves in, prison terms and releases."""
    rnd = city.rnd
    for p in some(city, residents, 0.015) + some(city, members, 0.003):
        city.hukou(p, when(city), "迁出", rnd.choice(ELSEWHERE if rnd.random() < 0.6 else IN_CITY))
    for p in some(city, residents, 0.01):
        city.hukou(p, when(city), "迁入")
    for p in some(city, residents, 0.001) + some(city, members, 0.0003):
        city.hukou(p, when(city), rnd.choice(("服刑", "刑满释放")))
    for p in some(city, residents, 0.001):  # buried at home: no funeral record
        city.hukou(p, when(city), "死亡注销")


def vehicles(city: City, members: list[Person], residents: list[Person]) -> None:
    """4 % of residents register a car (1 in 4 later sold on); recipients mostly cheap vehicles."""
    rnd = city.rnd
    for p in some(city, residents, 0.04):
        on, car, price = when(city), rnd.choice(CARS), rnd.randrange(4_000_000, 30_000_000)
        plate = city.vehicle(p, on, car, price, rnd.choice(("注册登记", "注册登记", "转入登记")))
        if rnd.random() < 0.25:
            city.vehicle(p, on + timedelta(days=rnd.randrange(30, 300)), car, price, "注销登记", plate)
    for p in some(city, members, 0.004):
        cheap = rnd.random() < 0.85
        city.vehicle(p, when(city), rnd.choice(CHEAP) if cheap else "小型轿车",
                     rnd.randrange(300_000, 4_000_000) if cheap else rnd.randrange(1_500_000, 9_000_000))


def properties(city: City, households: list[list[Person]], residents: list[Person]) -> None:
    """2 % of residents buy a home and 0.3 % a shop; 0.3 % of monitored households acquire a home."""
    rnd = city.rnd
    for p in some(city, residents, 0.02):
        on = when(city)
        unit = city.property(p, on)
        if rnd.random() < 0.2:
            city.property(p, on + timedelta(days=rnd.randrange(30, 300)), "住宅", "注销", unit)
    for p in some(city, residents, 0.003):
        city.property(p, when(city), rnd.choice(("商业", "办公", "工业")))
    for hh in some(city, households, 0.003):
        city.property(rnd.choice(adults(city, hh) or hh), when(city))


def businesses(city: City, members: list[Person], residents: list[Person]) -> None:
    """1.5 % of residents found a business (mostly 个体工商户); 0.3 % of recipients a small one."""
    rnd = city.rnd
    for p in some(city, residents, 0.015):
        kind = rnd.choices(("个体工商户", "有限责任公司", "股份有限公司", "农民专业合作社"), (70, 25, 2, 3))[0]
        capital = rnd.randrange(1_000_000, 30_000_000) if kind == "个体工商户" else rnd.randrange(10_000_000, 500_000_000)
        on = when(city)
        code = city.business(p, on, kind, capital)
        if rnd.random() < 0.15:
            city.business(p, on + timedelta(days=rnd.randrange(60, 300)), kind, 0, "注销", code)
    for p in some(city, members, 0.003):
        kind = rnd.choice(("个体工商户", "个体工商户", "农民专业合作社"))
        city.business(p, when(city), kind, rnd.randrange(500_000, 8_000_000))
