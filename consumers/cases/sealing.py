"""Free text in case events, sealed with a key per case: erasing a case's people is dropping its key.

On `case-events` the free-text fields (summary, note, findings, reveal reason) are

    "sealed:" + base64url(nonce 12 bytes | AES-256-GCM(text), associated data "<case_id>|<version>|<field>")

with the case's own data key. Data keys live on the compacted topic `case-keys` (key: case_id), each
wrapped with the vault key (AES-GCM, associated data the case id, same key ids and rotation as the
vault). A tombstone there erases the case's text for good: the events stay, their text opens as
ERASED. Everything else in an event (states, verdicts, figures, pseudonyms) stays readable, so the
analytics sink and replays work without keys.
"""
from __future__ import annotations

import base64
import os

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consumers.cases.lifecycle import WITHDRAWN_NOTE
from producers.vault import key_id
from schemas.cases import AnyCaseEvent, CaseEventRecord

TEXT_FIELDS = {"opened": ("summary",), "transitioned": ("note",), "survey_recorded": ("findings",),
               "identity_revealed": ("reason",)}
# Notes the tracker itself writes as markers (no person's words): readers such as the analytics sink
# count on them, so they stay readable.
SYSTEM_NOTES = frozenset({WITHDRAWN_NOTE})
PREFIX = "sealed:"
ERASED = "[已删除 erased]"
TOPIC = "case-keys"


def _aad(event: dict, field: str) -> bytes:
    return f"{event['case_id']}|{event['version']}|{field}".encode()


def seal_text(event: dict, data_key: bytes) -> dict:
    """The event's JSON dict with each free-text field sealed (empty text stays empty)."""
    sealed = dict(event)
    for field in TEXT_FIELDS.get(event["type"], ()):
        if (text := event.get(field)) and text not in SYSTEM_NOTES:
            nonce = os.urandom(12)
            blob = nonce + AESGCM(data_key).encrypt(nonce, text.encode(), _aad(event, field))
            sealed[field] = PREFIX + base64.urlsafe_b64encode(blob).decode()
    return sealed


def open_text(event: dict, data_key: bytes | None) -> dict:
    """The event's dict with its text opened; ERASED where the key is gone (or the text was altered)."""
    opened = dict(event)
    for field in TEXT_FIELDS.get(event["type"], ()):
        value = event.get(field)
        if isinstance(value, str) and value.startswith(PREFIX):
            opened[field] = _open(value, data_key, _aad(event, field))
    return opened


def _open(value: str, data_key: bytes | None, aad: bytes) -> str:
    if data_key is None:
        return ERASED
    blob = base64.urlsafe_b64decode(value[len(PREFIX):])
    try:
        return AESGCM(data_key).decrypt(blob[:12], blob[12:], aad).decode()
    except InvalidTag:
        return ERASED


def dump_event(event: AnyCaseEvent, data_key: bytes) -> bytes:
    """The `case-events` value: a CaseEventRecord with the text sealed."""
    return orjson.dumps({"event": seal_text(event.model_dump(mode="json"), data_key)})


def load_event(value: bytes, data_key_of) -> AnyCaseEvent:
    """A `case-events` value back to its event; `data_key_of(case_id)` gives the key or None (erased)."""
    event = orjson.loads(value)["event"]
    return CaseEventRecord.model_validate({"event": open_text(event, data_key_of(event["case_id"]))}).event


def case_id_of(value: bytes) -> str:
    return orjson.loads(value)["event"]["case_id"]


# ---------------------------------------------------------------- data keys, wrapped with the vault key


def wrap(data_key: bytes, case_id: str, master: bytes) -> bytes:
    nonce = os.urandom(12)
    return key_id(master) + nonce + AESGCM(master).encrypt(nonce, data_key, case_id.encode())


def unwrap(blob: bytes, case_id: str, masters: list[bytes]) -> bytes:
    master = next((k for k in masters if key_id(k) == blob[:4]), None)
    if master is None:
        raise KeyUnavailable(f"no vault key with id {blob[:4].hex()} for the data key of {case_id}")
    try:
        return AESGCM(master).decrypt(blob[4:16], blob[16:], case_id.encode())
    except InvalidTag:
        raise KeyUnavailable(f"the data key of {case_id} failed authentication") from None


class KeyUnavailable(ValueError):
    """A wrapped data key that cannot be opened."""
