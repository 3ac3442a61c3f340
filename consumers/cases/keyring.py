"""The keys the tracker holds in memory: each case's data key (case-keys) and the sealed identities (vault)."""
from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer

from consumers.cases import sealing
from consumers.cases.topics import read_to_end
from producers.vault import TOPIC as VAULT_TOPIC
from producers.vault import IdentityRecord, open_sealed, vault_keys
from schemas.settings import Settings


class CaseKeys:
    """case_id -> data key (None: erased), from the compacted `case-keys`; a new key is acknowledged
    there before the first event sealed with it. Callers hold the case's lock (CaseStore.append)."""

    def __init__(self, settings: Settings, producer: AIOKafkaProducer) -> None:
        self.settings, self.producer = settings, producer
        self.topic, self.masters = settings.topic(sealing.TOPIC), vault_keys(settings)
        self.keys: dict[str, bytes | None] = {}

    async def refresh(self) -> None:
        for record in await read_to_end(self.settings, self.topic):
            case_id = record.key.decode()
            self.keys[case_id] = None if record.value is None else sealing.unwrap(record.value, case_id, self.masters)

    def get(self, case_id: str) -> bytes | None:
        return self.keys.get(case_id)

    async def for_writing(self, case_id: str) -> bytes:
        if self.keys.get(case_id) is None and case_id not in self.keys:
            await self.refresh()  # another tracker instance may have created it
        if (key := self.keys.get(case_id)) is not None:
            return key
        if case_id in self.keys:
            raise CaseErased(case_id)
        key = os.urandom(32)
        await self.producer.send_and_wait(self.topic, key=case_id.encode(), value=sealing.wrap(key, case_id, self.masters[0]))
        self.keys[case_id] = key
        return key

    async def forget(self, case_id: str) -> None:
        """Erase the case's text: a tombstone for its key (compaction then drops the key itself)."""
        await self.producer.send_and_wait(self.topic, key=case_id.encode(), value=None)
        self.keys[case_id] = None


class VaultIndex:
    """person_key -> sealed identity, read from the compacted vault topic; opened only on reveal."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = vault_keys(settings)
        self.sealed: dict[str, bytes] = {}
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Catch up with the topic as it is now."""
        async with self._lock:
            for record in await read_to_end(self.settings, self.settings.topic(VAULT_TOPIC)):
                if record.value is None:
                    self.sealed.pop(record.key.decode(), None)  # tombstone: erased
                else:
                    self.sealed[record.key.decode()] = record.value

    async def erase(self, person_key: str, producer: AIOKafkaProducer) -> bool:
        """A tombstone for the person's sealed identity (compaction then drops the record itself).
        True when there was one. A later department row about the person seals a new one."""
        await self.refresh()
        await producer.send_and_wait(self.settings.topic(VAULT_TOPIC), key=person_key.encode(), value=None)
        async with self._lock:
            return self.sealed.pop(person_key, None) is not None

    def load(self, records: Iterable[tuple[str, bytes]]) -> None:
        self.sealed.update(records)

    async def open(self, person_key: str) -> IdentityRecord:
        if person_key not in self.sealed:
            await self.refresh()
        blob = self.sealed.get(person_key)
        if blob is None:
            raise IdentityUnknown(person_key)
        return open_sealed(blob, self.keys, person_key)



class CaseErased(RuntimeError):
    """The case's data key was erased: nothing more is written to it."""



class IdentityUnknown(LookupError):
    """The vault has no record for this key (not yet ingested, or erased)."""
