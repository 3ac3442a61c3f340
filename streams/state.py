"""Typed state of the two stages, the household delta between them, and one codec for all three.

    PersonState      table people-by-key      (key person_key)
    MemberDelta      topic household-deltas   (key household_id)
    HouseholdState   table households-by-id   (key household_id)

Each encodes to a JSON-native list (records as `[feed, day, eid, key, *figures]`, firings as lists),
then to bytes with orjson: the same `dumps`/`loads` serve the tables and the topic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import faust
import orjson

from streams.firing import Firing
from streams.records import Record, decode, encode

VERSION = 2  # bump when a shape changes: a worker refuses state it cannot read


@dataclass(slots=True)
class PersonState:
    person_key: str
    masked: str
    newest: int = 0  # newest event day this person's state has seen
    records: dict[str, Record] = field(default_factory=dict)  # event_id -> record, what judgements still need
    households: list[str] = field(default_factory=list)  # every household the roster ever put them in
    standing: dict[str, Firing] = field(default_factory=dict)  # alert_id -> firing, while it can still change
    kinds: dict[type[Record], list[Record]] | None = field(default=None, compare=False, repr=False)  # records by type
    ledger: Any = field(default=None, compare=False, repr=False)  # the medical claims that count, with running sums
    roster: Any = field(default=None, compare=False, repr=False)  # the person's roster rows, asked as of a day

    def to_json(self) -> list:
        return [VERSION, "person", self.person_key, self.masked, self.newest, [encode(r) for r in self.records.values()],
                self.households, [f.encode() for f in self.standing.values()]]

    @classmethod
    def from_json(cls, row: list) -> PersonState:
        _, _, person_key, masked, newest, records, households, standing = row
        recs = (decode(r) for r in records)
        fires = (Firing.decode(f) for f in standing)
        return cls(person_key, masked, newest, {r.eid: r for r in recs}, households, {f.alert_id: f for f in fires})


@dataclass(slots=True)
class MemberLog:
    """One member's records as their household keeps them."""

    masked: str
    records: dict[str, Record] = field(default_factory=dict)  # event_id -> record
    derived: Any = field(default=None, compare=False, repr=False)  # the rules' view of them, built once per change


@dataclass(slots=True)
class HouseholdState:
    newest: int = 0
    members: dict[str, MemberLog] = field(default_factory=dict)  # person_key -> everyone the roster ever put here
    standing: dict[str, Firing] = field(default_factory=dict)
    rows: Any = field(default=None, compare=False, repr=False)  # the household's own roster rows, kept while unchanged

    def to_json(self) -> list:
        members = [[person, log.masked, [encode(r) for r in log.records.values()]] for person, log in self.members.items()]
        return [VERSION, "household", self.newest, members, [f.encode() for f in self.standing.values()]]

    @classmethod
    def from_json(cls, row: list) -> HouseholdState:
        _, _, newest, members, standing = row
        logs = {person: MemberLog(masked, {r.eid: r for r in map(decode, records)}) for person, masked, records in members}
        return cls(newest, logs, {f.alert_id: f for f in map(Firing.decode, standing)})


@dataclass(frozen=True, slots=True)
class MemberDelta:
    """What a household hears of one member: new records (one, or a backlog when the member joins)."""

    household: str
    person_key: str
    masked: str
    records: tuple[Record, ...]
    backlog: bool = False  # records the member had before joining: stored, not judged late

    def to_json(self) -> list:
        return [VERSION, "delta", self.household, self.person_key, self.masked, [encode(r) for r in self.records],
                self.backlog]

    @classmethod
    def from_json(cls, row: list) -> MemberDelta:
        _, _, household, person, masked, records, backlog = row
        return cls(household, person, masked, tuple(decode(r) for r in records), backlog)


KINDS = {"person": PersonState, "household": HouseholdState, "delta": MemberDelta}


def dumps(value: PersonState | HouseholdState | MemberDelta) -> bytes:
    return orjson.dumps(value.to_json())


def loads(data: bytes) -> Any:
    row = orjson.loads(data)
    if row[0] != VERSION:
        raise ValueError(f"state of version {row[0]}, this worker reads version {VERSION}")
    return KINDS[row[1]].from_json(row)


class StateCodec(faust.Codec):
    """faust's side of `dumps`/`loads`: tables and the household-deltas topic carry these bytes."""

    def _dumps(self, obj: Any) -> bytes:
        return dumps(obj)

    def _loads(self, s: bytes) -> Any:
        return loads(s)
