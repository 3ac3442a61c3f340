"""Cell values of department files: money, dates, grades, IDs, headers, each checked with a reason.

Every parser raises `RowError(column, reason)`; the reader turns it into a dead letter. Reasons
name what is wrong, never the value: a bad ID number or a name must not reach the dead letters.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import TypeVar

from pydantic import BaseModel

from producers.identity import Identified, InvalidIdNumber, Pseudonymizer

_DIGITS = {ord("０") + d: ord("0") + d for d in range(10)}
_DIGITS.update({ord("，"): ord(","), ord("．"): ord("."), ord("－"): ord("-"), ord("−"): ord("-"),
                ord("／"): ord("/"), ord("＋"): ord("+")})
_HEADER_JUNK = re.compile(r"[\s\u3000\ufeff\"'*]+")
_HEADER_UNIT = re.compile(r"[(（][^)）]*[)）]$")  # 个人自付(元)
_PLAIN_MONEY = re.compile(r"(-?)(\d+)(?:\.(\d{1,2}))?")
_MONEY = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?|(\d{4})(\d{2})(\d{2})")
_GRADES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_date_cache: dict[str, date] = {}
_fields_of: dict[int, frozenset[str]] = {}  # id(COLUMNS) of a feed module -> its field names
M = TypeVar("M", bound=BaseModel)


def parse_money(text: str, column: str) -> int:
    """Yuan with up to 2 decimals (`12,345.60`, `300元`, `-45.5`) → integer fen."""
    neg = text[:1] == "-"
    whole, _, cents = (text[1:] if neg else text).partition(".")
    if "," in whole:
        whole = whole.replace(",", "")  # thousands separators, wherever they are (as the slow path)
    if whole.isascii() and whole.isdigit() and len(cents) <= 2 and (not cents or cents.isascii() and cents.isdigit()):
        fen = int(whole) * 100 + (int(cents) * (10 if len(cents) == 1 else 1) if cents else 0)
        return -fen if neg else fen
    return _parse_money_slowly(text, column)


def _parse_money_slowly(text: str, column: str) -> int:
    match = _PLAIN_MONEY.fullmatch(text)
    if match is None:
        cleaned = text.translate(_DIGITS).strip().removesuffix("元").strip().lstrip("¥￥").replace(",", "")
        cleaned = cleaned.replace(" ", "")
        if not cleaned:
            raise RowError(column, "amount is empty")
        match = _MONEY.fullmatch(cleaned)
        if match is None or not (match.group(2) or match.group(3)):
            raise RowError(column, "amount is not a number of yuan")
        if match.group(3) is not None and len(match.group(3)) > 2:
            raise RowError(column, "amount has more than 2 decimals")
    sign, whole, cents = match.group(1), match.group(2) or "0", (match.group(3) or "").ljust(2, "0")
    fen = int(whole) * 100 + int(cents)
    return -fen if sign == "-" else fen


def parse_date(text: str, column: str) -> date:
    """`YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD` → date; impossible dates are refused."""
    found = _date_cache.get(text)
    if found is not None:
        return found
    match = _DATE.fullmatch(text.translate(_DIGITS).strip())
    if match is None:
        raise RowError(column, "date must be YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD")
    y, m, d = (int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:]))
    try:
        found = date(y, m, d)
    except ValueError:
        raise RowError(column, "not a real date") from None
    if len(_date_cache) < 100_000:
        _date_cache[text] = found
    return found


def parse_grade(text: str, column: str) -> int:
    """Disability grade: 一级..四级, 1..4, `1级` → 1..4 (1 is the most severe)."""
    cleaned = text.translate(_DIGITS).replace(" ", "").removeprefix("残疾").removesuffix("级")
    grade = _GRADES.get(cleaned)
    if grade is None:
        raise RowError(column, "grade must be 一级..四级 or 1..4")
    return grade


def parse_int(text: str, column: str) -> int:
    cleaned = text.translate(_DIGITS).replace(",", "").replace(" ", "").removesuffix("人")
    if not cleaned.isdigit():
        raise RowError(column, "must be a whole number")
    return int(cleaned)


def as_fields(row: dict[str, str], columns: dict[str, str]) -> dict[str, str]:
    """A row keyed by English field names passes through; Chinese headers or aliases are mapped (callers
    outside the reader may hand `to_event` a row straight from `csv.DictReader`)."""
    fields = _fields_of.get(id(columns))
    if fields is None:
        fields = _fields_of[id(columns)] = frozenset(columns.values())
    if row.keys() <= fields:
        return row
    aliases = {clean_header(k): v for k, v in columns.items()} | {v.lower(): v for v in fields}
    mapped = {}
    for header, value in row.items():
        name = aliases.get(clean_header(str(header))) or aliases.get(clean_header(str(header)).lower())
        if name:
            mapped[name] = (value or "").strip()
    return mapped


def required(row: dict[str, str], column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise RowError(column, "is empty")
    return value


def one_of(row: dict[str, str], column: str, allowed: frozenset[str]) -> str:
    value = required(row, column).replace(" ", "")
    if value not in allowed:
        raise RowError(column, f"must be one of {' / '.join(sorted(allowed))}")
    return value


def person(row: dict[str, str], column: str, keys: Pseudonymizer) -> Identified:
    """The validated ID in `column`, with its pseudonym and mask."""
    try:
        return keys.identify(row.get(column, ""))
    except InvalidIdNumber as exc:
        raise RowError(column, f"invalid ID number: {exc.reason}") from None


def township(row: dict[str, str], column: str) -> str:
    code = required(row, column).translate(_DIGITS).replace(" ", "")
    if len(code) != 9 or not code.isdigit():
        raise RowError(column, "township code must be 9 digits")
    return code


def money_or_zero(row: dict[str, str], column: str) -> int:
    """An optional amount: blank means 0."""
    value = row.get(column, "")
    return parse_money(value, column) if value else 0


def text(row: dict[str, str], column: str, limit: int = 128) -> str:
    """Free text (an institution, an employer), cut to what the schema carries."""
    return row.get(column, "")[:limit]


def build(model: type[M], **values: object) -> M:
    """A model from values already checked, skipping validation: every field must be given.

    Several times cheaper than `model_construct`; the busiest feed uses it, and its tests
    round-trip the result through `model_validate_json`.
    """
    obj = model.__new__(model)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def event_id(feed: str, *parts: str) -> str:
    """First 32 hex of SHA-256 over the feed and its natural key: a re-exported row gets the same id."""
    return hashlib.sha256("|".join((feed, *parts)).encode()).hexdigest()[:32]


def clean_header(name: str) -> str:
    """Drop spaces (also full-width), a BOM, quotes, asterisks and a trailing unit such as (元)."""
    return _HEADER_UNIT.sub("", _HEADER_JUNK.sub("", name))


class RowError(ValueError):
    """A cell that cannot be taken: `column` is the English field name, `reason` never holds the value."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason
