"""Every CSV we hand out goes through here: a text cell that a spreadsheet would run as a formula
(starting with = + - @, or a tab / carriage return before one) gets a leading apostrophe, so it
shows as the text it is (CSV injection, OWASP). Numbers stay numbers.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_rows(out, rows: Iterable[Iterable[object]], **options) -> None:
    """csv.writer(out, **options).writerows(rows), every text cell neutralised."""
    writer = csv.writer(out, **options)
    writer.writerows([neutralise(v) for v in row] for row in rows)
