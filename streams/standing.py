"""Which alerts stand: re-judge from a day on, keep what came before, say what rises and what falls."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from streams.config import RulesConfig
from streams.firing import Firing, apply_cooldown

if TYPE_CHECKING:
    from streams.state import MemberDelta


@dataclass(frozen=True, slots=True)
class Changes:
    raised: list[Firing]  # new, or changed content under the same id
    withdrawn: list[Firing]  # no longer hold


@dataclass(slots=True)
class Outputs:
    """What one step asks its shell to do."""

    raised: list[Firing] = field(default_factory=list)
    withdrawn: list[Firing] = field(default_factory=list)
    deltas: list[MemberDelta] = field(default_factory=list)  # to the household stage
    late: str | None = None  # why the input was too late to judge: the shell dead-letters it
    repeat: list[Firing] = field(default_factory=list)  # a redelivered input: what stands, to send again


def settle(standing: dict[str, Firing], candidates: Iterable[Firing], since: int, rules: RulesConfig,
           whole_history: frozenset[str] = frozenset()) -> tuple[dict[str, Firing], Changes]:
    """The new standing set after re-judging every trigger from `since` on.

    Firings before `since` cannot have changed and seed the cooldown; rules in `whole_history`
    are re-judged entirely (their candidates cover every day).
    """
    rejudged: Callable[[Firing], bool] = lambda f: f.day >= since or f.rule in whole_history  # noqa: E731
    fixed = [f for f in standing.values() if not rejudged(f)]
    kept = apply_cooldown(candidates, lambda f: rules.for_county(f.township_code).cooldown_days, earlier=fixed)
    now = {f.alert_id: f for f in kept}
    raised = [f for aid, f in now.items() if aid not in standing or standing[aid] != f]
    withdrawn = [f for aid, f in standing.items() if rejudged(f) and aid not in now]
    result = {aid: f for aid, f in standing.items() if not rejudged(f)}
    result.update(now)
    return result, Changes(raised, withdrawn)
