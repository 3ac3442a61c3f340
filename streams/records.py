"""What the stream state keeps about each record: one small, slotted, typed value per feed.

Every record has `day` (event date as a day number, `date.toordinal()`), `eid` (the envelope's
event_id: re-exports collapse on it) and `key` (the natural key, PII-free: it orders records of
one day). Records are totally ordered by (day, feed, key), whatever order they arrived in.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, fields
from operator import attrgetter
from datetime import date
from typing import ClassVar

from schemas.envelope import Envelope


@dataclass(frozen=True, slots=True)
class Record:
    feed: ClassVar[str] = ""
    day: int
    eid: str
    key: str

    @property
    def order(self) -> tuple[int, str, str]:
        return (self.day, self.feed, self.key)

    @property
    def iso(self) -> str:
        return date.fromordinal(self.day).isoformat()


@dataclass(frozen=True, slots=True)
class RosterRow(Record):
    feed: ClassVar[str] = "roster"
    household: str
    township: str
    active: bool  # 状态 在保
    income: int  # 家庭年收入, fen
    size: int  # 家庭人口
    disability_basis: bool  # 认定依据 contains 残疾
    benefit: int  # 月救助金额, fen


@dataclass(frozen=True, slots=True)
class Claim(Record):
    feed: ClassVar[str] = "medical"
    settlement: str
    out_of_pocket: int  # fen, negative on a reversal
    reversal: bool


@dataclass(frozen=True, slots=True)
class Certificate(Record):
    feed: ClassVar[str] = "disability"
    ref: str
    action: str
    grade: int


@dataclass(frozen=True, slots=True)
class Funeral(Record):
    feed: ClassVar[str] = "funeral"
    ref: str


@dataclass(frozen=True, slots=True)
class Schooling(Record):
    """Keyed by the guardian; the student is the subject of education_burden."""

    feed: ClassVar[str] = "education"
    ref: str
    student_key: str
    student_masked: str
    net: int  # 学杂费 + 住宿费 - 已获资助, fen, as is


@dataclass(frozen=True, slots=True)
class Employment(Record):
    feed: ClassVar[str] = "employment"
    action: str


@dataclass(frozen=True, slots=True)
class Disaster(Record):
    feed: ClassVar[str] = "disaster"
    township: str
    loss: int


@dataclass(frozen=True, slots=True)
class Rural(Record):
    feed: ClassVar[str] = "rural"
    township: str
    monitor_type: str
    action: str


@dataclass(frozen=True, slots=True)
class Hukou(Record):
    feed: ClassVar[str] = "hukou"
    action: str
    destination: str  # 6-digit county code for 迁出, else ""


@dataclass(frozen=True, slots=True)
class Vehicle(Record):
    feed: ClassVar[str] = "vehicle"
    ref: str
    vehicle_type: str
    action: str
    price: int


@dataclass(frozen=True, slots=True)
class Property(Record):
    feed: ClassVar[str] = "property"
    ref: str  # tokenised 不动产单元号
    use: str
    action: str  # 取得 / 注销


@dataclass(frozen=True, slots=True)
class Business(Record):
    feed: ClassVar[str] = "business"
    ref: str
    entity_type: str
    action: str
    capital: int


RECORD_TYPES: dict[str, type[Record]] = {cls.feed: cls for cls in (
    RosterRow, Claim, Certificate, Funeral, Schooling, Employment, Disaster, Rural, Hukou, Vehicle, Property, Business)}


def to_record(event: Envelope) -> Record:
    """The compact copy of an envelope that state keeps."""
    p, head = event.payload, (event.event_time.toordinal(), event.event_id, event.source_key)
    match p.kind:
        case "roster":
            return RosterRow(*head, p.household_id, p.township_code, p.status == "在保", p.household_income_fen,
                             p.household_size, p.basis_disability, p.monthly_benefit_fen)
        case "medical":
            return Claim(*head, p.settlement_id, p.out_of_pocket_fen, p.is_reversal)
        case "disability":
            return Certificate(*head, p.certificate_ref, p.action, p.grade)
        case "funeral":
            return Funeral(*head, p.record_no)
        case "education":
            return Schooling(*head, p.student_ref, p.student_key, p.student_masked_id, p.net_cost_fen)
        case "employment":
            return Employment(*head, p.action)
        case "disaster":
            return Disaster(*head, p.township_code, p.loss_fen)
        case "rural":
            return Rural(*head, p.township_code, p.monitor_type, p.action)
        case "hukou":
            return Hukou(*head, p.action, p.destination_code or "")
        case "vehicle":
            return Vehicle(*head, p.plate_ref, p.vehicle_type, p.action, p.purchase_price_fen)
        case "property":
            return Property(*head, p.unit_ref, p.use, p.action)
        case "business":
            return Business(*head, p.credit_ref, p.entity_type, p.action, p.registered_capital_fen)
    raise ValueError(f"no record type for feed {p.kind!r}")


def encode(record: Record) -> list:
    """A JSON-native list: [feed, day, eid, key, *figures] (the codec of tables and topics)."""
    return [record.feed, *(getattr(record, name) for name in FIELDS[record.feed])]


def decode(row: list) -> Record:
    return RECORD_TYPES[row[0]](*row[1:])


FIELDS: dict[str, tuple[str, ...]] = {feed: tuple(f.name for f in fields(cls)) for feed, cls in RECORD_TYPES.items()}


def live_claims(records: Iterable[Record]) -> list[Claim]:
    """Medical claims that count: originals no reversal cancels, in order. A reversal cancels its
    original entirely, whatever the dates; a reversal alone counts for nothing."""
    claims = sorted((r for r in records if type(r) is Claim), key=ORDER)
    reversed_ids = {c.settlement for c in claims if c.reversal}
    return [c for c in claims if not c.reversal and c.settlement not in reversed_ids]


@dataclass(frozen=True, slots=True)
class ClaimLedger:
    """One person's medical claims that count, in order, with running sums: a window's total is two
    bisections. An in-order claim extends it (lists copied at C speed, nothing re-summed); a reversal,
    or a claim that sorts before the last, builds it anew."""

    live: list[Claim]  # claims no reversal cancels, in order
    days: list[int]
    running: list[int]  # running[i] = sum of live[:i]
    cancelled: frozenset[str]  # settlements a reversal cancels

    @classmethod
    def build(cls, claims: list[Claim]) -> ClaimLedger:
        """From every claim of the person, in order (`by_kind`'s group)."""
        cancelled = frozenset(c.settlement for c in claims if c.reversal)
        live = [c for c in claims if not c.reversal and c.settlement not in cancelled]
        running, total = [0], 0
        for c in live:
            total += c.out_of_pocket
            running.append(total)
        return cls(live, [c.day for c in live], running, cancelled)

    def extended(self, claim: Claim) -> ClaimLedger | None:
        """With one more claim (None for a reversal: build anew). An earlier claim is inserted and the
        running sums after it shifted."""
        if claim.reversal:
            return None
        if claim.settlement in self.cancelled:
            return self  # cancelled by a reversal already here: counts for nothing
        live, amount = self.live, claim.out_of_pocket
        if not live or ORDER(live[-1]) < ORDER(claim):
            return ClaimLedger([*live, claim], [*self.days, claim.day], [*self.running, self.running[-1] + amount],
                               self.cancelled)
        at = bisect_right(live, ORDER(claim), key=ORDER)
        return ClaimLedger([*live[:at], claim, *live[at:]], [*self.days[:at], claim.day, *self.days[at:]],
                           [*self.running[:at + 1], *(r + amount for r in self.running[at:])], self.cancelled)


def by_kind(records: Iterable[Record]) -> dict[type[Record], list[Record]]:
    """Records grouped by type, each group in order."""
    groups: dict[type[Record], list[Record]] = {}
    for r in records:
        groups.setdefault(type(r), []).append(r)
    for group in groups.values():
        group.sort(key=ORDER)
    return groups


ORDER = attrgetter("day", "feed", "key")  # the total order, as a sort key


def day_number(iso: str) -> int:
    return date.fromisoformat(iso).toordinal()


def window_start(on: int, days: int) -> int:
    """The first day inside the window of `days` ending on `on`: days in (on - days, on]."""
    return on - days + 1


def iso(day: int) -> str:
    return date.fromordinal(day).isoformat()


EPOCH = date(1, 1, 1).toordinal()


def days_before(day: int, days: int) -> int:
    """`day - days`, clamped at the first representable day (unbounded lateness)."""
    return max(EPOCH, day - days)

