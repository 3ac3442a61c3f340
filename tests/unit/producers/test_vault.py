"""Identity vault: sealed records open with the right key only, and keys rotate."""
from __future__ import annotations

import base64
import os

import pytest

from producers.vault import IdentityRecord, VaultError, open_sealed, seal, vault_keys
from schemas.settings import Settings

RECORD = IdentityRecord(person_key="a" * 64, id_number="11010519491231002X", name="张三", phone="13800000000")


def test_round_trip_and_no_clear_text():
    key = os.urandom(32)
    blob = seal(RECORD, key)
    assert open_sealed(blob, [key], RECORD.person_key) == RECORD
    for clear in (RECORD.id_number, RECORD.name, RECORD.phone):
        assert clear.encode() not in blob
    assert seal(RECORD, key) != blob  # fresh nonce each time


def test_rotation_picks_the_key_by_id():
    old, new = os.urandom(32), os.urandom(32)
    assert open_sealed(seal(RECORD, old), [new, old], RECORD.person_key) == RECORD
    with pytest.raises(VaultError, match="no key"):
        open_sealed(seal(RECORD, old), [new], RECORD.person_key)


def test_tampering_is_detected():
    key = os.urandom(32)
    blob = bytearray(seal(RECORD, key))
    blob[-1] ^= 1
    with pytest.raises(VaultError, match="authentication"):
        open_sealed(bytes(blob), [key], RECORD.person_key)
    with pytest.raises(VaultError):
        open_sealed(b"garbage", [key], RECORD.person_key)


def test_keys_from_settings():
    a, b = os.urandom(32), os.urandom(32)
    settings = Settings(vault_key=f"{base64.b64encode(a).decode()}, {base64.b64encode(b).decode()}")
    assert vault_keys(settings) == [a, b]
    assert len(vault_keys(Settings())[0]) == 32
    with pytest.raises(VaultError):
        vault_keys(Settings(vault_key=base64.b64encode(b"short").decode()))


def test_a_record_moved_under_another_person_key_does_not_open():
    """person_key is associated data: a valid record copied under someone else's key fails (issue 12)."""
    key = os.urandom(32)
    blob = seal(RECORD, key)
    with pytest.raises(VaultError, match="another person_key"):
        open_sealed(blob, [key], "b" * 64)
    assert open_sealed(blob, [key], RECORD.person_key) == RECORD


def test_a_legacy_record_opens_only_to_be_resealed():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from producers.vault import LEGACY, key_id

    key, nonce = os.urandom(32), os.urandom(12)
    header = LEGACY + key_id(key)
    blob = header + nonce + AESGCM(key).encrypt(nonce, RECORD.model_dump_json().encode(), header)
    with pytest.raises(VaultError, match="reseal"):
        open_sealed(blob, [key], RECORD.person_key)
    assert open_sealed(blob, [key], RECORD.person_key, legacy=True) == RECORD
    with pytest.raises(VaultError, match="another person_key"):
        open_sealed(blob, [key], "b" * 64, legacy=True)
