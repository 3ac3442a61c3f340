"""The pipeline's step functions in one process, no broker: `replay --direct` and the unit tests.

    envelopes -> step_person -> raised / withdrawn, deltas -> step_household -> raised / withdrawn

Deltas are judged as soon as they are made; the standing set does not depend on that order.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from schemas.alerts import Alert
from schemas.envelope import Envelope
from streams.config import RulesConfig
from streams.export import cooled
from streams.firing import Firing
from streams.horizon import Reach
from streams.household_step import step_household
from streams.person_step import step_person
from streams.standing import Outputs
from streams.state import HouseholdState, MemberDelta, PersonState


@dataclass
class DirectPipeline:
    rules: RulesConfig
    reach: Reach
    people: dict[str, PersonState] = field(default_factory=dict)
    households: dict[str, HouseholdState] = field(default_factory=dict)
    standing: dict[str, Firing] = field(default_factory=dict)  # what a consumer folding the notices holds
    late: list[tuple[str, str]] = field(default_factory=list)  # (stage, reason)
    notices: int = 0

    @classmethod
    def of(cls, rules: RulesConfig, lateness_days: int) -> DirectPipeline:
        return cls(rules, Reach.of(rules, lateness_days))

    def put(self, event: Envelope) -> None:
        state, out = step_person(self.people.get(event.person_key), event, self.rules, self.reach)
        self.people[event.person_key] = state
        self.publish(out, "people")
        for delta in out.deltas:
            self.put_delta(delta)

    def put_delta(self, delta: MemberDelta) -> None:
        state, out = step_household(self.households.get(delta.household), delta, self.rules, self.reach)
        self.households[delta.household] = state
        self.publish(out, "households")

    def put_all(self, events: Iterable[Envelope]) -> DirectPipeline:
        for event in events:
            self.put(event)
        return self

    def publish(self, out: Outputs, stage: str) -> None:
        if out.late:
            self.late.append((stage, out.late))
        for firing in out.withdrawn:
            self.standing.pop(firing.alert_id, None)
        for firing in out.raised:
            self.standing[firing.alert_id] = firing
        self.notices += len(out.raised) + len(out.withdrawn)

    def alerts(self) -> list[Alert]:
        now = datetime.now(timezone.utc)
        return cooled((f.to_alert(self.rules.version, now) for f in self.standing.values()), self.rules)
