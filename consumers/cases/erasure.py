"""Erasing a person: their sealed identity and the free text of every case about them.

Case events stay on `case-events` (states, verdicts, figures and pseudonyms are what analysts and
audits count); what identifies or describes the person goes: the vault record gets a tombstone and
each case's data key on `case-keys` too, so the sealed text can never be opened again (sealing.py),
and the visit photos under <data_dir>/web/photos are deleted.
"""
from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel

from consumers.cases.keyring import VaultIndex
from consumers.cases.store import CaseStore
from consumers.web.photos import PhotoStore

log = logging.getLogger(__name__)


class Erasure(BaseModel):
    person_key: str
    cases: list[str]
    identity_erased: bool
    photos_deleted: int
    by: str
    at: datetime


async def erase_person(store: CaseStore, vault: VaultIndex, person_key: str, *, actor: str, at: datetime) -> Erasure:
    cases = await store.ids("person", person_key)
    photos, deleted = PhotoStore(store.settings.data_dir / "web" / "photos"), 0
    for case_id in cases:
        await store.erase_text(case_id)
        deleted += photos.erase(case_id)
    identity = await vault.erase(person_key, store.producer)
    log.warning("erasure: person %s, %d case(s) %s, %d photo(s), identity %s, by %s", person_key, len(cases), cases,
                deleted, "erased" if identity else "not on record", actor)
    return Erasure(person_key=person_key, cases=cases, identity_erased=identity, photos_deleted=deleted, by=actor, at=at)
