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
           whole_history: frozenset[str] = frozenset(), until: int | None = None, judged: frozenset[str] | None = None,
           ) -> tuple[dict[str, Firing], Changes]:
    """The new standing set after re-judging every trigger from `since` on (up to `until`, when given).

    Firings before `since` cannot have changed and seed the cooldown; firings after `until` stand
    as they are (the caller checks with `tail_agrees` that they may); rules in `whole_history`
    are re-judged entirely (their candidates cover every day). `judged`: the rules the candidates
    come from (None: every rule); the others' firings stand as they are (cooldown is per person and
    rule, so a rule's decisions never depend on another's).
    """
    last = until if until is not None else float("inf")
    if judged is None:
        rejudged: Callable[[Firing], bool] = lambda f: since <= f.day <= last or f.rule in whole_history  # noqa: E731
    else:
        rejudged = lambda f: f.rule in judged and (since <= f.day <= last or f.rule in whole_history)  # noqa: E731
    candidates = list(candidates)
    if not candidates and not any(rejudged(f) for f in standing.values()):
        return standing, Changes([], [])  # nothing judged, nothing to withdraw: the same set (never mutated)
    fixed = [f for f in standing.values() if (judged is None or f.rule in judged) and f.day < since
             and f.rule not in whole_history]
    kept = apply_cooldown(candidates, lambda f: rules.for_county(f.township_code).cooldown_days, earlier=fixed)
    now = {f.alert_id: f for f in kept}
    raised = [f for aid, f in now.items() if aid not in standing or standing[aid] != f]
    withdrawn = [f for aid, f in standing.items() if rejudged(f) and aid not in now]
    result = {aid: f for aid, f in standing.items() if not rejudged(f)}
    result.update(now)
    return result, Changes(raised, withdrawn)


def tail_agrees(before: dict[str, Firing], after: dict[str, Firing], until: int, cooldown_days: int) -> bool:
    """Whether the firings standing after `until` still stand after a re-judgement up to `until`.

    Candidates after `until` are the caller's to vouch for (no new record reaches them); whether one is
    kept depends only on the kept firings of its person and rule less than a cooldown earlier. When the
    kept firings in the last `cooldown_days` up to `until` are the same before and after, every decision
    after `until` is the same too; else the caller re-judges further."""
    if after is before:
        return True

    def tail(standing: dict[str, Firing]) -> dict[str, Firing]:
        return {aid: f for aid, f in standing.items() if until - cooldown_days <= f.day <= until}
    return tail(before) == tail(after)
