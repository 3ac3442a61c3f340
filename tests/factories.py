"""Small builders of valid IDs and Envelopes for tests (independent of the producers)."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timezone

from schemas.envelope import (BusinessRegistration, DisabilityCertificate, DisasterLoss, EducationAid, EmploymentChange,
                              Envelope, FuneralRecord, HukouChange, MedicalClaim, PropertyRegistration, RosterChange,
                              RuralMonitoring, VehicleRegistration)

SECRET = b"test-secret"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(n: int, county: str = "340403", born: str = "19800101") -> str:
    first17 = f"{county}{born}{n % 1000:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]
    return first17 + check


def key(id_number: str) -> str:
    return hmac.new(SECRET, id_number.encode(), hashlib.sha256).hexdigest()


def masked(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


def envelope(feed: str, id_number: str, on: str, natural_key: str, payload, **extra) -> Envelope:
    return Envelope(
        event_id=hashlib.sha256(f"{feed}|{natural_key}".encode()).hexdigest()[:32], feed=feed,
        source_key=natural_key, event_time=date.fromisoformat(on), ingested_at=datetime.now(timezone.utc),
        person_key=key(id_number), masked_id=masked(id_number), payload=payload, **extra)


def roster(id_number: str, on: str, household: str = "H1", status: str = "在保", income: float = 40000,
           size: int = 4, basis: bool = False, township: str = "340403001") -> Envelope:
    payload = RosterChange(household_id=household, township_code=township, category="低保", status=status,
                           household_size=size, household_income_fen=round(income * 100), monthly_benefit_fen=80000,
                           basis_disability=basis)
    return envelope("roster", id_number, on, f"{key(id_number)[:12]}|{on}", payload,
                    household_id=household, township_code=township)


def claim(id_number: str, on: str, settlement: str, out_of_pocket: float, reversal: bool = False) -> Envelope:
    sign = -1 if reversal else 1
    fen = sign * round(out_of_pocket * 100)
    payload = MedicalClaim(settlement_id=settlement, visit_type="住院", total_fen=fen * 2, fund_fen=fen,
                           out_of_pocket_fen=fen, is_reversal=reversal)
    return envelope("medical", id_number, on, f"{settlement}|{'-' if reversal else '+'}", payload)


def certificate(id_number: str, on: str, action: str, grade: int, ref: str = "C1") -> Envelope:
    payload = DisabilityCertificate(certificate_ref=ref, category="肢体", grade=grade, action=action)
    return envelope("disability", id_number, on, f"{ref}|{action}|{on}", payload)


def funeral(id_number: str, died_on: str, record: str = "F1") -> Envelope:
    payload = FuneralRecord(record_no=record, died_on=date.fromisoformat(died_on))
    return envelope("funeral", id_number, died_on, record, payload)


def education(guardian_id: str, student_id: str, year: str, tuition: float, boarding: float = 0, aid: float = 0) -> Envelope:
    payload = EducationAid(student_ref=f"S{student_id[-6:]}", student_key=key(student_id), student_masked_id=masked(student_id),
                           stage="本科", school_year=year, tuition_fen=round(tuition * 100),
                           boarding_fen=round(boarding * 100), aid_fen=round(aid * 100))
    return envelope("education", guardian_id, f"{year[:4]}-09-01", f"S{student_id[-6:]}|{year}", payload)


def unemployment(id_number: str, on: str, action: str = "失业登记") -> Envelope:
    return envelope("employment", id_number, on, f"{key(id_number)[:12]}|{action}|{on}", EmploymentChange(action=action))


def disaster(head_id: str, on: str, loss: float, township: str = "340403001") -> Envelope:
    payload = DisasterLoss(township_code=township, hazard="洪涝", loss_fen=round(loss * 100))
    return envelope("disaster", head_id, on, f"{key(head_id)[:12]}|{on}", payload, township_code=township)


def rural(id_number: str, on: str, action: str = "纳入", township: str = "340403001",
          monitor_type: str = "突发严重困难户") -> Envelope:
    payload = RuralMonitoring(township_code=township, monitor_type=monitor_type, risk_type="因病", action=action)
    return envelope("rural", id_number, on, f"{key(id_number)[:12]}|{action}|{on}", payload, township_code=township)


def hukou(id_number: str, on: str, action: str, destination: str | None = None) -> Envelope:
    payload = HukouChange(action=action, destination_code=destination)
    return envelope("hukou", id_number, on, f"{key(id_number)[:12]}|{action}|{on}", payload)


def vehicle(id_number: str, on: str, price: float, vehicle_type: str = "小型轿车", action: str = "注册登记",
            plate: str = "P1") -> Envelope:
    payload = VehicleRegistration(plate_ref=plate, vehicle_type=vehicle_type, action=action,
                                  purchase_price_fen=round(price * 100))
    return envelope("vehicle", id_number, on, f"{plate}|{action}|{on}", payload)


def unit(id_number: str, on: str, ref: str, use: str = "住宅", action: str = "取得") -> Envelope:
    payload = PropertyRegistration(unit_ref=ref, use=use, floor_area_centi_m2=9000, action=action)
    return envelope("property", id_number, on, f"{ref}|{key(id_number)[:12]}|{action}|{on}", payload)


def business(id_number: str, on: str, entity_type: str, capital: float, action: str = "设立", ref: str = "B1") -> Envelope:
    payload = BusinessRegistration(credit_ref=ref, entity_type=entity_type, registered_capital_fen=round(capital * 100),
                                   action=action)
    return envelope("business", id_number, on, f"{ref}|{action}|{on}", payload)
