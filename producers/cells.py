"""Cell parsers the registry feeds share (vehicle, property, business, hukou, rural), beside `reader`'s.

Each raises `RowError(column, reason)`; a reason never holds the cell's value.
"""
from __future__ import annotations

import re
import unicodedata

from producers.identity import Pseudonymizer
from producers.reader import RowError, parse_money, required

_AREA = re.compile(r"(-?)(\d+)(?:\.(\d{1,2}))?", re.ASCII)
_AREA_UNITS = ("平方米", "㎡", "m²", "m2", "M2", "平米")


def identifier(row: dict[str, str], column: str, keys: Pseudonymizer) -> str:
    """A number that names a person by itself (号牌号码, 不动产单元号, 统一社会信用代码) → its keyed token.

    The contract gives these no format, so any non-empty value of up to 64 characters is taken.
    """
    value = required(row, column)
    if len(value) > 64:
        raise RowError(column, "longer than 64 characters")
    if not any(ch.isalnum() for ch in value):
        raise RowError(column, "has no letters or digits")
    return keys.reference(value)


def amount(row: dict[str, str], column: str, *, needed: bool = True) -> int:
    """Yuan → fen, never negative; blank is 0 when the amount is not `needed`."""
    value = row.get(column, "")
    if not value and not needed:
        return 0
    fen = parse_money(required(row, column), column)
    if fen < 0:
        raise RowError(column, "cannot be negative")
    return fen


def area(row: dict[str, str], column: str) -> int:
    """Square metres with up to 2 decimals (`89.5`, `120.00㎡`, `1,024平方米`) → hundredths of a m²."""
    text = unicodedata.normalize("NFKC", required(row, column)).replace(",", "").replace(" ", "")
    for unit in _AREA_UNITS:
        text = text.removesuffix(unit)
    match = _AREA.fullmatch(text)
    if match is None:
        raise RowError(column, "area must be square metres with up to 2 decimals")
    if match.group(1):
        raise RowError(column, "area cannot be negative")
    return int(match.group(2)) * 100 + int((match.group(3) or "").ljust(2, "0"))


def county(row: dict[str, str], column: str) -> str:
    """A 6-digit county (district) code."""
    code = unicodedata.normalize("NFKC", required(row, column)).replace(" ", "")
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise RowError(column, "must be a 6-digit county code")
    return code
