"""The identity vault: who a `person_key` is, sealed with AES-256-GCM on a compacted topic.

Only the case tracker, behind authorisation, opens these records. Wire format of one value:

    b"SV2" | key id (4 bytes: SHA-256(key)[:4]) | nonce (12 bytes) | AES-GCM(ciphertext + tag)

The header (format + key id) and the record's vault key (the Kafka key: a person_key, or a
channel contact's contact_key) are authenticated as associated data, so a record copied under
another person's key does not open. The key id lets a reader pick the right key while keys rotate
(see VAULT.md). SV1 values (header only as associated data) open only for `safetynet vault reseal`.
"""
from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

from schemas.envelope import PERSON_KEY
from schemas.settings import Settings

MAGIC = b"SV2"
LEGACY = b"SV1"  # before person_key was bound: opened only to re-seal
TOPIC = "identity-vault"


class IdentityRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    person_key: str = Field(pattern=PERSON_KEY)
    id_number: str
    name: str
    phone: str | None = None


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


def vault_keys(settings: Settings) -> list[bytes]:
    """`vault_key` is one base64 key, or several separated by commas: the first seals, all open."""
    keys = [base64.b64decode(part.strip()) for part in settings.vault_key.get_secret_value().split(",") if part.strip()]
    if not keys or any(len(k) != 32 for k in keys):
        raise VaultError("vault_key must be base64 of 32 bytes (comma-separated for rotation)")
    return keys


@lru_cache(maxsize=8)
def _cipher(key: bytes) -> tuple[bytes, AESGCM]:
    return MAGIC + key_id(key), AESGCM(key)


def seal(record: IdentityRecord, key: bytes) -> bytes:
    """Seal under `record.person_key`, the key it must be stored and opened under."""
    header, cipher = _cipher(key)
    nonce = os.urandom(12)
    return header + nonce + cipher.encrypt(nonce, record.model_dump_json().encode(), header + record.person_key.encode())


def open_sealed(blob: bytes, keys: Iterable[bytes], person_key: str, *, legacy: bool = False) -> IdentityRecord:
    """Open the record stored under `person_key` with whichever key the header names.

    VaultError when no key fits, the value was altered, or it was sealed for another key (moved).
    """
    if len(blob) < 3 + 4 + 12 + 16 or not (blob.startswith(MAGIC) or legacy and blob.startswith(LEGACY)):
        raise VaultError("not a sealed identity record" + (" (SV1: run `safetynet vault reseal`)"
                                                          if blob.startswith(LEGACY) else ""))
    header, nonce, sealed = blob[:7], blob[7:19], blob[19:]
    key = next((k for k in keys if key_id(k) == header[3:7]), None)
    if key is None:
        raise VaultError(f"no key for key id {header[3:7].hex()}")
    associated = header if header.startswith(LEGACY) else header + person_key.encode()
    try:
        record = IdentityRecord.model_validate_json(AESGCM(key).decrypt(nonce, sealed, associated))
    except InvalidTag:
        raise VaultError("record failed authentication (altered, or sealed for another person_key)") from None
    if record.person_key != person_key:
        raise VaultError("record belongs to another person_key")
    return record


class VaultError(ValueError):
    """A sealed record that cannot be opened: wrong key, unknown key id, or tampered bytes."""
