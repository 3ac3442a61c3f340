"""Where cases live: the event log on Kafka (truth), a Redis projection (reads), and the vault index.

case-events (key: case_id, value: CaseEventRecord JSON) --replay/evolve--> Redis:
    <prefix>cases:case:<id>          hash  json, state, township, version
    <prefix>cases:township:<code>    zset  case_id by opened_at     (also county:<6 digits>, state:<s>, all)
    <prefix>cases:sla                zset  case_id by sla_due, while the SLA can still be missed
    <prefix>cases:queue:<county>     zset  cases under a county-level or unlisted code: the county's queue
    <prefix>cases:person:<key>       zset  every case about one person (related cases on the case page)
    <prefix>cases:filed:<user>       zset  tickets a logged-in operator filed (they always see them)
    <prefix>cases:withdrawn          zset  cases closed as 预警撤回 (counted apart)
    <prefix>cases:open:<rule>:<subj> str   the one open case of a rule about a person or household
    <prefix>cases:alert:<alert_id>   str   the case an alert opened or joined

Every write goes through `append`: under a per-case Redis lock it loads the case, decides the next
event, waits for Kafka to acknowledge it, then updates the projection. `rebuild` replays the log.
Free text in events is sealed with the case's data key from `case-keys` (consumers/cases/sealing.py).
The keys in memory: consumers/cases/keyring.py; topic creation and reading: consumers/cases/topics.py.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from consumers.cases import sealing
from consumers.cases.lifecycle import evolve, replay
from consumers.cases.sla import reached, sla_for
from consumers.cases.keyring import CaseErased, CaseKeys, IdentityUnknown, VaultIndex  # noqa: F401 (re-exported)
from consumers.cases.topics import ensure_case_topics, read_to_end
from producers.vault import VaultError
from schemas.cases import AnyCaseEvent, Case, CaseState, projection_key, subject_key
from schemas.townships import places
from schemas.settings import Settings

Decide = Callable[[Case | None], AnyCaseEvent | list[AnyCaseEvent] | None]
# A writer holds a case's lock for at most LOCK_HOLD_S (then its append fails and the lock is released),
# and the lock outlives that by a margin: nothing a writer sends can be acknowledged after its lock
# expired. Each send waits up to the producer's REQUEST_TIMEOUT_MS; an append usually sends the case's
# data key (once per case) and one or two events.
REQUEST_TIMEOUT_MS = 30_000
LOCK_HOLD_S = 3 * REQUEST_TIMEOUT_MS / 1000 + 10
LOCK_TTL_MS = int(LOCK_HOLD_S * 1000) + 30_000
LOCK_WAIT_S = 10.0
UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class CaseStore:
    def __init__(self, settings: Settings, redis: Redis, producer: AIOKafkaProducer) -> None:
        self.settings = settings
        self.redis = redis
        self.producer = producer
        self.topic = settings.topic("case-events")
        self.prefix = f"{settings.topic_prefix}cases:"
        self.keys = CaseKeys(settings, producer)

    # ------------------------------------------------------------ reads

    async def find(self, case_id: str) -> Case | None:
        raw = await self.redis.hget(projection_key(self.settings.topic_prefix, case_id), "json")
        return None if raw is None else Case.model_validate_json(raw)

    async def get(self, case_id: str) -> Case:
        case = await self.find(case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return case

    async def list(self, index: str, value: str = "", limit: int = 500) -> list[Case]:
        """Cases in one index (`township`, `county`, `state`, `all`), newest first."""
        ids = await self.redis.zrevrange(self._key(index, value) if value else self._key(index), 0, limit - 1)
        cases = [await self.find(_text(case_id)) for case_id in ids]
        return [case for case in cases if case is not None]

    async def count(self, index: str, value: str = "") -> int:
        """How many cases one index holds (`state` + a state name, `township` + a code, ...)."""
        return await self.redis.zcard(self._key(index, value) if value else self._key(index))

    async def ids(self, index: str, value: str = "") -> list[str]:
        """Every case id of one index, newest first."""
        return [_text(c) for c in await self.redis.zrevrange(self._key(index, value) if value else self._key(index), 0, -1)]

    async def load_many(self, case_ids: Iterable[str]) -> list[Case]:
        """Cases by id in one round trip; ids without a case are skipped."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for case_id in case_ids:
                pipe.hget(projection_key(self.settings.topic_prefix, case_id), "json")
            raws = await pipe.execute()
        return [Case.model_validate_json(raw) for raw in raws if raw is not None]

    async def open_case_of(self, kind: str, subject: str) -> str | None:
        """The open case of rule `kind` about `subject` (`person:<key>` / `household:<id>`), if any."""
        found = await self.redis.get(self._key("open", kind, subject))
        return _text(found) if found else None

    async def case_of_alert(self, alert_id: str, primary: str) -> str | None:
        """The case an alert opened (`primary`) or joined."""
        if await self.redis.exists(projection_key(self.settings.topic_prefix, primary)):
            return primary
        found = await self.redis.get(self._key("alert", alert_id))
        return _text(found) if found else None

    def locked(self, name: str):
        """A lock on something other than one case (a subject, while deciding which case an alert joins)."""
        return self._locked(f"subject:{name}")

    async def due_before(self, now: datetime) -> list[str]:
        return [_text(c) for c in await self.redis.zrangebyscore(self._key("sla"), "-inf", now.timestamp())]

    # ------------------------------------------------------------ writes

    async def append(self, case_id: str, decide: Decide) -> Case | None:
        """Decide the next event on the current case, log it (acked), project it; None if nothing.

        CaseBusy when another writer holds the case too long, or when Kafka does not acknowledge
        within LOCK_HOLD_S (the lock is still ours then: nobody else wrote meanwhile)."""
        async with self._locked(case_id):
            try:
                async with asyncio.timeout(LOCK_HOLD_S):
                    case = await self.find(case_id)
                    decided = decide(case)
                    events = decided if isinstance(decided, list) else [decided] if decided is not None else []
                    new = case
                    for event in events:
                        new = evolve(new, event)
                        value = sealing.dump_event(event, await self.keys.for_writing(case_id))
                        await self.producer.send_and_wait(self.topic, key=case_id.encode(), value=value)
                    if events:
                        await self._project(new, case)
                    return new
            except TimeoutError:
                raise CaseBusy(f"{case_id}: Kafka did not acknowledge within {LOCK_HOLD_S:.0f} s") from None

    async def erase_text(self, case_id: str) -> Case | None:
        """Drop the case's data key, then project the case again from its log: its text reads ERASED."""
        async with self._locked(case_id):
            await self.keys.forget(case_id)
            records = [r for r in await read_to_end(self.settings, self.topic) if r.key == case_id.encode()]
            case = replay(sealing.load_event(r.value, self.keys.get) for r in records).get(case_id)
            if case is not None:
                await self._project(case, await self.find(case_id))
            return case

    async def rebuild(self) -> int:
        """Replace the projection with a replay of the whole log; returns the number of cases."""
        records = await read_to_end(self.settings, self.topic)
        await self.keys.refresh()
        cases = replay(sealing.load_event(r.value, self.keys.get) for r in records)
        await self._clear()
        for case in cases.values():
            await self._project(case, None)
        return len(cases)

    async def _project(self, case: Case, old: Case | None) -> None:
        score = case.opened_at.timestamp()
        township = case.township_code or "none"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(projection_key(self.settings.topic_prefix, case.case_id), mapping={
                "json": case.model_dump_json(), "state": str(case.state), "township": township,
                "version": case.version})
            if old is not None and old.state != case.state:
                pipe.zrem(self._key("state", str(old.state)), case.case_id)
            pipe.zadd(self._key("state", str(case.state)), {case.case_id: score})
            pipe.zadd(self._key("township", township), {case.case_id: score})
            pipe.zadd(self._key("county", township[:6]), {case.case_id: score})
            pipe.zadd(self._key("all"), {case.case_id: score})
            if case.reported_by:
                pipe.zadd(self._key("reporter", case.reported_by), {case.case_id: score})
            self._project_owners(pipe, case, score)
            if _sla_pending(case):
                pipe.zadd(self._key("sla"), {case.case_id: case.sla_due.timestamp()})
            else:
                pipe.zrem(self._key("sla"), case.case_id)
            await pipe.execute()

    def _project_owners(self, pipe, case: Case, score: float) -> None:
        """The indexes that give every case an owner and keep one open case per subject and rule."""
        code = case.township_code or ""
        if code and places().is_county_level(code):
            pipe.zadd(self._key("queue", code[:6]), {case.case_id: score})
        if case.person_key:
            pipe.zadd(self._key("person", case.person_key), {case.case_id: score})
        if case.filed_by:
            pipe.zadd(self._key("filed", case.filed_by), {case.case_id: score})
        if case.closed_as_withdrawn:
            pipe.zadd(self._key("withdrawn"), {case.case_id: score})
        for alert_id in (*case.alert_ids, *case.withdrawn_alerts):
            pipe.set(self._key("alert", alert_id), case.case_id)
        subject = subject_key(case.kind, case.person_key, case.household_id)
        if case.category != "channel" and subject:
            slot = self._key("open", case.kind, subject)
            if case.state is CaseState.closed:
                pipe.eval(UNLOCK, 1, slot, case.case_id)  # delete only if it still names this case
            else:
                pipe.set(slot, case.case_id)

    async def _clear(self) -> None:
        keys = [k async for k in self.redis.scan_iter(match=f"{self.prefix}*", count=1000)]
        for start in range(0, len(keys), 500):
            await self.redis.delete(*keys[start:start + 500])

    @asynccontextmanager
    async def _locked(self, case_id: str):
        key, token = self._key("lock", case_id), uuid.uuid4().hex
        deadline = asyncio.get_running_loop().time() + LOCK_WAIT_S
        while not await self.redis.set(key, token, nx=True, px=LOCK_TTL_MS):
            if asyncio.get_running_loop().time() > deadline:
                raise CaseBusy(case_id)
            await asyncio.sleep(0.02)  # back-off while another writer holds the case
        try:
            yield
        finally:
            await self.redis.eval(UNLOCK, 1, key, token)

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)


def _sla_pending(case: Case) -> bool:
    return not (case.escalated or case.withdrawn or reached(case, sla_for(case.kind, case.category).target))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class CaseNotFound(LookupError):
    """No case with this id in the projection."""


class CaseBusy(RuntimeError):
    """Another writer held the case longer than we could wait."""


__all__ = ["CaseStore", "VaultIndex", "CaseNotFound", "CaseBusy", "IdentityUnknown", "VaultError",
           "ensure_case_topics", "read_to_end"]
