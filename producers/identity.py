"""Resident ID numbers: normalise, validate, mask, pseudonymise, and scrub them out of other identifiers.

A raw ID number never leaves this module's callers in clear: envelopes carry `person_key`
(HMAC-SHA256 with a configured secret) and `masked_id` (first 6 + 8 stars + last 4), and any
identifier that embeds an ID (a 残疾人证号 is the ID plus two digits, a 学籍号 is 'G' + ID) is
passed through `Pseudonymizer.tokenise` first.
"""
from __future__ import annotations

import hmac
import re
import unicodedata
from datetime import date
from typing import NamedTuple

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # index = weighted sum mod 11

_FULL_WIDTH = {ord("０") + d: ord("0") + d for d in range(10)}
_FULL_WIDTH.update({ord("Ｘ"): ord("X"), ord("ｘ"): ord("X"), ord("x"): ord("X")})
_SPACES = re.compile(r"[\s\u3000\ufeff]+")
_REF_JUNK = re.compile(r"[\s\u3000\ufeff·•.\-_'\"=]+")  # 皖D·12345, 皖D 12345, Excel's ="…"
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
# An ID-like run inside another identifier: 17 digits and a digit or X, with a plausible birth date.
_EMBEDDED = re.compile(r"(?=(\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]))")


def normalise_id(raw: str) -> str:
    """Full-width digits to ASCII, every kind of space removed, x to X. Idempotent."""
    return _SPACES.sub("", raw.translate(_FULL_WIDTH)).strip("'\"=")  # Excel's '340… and ="340…"


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits.

    The weights are 2^(17-i) mod 11, and 13 ≡ 2 (mod 11), so the weighted sum is 2 × (the digits
    read in base 13) mod 11: one C-level int() instead of seventeen.
    """
    return CHECK_CHARS[2 * int(first17, 13) % 11]


def birth_date(id_number: str) -> date:
    """The birth date at positions 7-14; ValueError when it is not a real date."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate(raw: str, today: date | None = None) -> str:
    """Return the normalised ID number, or raise InvalidIdNumber saying why (never echoing it)."""
    clean = len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and (raw[17].isdigit() or raw[17] == "X")
    id_number = raw if clean else normalise_id(raw)  # the usual cell is already normal
    if not id_number:
        raise InvalidIdNumber("missing")
    if len(id_number) != 18:
        raise InvalidIdNumber(f"must be 18 characters, got {len(id_number)}")
    if not _ID_SHAPE.fullmatch(id_number):
        raise InvalidIdNumber("must be 17 digits followed by a digit or X")
    try:
        born = birth_date(id_number)
    except ValueError:
        raise InvalidIdNumber("birth date is not a real date") from None
    if born.year < 1880 or born > (today or date.today()):
        raise InvalidIdNumber("birth date is out of range")
    if check_char(id_number[:17]) != id_number[17]:
        raise InvalidIdNumber("check digit mismatch")
    return id_number


def mask(id_number: str) -> str:
    """First 6 and last 4 characters, 8 stars between: `340403********123X`."""
    return f"{id_number[:6]}********{id_number[-4:]}"


class Identified(NamedTuple):
    id_number: str  # normalised and valid
    key: str  # person_key
    masked: str


class Pseudonymizer:
    """Keyed pseudonyms: the same ID always gives the same key, and nobody without the secret can invert it."""

    def __init__(self, secret: str | bytes, cache_size: int = 1_000_000) -> None:
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._cache: dict[str, str] = {}
        self._people: dict[str, Identified] = {}
        self._tokens: dict[str, str] = {}
        self._cache_size = cache_size
        self._today = date.today()

    def identify(self, raw: str) -> Identified:
        """Validate a raw ID cell and pseudonymise it; cached, since people recur in a file."""
        found = self._people.get(raw)
        if found is None:
            id_number = validate(raw, self._today)
            if len(self._people) >= self._cache_size:
                self._people.clear()
            found = self._people[raw] = Identified(id_number, self.key(id_number), mask(id_number))
        return found

    def key(self, id_number: str) -> str:
        """64-hex HMAC-SHA256 of the (normalised) ID number."""
        found = self._cache.get(id_number)
        if found is None:
            found = hmac.digest(self._secret, id_number.encode(), "sha256").hex()
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[id_number] = found
        return found

    def token(self, id_number: str) -> str:
        """A short keyed token for an ID inside another identifier: 'P' + 16 hex."""
        found = self._tokens.get(id_number)
        if found is None:
            digest = hmac.digest(self._secret, b"token:" + id_number.upper().encode(), "sha256")
            if len(self._tokens) >= self._cache_size:
                self._tokens.clear()
            found = self._tokens[id_number] = "P" + digest.hex()[:16]
        return found

    def reference(self, identifier: str) -> str:
        """A keyed token for a whole identifier that names a person by itself (号牌号码, 不动产单元号,
        统一社会信用代码): 'R' + 16 hex. Width, case, spaces and separators do not change it."""
        cleaned = _REF_JUNK.sub("", unicodedata.normalize("NFKC", identifier)).upper()
        found = self._tokens.get("\0" + cleaned)
        if found is None:
            digest = hmac.digest(self._secret, b"ref:" + cleaned.encode(), "sha256")
            if len(self._tokens) >= self._cache_size:
                self._tokens.clear()
            found = self._tokens["\0" + cleaned] = "R" + digest.hex()[:16]
        return found

    def tokenise(self, text: str) -> str:
        """Replace every embedded ID-like run with its token; text without one is returned unchanged."""
        if len(text) < 18 or not _EMBEDDED.search(text):
            return text
        out, pos = [], 0
        for match in _EMBEDDED.finditer(text):
            start = match.start(1)
            if start < pos:
                continue  # overlaps a run already replaced
            out.append(text[pos:start])
            out.append(self.token(match.group(1)))
            pos = start + 18
        out.append(text[pos:])
        return "".join(out)


class InvalidIdNumber(ValueError):
    """An ID number that cannot be taken; the reason never contains the number itself."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
