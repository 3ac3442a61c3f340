"""Silence alerts that would only repeat what a caseworker already has (Alertmanager's inhibit).

- an open `deceased_recipient` for a person silences that person's risk alerts;
- a case already open for person + rule silences later alerts of that rule.

State lives in Redis, one hash per person: `open:<person_key>` {rule: alert_id}. A delivered
alert opens its rule; a withdrawn one closes it (the cases service may close it too).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from schemas.alerts import Alert

DECEASED = "deceased_recipient"
OpenRules = dict[str, str]  # rule -> alert_id that opened it


def inhibited_by(alert: Alert, open_rules: OpenRules) -> str | None:
    """Why this alert is silenced, or None. The alert that opened a rule is never its own inhibitor."""
    if alert.kind == "risk" and DECEASED in open_rules:
        return "deceased"
    if open_rules.get(alert.rule, alert.alert_id) != alert.alert_id:
        return "case_open"
    return None


class OpenCases:
    """The Redis side of inhibition."""

    def __init__(self, redis) -> None:  # redis.asyncio.Redis
        self.redis = redis

    @staticmethod
    def key(person_key: str) -> str:
        return f"open:{person_key}"

    async def of(self, person_keys: set[str]) -> dict[str, OpenRules]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for person in sorted(person_keys):
                pipe.hgetall(self.key(person))
            found = await pipe.execute()
        return {p: {k.decode(): v.decode() for k, v in rules.items()} for p, rules in zip(sorted(person_keys), found)}

    async def open(self, alerts: list[Alert]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for alert in alerts:
                pipe.hsetnx(self.key(alert.person_key), alert.rule, alert.alert_id)
            await pipe.execute()

    async def close(self, alert: Alert) -> None:
        """Close the rule only if this very alert opened it."""
        key = self.key(alert.person_key)
        if (await self.redis.hget(key, alert.rule) or b"").decode() == alert.alert_id:
            await self.redis.hdel(key, alert.rule)


def inhibit(cases: OpenCases, on_silenced: Callable[[Alert, str], None] = lambda a, r: None
            ) -> Callable[[list[Alert]], Awaitable[list[Alert]]]:
    """Stage: keep the alerts nothing inhibits; report the others to `on_silenced`."""
    async def stage(alerts: list[Alert]) -> list[Alert]:
        open_by_person = await cases.of({a.person_key for a in alerts})
        # a deceased_recipient in this very batch counts too: it is about to open
        for a in alerts:
            if a.rule == DECEASED:
                open_by_person[a.person_key].setdefault(DECEASED, a.alert_id)
        kept = []
        for alert in alerts:
            if reason := inhibited_by(alert, open_by_person[alert.person_key]):
                on_silenced(alert, reason)
            else:
                kept.append(alert)
        return kept
    return stage
