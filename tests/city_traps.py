"""Traps for the contract city: one planted case on each side of every threshold and edge in `feeds.md` §3.

Every trap lives in people and households of its own (no background record touches them), so whether
it fires follows from the contract's words; `City.trap` records the expectation with its reason.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.contract_city import City, Household, Person

D0 = date(2023, 1, 2)  # trap households join the roster on this day


def home(city: City, size: int, per_capita: int = 5000, *, income: int | None = None, basis: str = "",
         exit_on: date | None = None, township: str = "340403002") -> Household:
    """A household of its own on the roster from D0 (per capita 5,000: under the line on income alone)."""
    from tests.contract_city import Household

    members = [city.person() for _ in range(size)]
    for slot, member in enumerate(members):
        member.slot = slot
    hh = Household(f"T{810000 + city.next()}", township, members, per_capita, income=income)
    for i, member in enumerate(members):
        city.roster_row(hh, member, D0, relation="户主" if i == 0 else "家庭成员",
                        basis=basis or "家庭人均收入低于当地低保标准")
    if exit_on:
        hh.status = {m.id: "退出" for m in members}
        city.household_rows(hh, exit_on)
    return hh


def one(city: City, **kwargs) -> Person:
    return home(city, 1, **kwargs).members[0]


def medical_traps(city: City) -> None:
    d = date(2024, 2, 3)
    p = city.person()
    city.claim(p, d, 1000000), city.claim(p, d + timedelta(days=100), 2000000)
    city.trap(p, "medical_burden", True, "30,000.00 exactly within 365 days")
    p = city.person()
    city.claim(p, d, 1000000), city.claim(p, d + timedelta(days=100), 1999999)
    city.trap(p, "medical_burden", False, "29,999.99")
    p = city.person()
    city.claim(p, d, 1500000), city.claim(p, d + timedelta(days=365), 1500000)
    city.trap(p, "medical_burden", False, "two halves 365 days apart: the first has left the window")
    p = city.person()
    city.claim(p, d, 1500000), city.claim(p, d + timedelta(days=364), 1500000)
    city.trap(p, "medical_burden", True, "two halves 364 days apart")
    p = city.person()
    city.claim(p, d, 3000000, reversed_=True)
    city.trap(p, "medical_burden", False, "the only claim is reversed")
    p = city.person()
    city.claim(p, date(2024, 3, 1), 2000000, late=True), city.claim(p, date(2024, 8, 1), 1000000)
    city.trap(p, "medical_burden", True, "20,000 of it in the late file read last")
    p = city.person()
    city.claim(p, d, 1500000), city.claim(p, d + timedelta(days=10), 1499999)
    city.again["medical"].append(city.rows["medical"][-2])
    city.trap(p, "medical_burden", False, "a re-exported 15,000 counts once: 29,999.99")


def hardship_traps(city: City) -> None:
    """Households of 4 at 10,000 a head: 40,000 against a line of 38,400, so 1,600 of spend is the edge."""
    d = date(2024, 3, 5)
    hh = home(city, 4, 10000)
    a, b = hh.members[:2]
    city.claim(a, d, 100000), city.claim(b, d + timedelta(days=33), 60000)
    city.trap(b, "expenditure_hardship", False, "spend of exactly 1,600: still at the line")
    hh = home(city, 4, 10000)
    a, b = hh.members[:2]
    city.claim(a, d, 100000), city.claim(b, d + timedelta(days=33), 60001)
    city.trap(b, "expenditure_hardship", True, "1,600.01 of spend: b's claim tips it")
    city.trap(a, "expenditure_hardship", False, "a's claim alone leaves it eligible")
    hh = home(city, 4, 10000)
    a, b, c = hh.members[:3]
    city.claim(a, d, 170000), city.claim(b, d + timedelta(days=40), 50000), city.claim(c, d + timedelta(days=80), 30000)
    city.trap(a, "expenditure_hardship", True, "a crosses")
    city.trap(b, "expenditure_hardship", False, "a second member's claim after the crossing")
    city.trap(c, "expenditure_hardship", False, "a third member's claim after the crossing")
    hh = home(city, 4, income=3839999)
    city.claim(hh.members[0], d, 500000)
    city.trap(hh.members[0], "expenditure_hardship", False, "38,399.99 for 4: under the line on income alone")
    hh = home(city, 4, 10000, exit_on=date(2023, 6, 1))
    city.claim(hh.members[0], d, 500000)
    city.trap(hh.members[0], "expenditure_hardship", False, "the household left the roster")
    hh = home(city, 4, 10000)
    a, b = hh.members[:2]
    city.claim(a, date(2024, 4, 10), 170000, late=True), city.claim(b, date(2024, 6, 10), 170000)
    city.trap(a, "expenditure_hardship", True, "a's earlier claim, in the late file, is the crossing")
    city.trap(b, "expenditure_hardship", False, "b's claim comes after the crossing the late file moved")
    hh = home(city, 4, 10000)
    a, b = hh.members[:2]
    city.claim(a, date(2023, 5, 10), 170000), city.claim(b, date(2023, 8, 1), 20000)
    city.claim(a, date(2023, 5, 10) + timedelta(days=365), 170000)
    city.trap(a, "expenditure_hardship", True, "crosses, spend leaves the window, crosses again")
    city.trap(b, "expenditure_hardship", False, "b's claim while across")
    hh = home(city, 4, 10000)
    a, b = hh.members[:2]
    city.claim(a, d, 100000)
    student = city.person(born=(2008, 2012))
    city.rows["education"].append({"student_no": f"G{student.id}", "student_id_number": student.id,
                                   "student_name": student.name, "guardian_id_number": b.id, "stage": "高中",
                                   "school_year": "2024-2025", "tuition": 80000, "boarding": 30000, "aid_received": 10000})
    city.trap(b, "expenditure_hardship", True, "b's student's net cost of 1,000 tips it on 1 September")
    city.trap(a, "expenditure_hardship", False, "a's claim alone leaves it eligible")


def disability_traps(city: City) -> None:
    d = date(2024, 5, 6)
    for grade, action, fires in ((1, "新办", True), (3, "新办", False), (2, "等级变更", True), (1, "换领", False)):
        p = one(city)
        city.rows["disability"].append(city.certificate(p, p.id + "41", action, grade, d))
        city.trap(p, "new_severe_disability", fires, f"{action} at grade {grade}")
    cases = (("肢体残疾，无劳动能力", "注销", 2, None, True), ("家庭收入低", "注销", 2, None, False),
             ("精神残疾二级", "等级变更", 4, None, True), ("精神残疾二级", "等级变更", 2, None, False),
             ("残疾", "注销", 2, date(2024, 1, 1), False))
    for basis, action, grade, exit_on, fires in cases:
        p = one(city, basis=basis, exit_on=exit_on)
        city.rows["disability"].append(city.certificate(p, p.id + "42", action, grade, d))
        city.trap(p, "disability_mismatch", fires, f"basis {basis!r}, {action} to {grade}, exited {exit_on}")


def education_traps(city: City) -> None:
    cases = ((600000, 200000, 0, None, True, "net 8,000 exactly"), (600000, 199999, 0, None, False, "net 7,999.99"),
             (900000, 0, 0, date(2023, 6, 1), False, "the guardian left the roster"),
             (1800000, 200000, 300000, None, True, "net 17,000"))
    for tuition, boarding, aid, exit_on, fires, why in cases:
        guardian = one(city, exit_on=exit_on)
        student = city.person(born=(2005, 2010))
        city.rows["education"].append({"student_no": f"G{student.id}", "student_id_number": student.id,
                                       "student_name": student.name, "guardian_id_number": guardian.id, "stage": "本科",
                                       "school_year": "2024-2025", "tuition": tuition, "boarding": boarding,
                                       "aid_received": aid})
        city.trap(student, "education_burden", fires, why)
    outsider, student = city.person(), city.person(born=(2005, 2010))
    city.rows["education"].append({"student_no": f"G{student.id}", "student_id_number": student.id,
                                   "student_name": student.name, "guardian_id_number": outsider.id, "stage": "本科",
                                   "school_year": "2025-2026", "tuition": 2000000, "boarding": 0, "aid_received": 0})
    city.trap(student, "education_burden", False, "the guardian was never on the roster")


def shock_traps(city: City) -> None:
    d = date(2025, 3, 3)
    hh = home(city, 3)
    head, member = hh.members[:2]
    hh.status = {head.id: "退出"}
    city.household_rows(hh, date(2024, 1, 1))
    city.rows["employment"].append({"id_number": head.id, "name": head.name, "action": "失业登记", "registered_on": d, "employer": "某厂"})
    city.trap(head, "income_shock", True, "the head left the roster, the household is active through others")
    city.rows["employment"].append({"id_number": member.id, "name": member.name, "action": "就业登记", "registered_on": d, "employer": "某厂"})
    city.trap(member, "income_shock", False, "就业登记")
    gone = home(city, 2, exit_on=date(2024, 1, 1)).members[1]
    city.rows["employment"].append({"id_number": gone.id, "name": gone.name, "action": "失业登记", "registered_on": d, "employer": "某厂"})
    city.trap(gone, "income_shock", False, "the household left the roster")
    for loss, fires in ((1000000, True), (999999, False)):
        hh = home(city, 2)
        city.rows["disaster"].append({"head_id_number": hh.members[0].id, "name": hh.members[0].name,
                                      "township_code": hh.township, "hazard": "洪涝", "loss": loss, "reported_on": d})
        city.trap(hh.members[0], "income_shock", fires, f"a disaster loss of {loss / 100:.2f}")


def death_traps(city: City) -> None:
    died = date(2024, 7, 7)
    cases = (("funeral", None, None, True), ("hukou", None, None, True), ("both", None, None, True),
             ("funeral", date(2024, 1, 1), None, False), ("funeral", date(2024, 1, 1), date(2024, 10, 1), True))
    for kind, exit_on, back_on, fires in cases:
        hh = home(city, 1, exit_on=exit_on)
        p = hh.members[0]
        if back_on:  # put back on the roster after the death
            hh.status = {}
            city.household_rows(hh, back_on)
        if kind in ("funeral", "both"):
            city.rows["funeral"].append({"record_no": f"HH{city.next():08d}", "id_number": p.id, "name": p.name,
                                         "died_on": died, "cremated_on": died + timedelta(days=3), "facility": "市殡仪馆"})
        if kind in ("hukou", "both"):
            city.hukou(p, "死亡注销", died + timedelta(days=20))
        city.trap(p, "deceased_recipient", fires, f"{kind}; exited {exit_on}; back on the roster {back_on}")


def person_traps(city: City) -> None:
    d = date(2025, 4, 14)
    for who, action, fires in (("outsider", "纳入", True), ("active", "纳入", False), ("exited", "纳入", True),
                               ("outsider", "消除", False)):
        p = city.person() if who == "outsider" else one(city, exit_on=date(2024, 1, 1) if who == "exited" else None)
        city.rural(p, action, d, "340405003")
        city.trap(p, "rural_unassisted", fires, f"{action} for a person {who}")
    for destination, action, exited, fires in (("340406", "迁出", False, False), ("340500", "迁出", False, True),
                                               ("320102", "迁出", False, True), ("110101", "迁出", True, False),
                                               ("", "迁入", False, False)):
        p = one(city, exit_on=date(2024, 1, 1) if exited else None)
        city.hukou(p, action, d, destination)
        city.trap(p, "moved_away", fires, f"{action} to {destination or '-'} from 340403, exited {exited}")
    for action, exited, fires in (("服刑", False, True), ("服刑", True, False), ("刑满释放", False, False)):
        p = one(city, exit_on=date(2024, 1, 1) if exited else None)
        city.hukou(p, action, d)
        city.trap(p, "incarcerated", fires, f"{action}, exited {exited}")
    vehicles = (("小型轿车", "注册登记", 5000000, False, True), ("小型轿车", "注册登记", 4999999, False, False),
                ("残疾人专用车", "注册登记", 9000000, False, False), ("货车", "注册登记", 20000000, False, False),
                ("摩托车", "注册登记", 9000000, False, False), ("三轮汽车", "注册登记", 9000000, False, False),
                ("中型客车", "转入登记", 6000000, False, True), ("小型越野车", "注销登记", 9000000, False, False),
                ("小型轿车", "注册登记", 9000000, True, False))
    for kind, action, price, exited, fires in vehicles:
        p = one(city, exit_on=date(2024, 1, 1) if exited else None)
        city.vehicle(p, kind, action, price, d)
        city.trap(p, "vehicle_owner", fires, f"{kind} {action} at {price / 100:.2f}, exited {exited}")
    businesses = (("个体工商户", 9999999, "设立", False, False), ("个体工商户", 10000000, "设立", False, True),
                  ("有限责任公司", 3000000, "设立", False, True), ("股份有限公司", 500000000, "设立", False, True),
                  ("农民专业合作社", 500000000, "设立", False, False), ("有限责任公司", 3000000, "注销", False, False),
                  ("有限责任公司", 3000000, "设立", True, False))
    for entity, capital, action, exited, fires in businesses:
        p = one(city, exit_on=date(2024, 1, 1) if exited else None)
        city.business(p, entity, capital, action, d)
        city.trap(p, "business_owner", fires, f"{action} {entity} at {capital / 100:.2f}, exited {exited}")


def property_traps(city: City) -> None:
    d = date(2024, 2, 6)
    number = lambda: f"340403002{city.next():06d}GB{city.next():05d}F0001"  # noqa: E731
    a, b, _ = home(city, 3).members
    city.unit(a, number(), "住宅", "取得", d), city.unit(b, number(), "住宅", "取得", d + timedelta(days=90))
    city.trap(b, "property_holder", True, "the second home, across two members")
    city.trap(a, "property_holder", False, "one home")
    a = home(city, 3).members[0]
    first = number()
    city.unit(a, first, "住宅", "取得", d), city.unit(a, first, "住宅", "注销", d + timedelta(days=60))
    city.unit(a, number(), "住宅", "取得", d + timedelta(days=120))
    city.trap(a, "property_holder", False, "sold the first home before buying the second")
    a, b, _ = home(city, 3).members
    shared = number()
    city.unit(a, shared, "住宅", "取得", d), city.unit(b, shared, "住宅", "取得", d)
    city.trap(a, "property_holder", False, "one home owned by two members")
    city.trap(b, "property_holder", False, "one home owned by two members")
    c = home(city, 3).members[2]
    city.unit(c, number(), "商业", "取得", d)
    city.trap(c, "property_holder", True, "a shop")
    a = home(city, 3, exit_on=date(2023, 6, 1)).members[0]
    city.unit(a, number(), "工业", "取得", d)
    city.trap(a, "property_holder", False, "the household left the roster")
    a, b, _ = home(city, 3).members
    city.unit(a, number(), "办公", "取得", d), city.unit(b, number(), "住宅", "取得", d + timedelta(days=30))
    city.trap(a, "property_holder", True, "an office")
    city.trap(b, "property_holder", False, "a home bought while the household is across")


def dead_letters(city: City) -> None:
    p = city.person()
    bad_id = p.id[:17] + ("0" if p.id[17] != "0" else "1")
    city.bad["medical"].append({"settlement_id": "JSBAD0001", "id_number": bad_id, "name": p.name,
                                "settled_on": date(2024, 3, 3), "visit_type": "住院", "total_cost": 6000000,
                                "fund_paid": 0, "out_of_pocket": 6000000, "provider": "市第一人民医院"})
    q = one(city)
    city.bad["vehicle"].append({"plate_no": "皖DBAD01", "id_number": q.id, "name": q.name, "vehicle_type": "小型轿车",
                                "action": "注册登记", "purchase_price": 9000000, "registered_on": "2025-02-30"})
    city.trap(q, "vehicle_owner", False, "its only row has 30 February for a date: a dead letter")
    r = one(city)
    city.bad["property"].append({"unit_no": "340403002999999GB99999F0001", "id_number": r.id, "name": r.name,
                                 "use": "车库", "floor_area": 2000, "action": "取得", "registered_on": date(2025, 1, 1)})
    city.bad["business"].append({"credit_code": "92340403MABAD0001X", "id_number": r.id, "name": r.name,
                                 "entity_type": "有限责任公司", "registered_capital": "三万", "action": "设立",
                                 "action_date": date(2025, 1, 1)})
    city.trap(r, "business_owner", False, "its only row has 三万 for capital: a dead letter")


def plant_traps(city: City) -> None:
    for plant in (medical_traps, hardship_traps, disability_traps, education_traps, shock_traps, death_traps,
                  person_traps, property_traps, dead_letters):
        plant(city)
