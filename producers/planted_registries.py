"""Planted cases for the rules of contract version 2 (feeds.md §3), each with the near misses and traps
that must not fire. Every record in planted.jsonl from here carries `"contract": 2`.

Recipients are put on the roster 60 days before the simulated year (township 3404xx, Huainan), at
4,000 yuan a head, so no other rule touches them.
"""
from __future__ import annotations

from datetime import timedelta

from producers.city import City, Person, household

OUTSIDE = "320102"  # Nanjing: its first 4 digits differ from every roster township's


def recipients(city: City, size: int = 1, status: str = "在保") -> list[Person]:
    return household(city, size, 400_000, city.start - timedelta(days=60), status=status)


def recipient(city: City) -> Person:
    return recipients(city)[0]


def left_roster(city: City, offset: int) -> Person:
    """A recipient struck off (退出) on day `offset`."""
    who = recipient(city)
    city.roster(who, who.household or "", "户主", 1, 400_000, city.day(offset), "退出")
    return who


def plant(city: City, rule: str, fires: bool, who: Person, note: str) -> None:
    city.plant(rule, fires, who, note)
    city.planted[-1]["contract"] = 2


def plant_rural_unassisted(city: City) -> None:
    outsider = city.person()
    city.rural(outsider, city.day(60))
    plant(city, "rural_unassisted", True, outsider, "纳入, never on the roster")
    left = left_roster(city, 30)
    city.rural(left, city.day(90))
    plant(city, "rural_unassisted", True, left, "纳入 60 days after leaving the roster")
    joined = city.person()
    city.rural(joined, city.day(40))
    city.roster(joined, f"HH{joined.township}{city.next_no():07d}", "户主", 1, 300_000, city.day(80))
    plant(city, "rural_unassisted", True, joined, "纳入 40 days before joining the roster")
    active = recipient(city)
    city.rural(active, city.day(90), monitor="脱贫不稳定户")
    plant(city, "rural_unassisted", False, active, "纳入 of an active recipient")
    removed = city.person()
    city.rural(removed, city.day(90), "消除")
    plant(city, "rural_unassisted", False, removed, "消除, not 纳入, of someone not on the roster")


def plant_moved_away(city: City) -> None:
    away = recipient(city)
    city.hukou(away, city.day(100), "迁出", OUTSIDE)
    plant(city, "moved_away", True, away, "迁出 of an active recipient to another city")
    near = recipient(city)
    city.hukou(near, city.day(100), "迁出", "340421")
    plant(city, "moved_away", False, near, "迁出 to another county of the same city (3404)")
    born = city.person(county=OUTSIDE)
    born.household, born.township = f"HH340403005{city.next_no():07d}", "340403005"
    city.roster(born, born.household, "户主", 1, 400_000, city.start - timedelta(days=60))
    city.hukou(born, city.day(120), "迁出", OUTSIDE)
    plant(city, "moved_away", True, born, "ID issued in Nanjing, roster in Huainan, moves to Nanjing")
    outsider = city.person()
    city.hukou(outsider, city.day(100), "迁出", OUTSIDE)
    plant(city, "moved_away", False, outsider, "迁出 of someone not on the roster")
    arrived = recipient(city)
    city.hukou(arrived, city.day(100), "迁入")
    plant(city, "moved_away", False, arrived, "迁入, not 迁出")


def plant_incarcerated(city: City) -> None:
    jailed = recipient(city)
    city.hukou(jailed, city.day(150), "服刑")
    plant(city, "incarcerated", True, jailed, "服刑 of an active recipient")
    released = recipient(city)
    city.hukou(released, city.day(150), "刑满释放")
    plant(city, "incarcerated", False, released, "刑满释放, not 服刑")
    outsider = city.person()
    city.hukou(outsider, city.day(150), "服刑")
    plant(city, "incarcerated", False, outsider, "服刑 of someone not on the roster")
    left = left_roster(city, 100)
    city.hukou(left, city.day(150), "服刑")
    plant(city, "incarcerated", False, left, "服刑 after leaving the roster")


VEHICLES = (  # type, action, price in fen, fires
    ("小型轿车", "注册登记", 5_000_000, True), ("小型轿车", "注册登记", 4_999_999, False),
    ("小型越野车", "转入登记", 12_000_000, True), ("中型客车", "注册登记", 8_000_000, True),
    ("残疾人专用车", "注册登记", 6_000_000, False), ("货车", "注册登记", 15_000_000, False),
    ("摩托车", "注册登记", 5_500_000, False), ("三轮汽车", "转入登记", 6_000_000, False),
    ("小型轿车", "注销登记", 10_000_000, False),
)


def plant_vehicle_owner(city: City) -> None:
    for vehicle_type, action, price, fires in VEHICLES:
        who = recipient(city)
        city.vehicle(who, city.day(city.rnd.randrange(20, 300)), vehicle_type, price, action)
        plant(city, "vehicle_owner", fires, who, f"{action} {vehicle_type} {price / 100:,.2f}")
    left = left_roster(city, 50)
    city.vehicle(left, city.day(120), "小型轿车", 20_000_000)
    plant(city, "vehicle_owner", False, left, "小型轿车 200,000 after leaving the roster")


def plant_property_holder(city: City) -> None:
    a, b = recipients(city, 2)
    city.property(a, city.day(50))
    city.property(b, city.day(120))
    plant(city, "property_holder", False, a, "first 住宅 of a household of two")
    plant(city, "property_holder", True, b, "second 住宅 of the household: two members, one 住宅 each")
    two = recipient(city)
    city.property(two, city.day(30))
    city.property(two, city.day(200))
    plant(city, "property_holder", True, two, "one person, second 住宅")
    shop = recipient(city)
    city.property(shop, city.day(60), "商业")
    plant(city, "property_holder", True, shop, "one 商业 unit")
    home = recipient(city)
    city.property(home, city.day(60))
    plant(city, "property_holder", False, home, "one 住宅")
    sold = recipient(city)
    first = city.property(sold, city.day(40))
    city.property(sold, city.day(80), "住宅", "注销", first)
    city.property(sold, city.day(150))
    plant(city, "property_holder", False, sold, "住宅 sold (注销) before the next 取得")
    c, d = recipients(city, 2)
    unit = city.property(c, city.day(70))
    city.property(d, city.day(70), unit=unit)
    plant(city, "property_holder", False, c, "co-owners of one 住宅: one unit, two rows")
    plant(city, "property_holder", False, d, "co-owners of one 住宅: one unit, two rows")
    e, f, _ = recipients(city, 3)
    city.property(e, city.day(40), "办公")
    city.property(f, city.day(100))
    plant(city, "property_holder", True, e, "办公 unit: the household crosses")
    plant(city, "property_holder", False, f, "住宅 while the household is already across: no second alert")
    g, h = recipients(city, 2, status="退出")
    city.property(g, city.day(50))
    city.property(h, city.day(90))
    plant(city, "property_holder", False, h, "two 住宅 in a household that left the roster")


BUSINESSES = (  # entity type, action, registered capital in fen, fires
    ("有限责任公司", "设立", 50_000_000, True), ("股份有限公司", "设立", 500_000_000, True),
    ("个体工商户", "设立", 10_000_000, True), ("个体工商户", "设立", 9_999_999, False),
    ("农民专业合作社", "设立", 100_000_000, False), ("有限责任公司", "注销", 0, False),
)


def plant_business_owner(city: City) -> None:
    for entity_type, action, capital, fires in BUSINESSES:
        who = recipient(city)
        city.business(who, city.day(city.rnd.randrange(20, 300)), entity_type, capital, action)
        plant(city, "business_owner", fires, who, f"{action} {entity_type} {capital / 100:,.2f}")
    left = left_roster(city, 50)
    city.business(left, city.day(120), "有限责任公司", 50_000_000)
    plant(city, "business_owner", False, left, "有限责任公司 after leaving the roster")


def plant_hukou_deaths(city: City) -> None:
    """deceased_recipient with death evidence from the household register (version 2)."""
    alone = recipient(city)
    city.hukou(alone, city.day(80), "死亡注销")
    plant(city, "deceased_recipient", True, alone, "hukou 死亡注销 while 在保, no funeral record")
    both = recipient(city)
    city.funeral(both, city.day(60))
    city.hukou(both, city.day(75), "死亡注销")
    plant(city, "deceased_recipient", True, both, "funeral record and hukou 死亡注销: one alert, both as evidence")
    late = city.person(70, 90)
    city.hukou(late, city.day(20), "死亡注销")
    city.roster(late, f"HH{late.township}{city.next_no():07d}", "户主", 1, 300_000, city.day(50))
    plant(city, "deceased_recipient", True, late, "put on the roster after a hukou 死亡注销")
    gone = left_roster(city, 30)
    city.hukou(gone, city.day(31), "死亡注销")
    plant(city, "deceased_recipient", False, gone, "hukou 死亡注销 the day after leaving the roster")


PLANTS = (plant_rural_unassisted, plant_moved_away, plant_incarcerated, plant_vehicle_owner, plant_property_holder,
          plant_business_owner, plant_hukou_deaths)
