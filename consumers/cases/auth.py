"""Who is asking: signed tokens, demo users with scrypt hashes, and which cases each role may see.

| role       | township_code       | sees                      | may act / reveal          |
|------------|---------------------|---------------------------|---------------------------|
| caseworker | 9-digit township    | its township's cases      | its township's cases      |
|            |                     | + its county's queue      | + its county's queue      |
| supervisor | 6-digit county      | its county's cases        | its county's cases        |
|            |                     | + cases with no township  | + cases with no township  |

The county's queue holds cases under a county-level code (`340403000`) or a code the township file
does not list: the county's caseworkers and supervisors see and work them. A case with no township at
all (a 12345 ticket whose caller did not know it) is every supervisor's to dispatch. Whoever filed a
ticket in the console always sees it (read only).
| auditor    | -                   | every case, read-only     | nothing                   |
| admin      | -                   | every case                | act: all; reveal: none    |

Revealing an identity is reserved for the group that owns the case (spec section 4). Exporting
decisions (real ID numbers of every decided case, spec section 5) is reserved for administrators.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from typing import Literal

import yaml
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.cases import Case
from schemas.settings import Settings
from schemas.townships import places

Role = Literal["caseworker", "supervisor", "auditor", "admin", "reporter"]  # reporter: 我要预警, own reports only
USERS_FILE = Path(__file__).resolve().parents[2] / "infra" / "users.yaml"
TOKEN_MAX_AGE_S = 8 * 3600
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    user: str = Field(min_length=1, max_length=64)
    role: Role
    township_code: str | None = None
    affiliation: Literal["official", "volunteer"] | None = None  # reporters: 公职人员 or 志愿者

    @model_validator(mode="after")
    def _scope_fits_role(self) -> User:
        digits = {"caseworker": 9, "supervisor": 6}.get(self.role)
        code = self.township_code or ""
        if digits and not (len(code) == digits and code.isdigit()):
            raise ValueError(f"a {self.role} needs a {digits}-digit township_code")
        return self


class UserRecord(User):
    password_hash: str


# ---------------------------------------------------------------- passwords and users


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str) -> bool:
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **SCRYPT)
    return hmac.compare_digest(actual, base64.b64decode(digest))


def load_users(path: Path = USERS_FILE) -> dict[str, UserRecord]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["users"]
    return {row["user"]: UserRecord(**row) for row in rows}


# Checked when the user name is unknown, so that an unknown user costs the same scrypt as a known one.
_NOBODY = hash_password(os.urandom(16).hex())


def authenticate(users: dict[str, UserRecord], name: str, password: str) -> User | None:
    """The user, or None; the same work (one scrypt) whether or not the name exists. Blocking (~50 ms):
    call it from a thread in async code."""
    record = users.get(name)
    matches = check_password(password, record.password_hash if record else _NOBODY)
    if record is None or not matches:
        return None
    return User(user=record.user, role=record.role, township_code=record.township_code,
                affiliation=record.affiliation)


# ---------------------------------------------------------------- tokens


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.token_secret.get_secret_value(), salt="safetynet.cases")


def issue_token(settings: Settings, user: User) -> str:
    return _serializer(settings).dumps(user.model_dump())


def read_token(settings: Settings, token: str, max_age: int = TOKEN_MAX_AGE_S) -> User:
    """The user a token was issued to; InvalidToken when it was altered, expired, or is not ours."""
    try:
        return User(**_serializer(settings).loads(token, max_age=max_age))
    except (BadSignature, TypeError, ValueError):
        raise InvalidToken("token is invalid or expired") from None


def bearer_user(settings: Settings, authorization: str | None) -> User | None:
    """The user of an `Authorization: Bearer <token>` header; None for no header, another scheme, or a
    token that is invalid or expired (the channel endpoints then answer 401 in their own words)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        return read_token(settings, token)
    except InvalidToken:
        return None


# ---------------------------------------------------------------- scope


def owns(user: User, case: Case) -> bool:
    """The group that owns a case: its township's caseworkers and its county's supervisors."""
    township = case.township_code or ""
    if user.role == "caseworker":
        mine = user.township_code or ""
        return township == mine or (township[:6] == mine[:6] and places().is_county_level(township))
    if user.role == "supervisor":
        return township[:6] == user.township_code or not township
    return False


def can_read(user: User, case: Case) -> bool:
    return user.role in ("auditor", "admin") or owns(user, case) or (bool(case.filed_by) and case.filed_by == user.user)


def refusal(user: User, case: Case, action: str = "办理") -> str:
    """Why `user` may not act on `case`, in words the page can show as they are."""
    if user.role == "auditor":
        return f"审计员为只读角色，可以查看案件，不能{action}。"
    if user.role == "admin" and action == "查看身份":
        return "管理员不能查看身份信息：只有案件所属乡镇（街道）的社工和所在区县的督导可以查看。"
    where = places().label(case.township_code) if case.township_code else "乡镇不明（待督导分派）"
    if case.filed_by == user.user:
        return f"此工单由您录入，您可以跟踪进度；办理由所属乡镇（街道）负责：{where}。"
    return f"此案件属于{where}，不在您的辖区（{places().label(user.township_code)}），您不能{action}。"


def can_act(user: User, case: Case) -> bool:
    return user.role == "admin" or owns(user, case)


def can_reveal(user: User, case: Case) -> bool:
    return owns(user, case)


def can_export_decisions(user: User) -> bool:
    return user.role == "admin"


def can_erase(user: User) -> bool:
    return user.role == "admin"


class InvalidToken(Exception):
    """A token that was tampered with, expired, or signed with another secret."""
