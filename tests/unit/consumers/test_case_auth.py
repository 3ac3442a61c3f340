"""Passwords, signed tokens (tampering is refused) and who may see or act on a case."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from consumers.cases.auth import (
    InvalidToken, User, authenticate, can_act, can_read, can_reveal, check_password, hash_password, issue_token,
    load_users, read_token,
)
from schemas.cases import Case
from schemas.settings import Settings

SETTINGS = Settings(token_secret="unit-test-secret")
T0 = datetime(2026, 3, 2, tzinfo=UTC)
CASEWORKER = User(user="cw1", role="caseworker", township_code="340403001")


def case(township: str = "340403001") -> Case:
    return Case(case_id="C1", kind="hotline", category="channel", source_id="r", township_code=township,
                opened_at=T0, sla_due=T0)


def test_scrypt_hash_checks_the_right_password_only() -> None:
    stored = hash_password("s3cret")
    assert check_password("s3cret", stored) and not check_password("s3cret!", stored)
    assert hash_password("s3cret") != stored  # salted


def test_demo_users_load_and_log_in() -> None:
    users = load_users()
    assert authenticate(users, "caseworker1", "caseworker1-demo") == User(
        user="caseworker1", role="caseworker", township_code="340403001")
    assert authenticate(users, "caseworker1", "wrong") is None
    assert authenticate(users, "nobody", "x") is None


def test_token_round_trip() -> None:
    assert read_token(SETTINGS, issue_token(SETTINGS, CASEWORKER)) == CASEWORKER


def test_tampered_token_is_refused() -> None:
    token = issue_token(SETTINGS, CASEWORKER)
    payload, rest = token.split(".", 1)
    forged = issue_token(SETTINGS, User(user="cw1", role="admin")).split(".", 1)[0] + "." + rest
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage"):
        with pytest.raises(InvalidToken):
            read_token(SETTINGS, bad)


def test_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token(Settings(token_secret="other"), CASEWORKER)
    with pytest.raises(InvalidToken):
        read_token(SETTINGS, token)


def test_expired_token_is_refused() -> None:
    token = issue_token(SETTINGS, CASEWORKER)
    with pytest.raises(InvalidToken):
        read_token(SETTINGS, token, max_age=-1)


@pytest.mark.parametrize(("role", "code"), [("caseworker", "340403"), ("caseworker", None), ("supervisor", "340403001")])
def test_scope_must_fit_the_role(role: str, code: str | None) -> None:
    with pytest.raises(ValidationError):
        User(user="u", role=role, township_code=code)


@pytest.mark.parametrize(("user", "township", "read", "act", "reveal"), [
    (CASEWORKER, "340403001", True, True, True),
    (CASEWORKER, "340403002", False, False, False),
    (User(user="s", role="supervisor", township_code="340403"), "340403002", True, True, True),
    (User(user="s", role="supervisor", township_code="340404"), "340403002", False, False, False),
    (User(user="a", role="auditor"), "340403002", True, False, False),
    (User(user="a", role="admin"), "340403002", True, True, False),
])
def test_scope(user: User, township: str, read: bool, act: bool, reveal: bool) -> None:
    c = case(township)
    assert (can_read(user, c), can_act(user, c), can_reveal(user, c)) == (read, act, reveal)


@pytest.mark.parametrize(("role", "code", "allowed"), [("caseworker", "340403001", False), ("supervisor", "340403", False),
                                                       ("auditor", None, False), ("admin", None, True)])
def test_only_administrators_export_decisions(role: str, code: str | None, allowed: bool) -> None:
    from consumers.cases.auth import can_export_decisions

    assert can_export_decisions(User(user="u", role=role, township_code=code)) is allowed
