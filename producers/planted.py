"""Planted cases: for every rule in streams/RULES.md, people for whom it must fire and near misses
just under its threshold. Planted people get no background activity, so each case stays exact;
`planted.jsonl` beside the CSV files lists them (synthetic IDs only).
"""
from __future__ import annotations

from datetime import timedelta

from producers.city import City, household
from producers.planted_registries import PLANTS as REGISTRY_PLANTS

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
          plant_income_shock, plant_deceased_recipient, plant_disability_mismatch, *REGISTRY_PLANTS)
