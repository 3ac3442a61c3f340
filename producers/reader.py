"""One reader for every department file: detect the encoding, map the headers, parse the values.

file bytes → text (UTF-8, UTF-8 with BOM, else GB18030) → csv rows → {english_field: cell}
→ feed.to_event(row) → Envelope, or DeadLetter(file, line, column, reason) when the row is bad.

Files are streamed (the encoding is chosen from the first SNIFF_BYTES), so a file of any size reads
in constant memory, and a row the csv module cannot take (a field over its size limit) is a dead
letter, not the end of the file.

Reasons name the column and what is wrong with it, never the value: a bad ID number or a name
must not reach the dead-letter topic either.
"""
from __future__ import annotations

import csv
import hashlib
import importlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from operator import itemgetter
from types import ModuleType
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from producers.identity import Identified, InvalidIdNumber, Pseudonymizer
from schemas.envelope import FEEDS, DeadLetter, Envelope

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

IdentitySink = Callable[[str, str, str, str | None], None]  # person_key, id_number, name, phone


# --- values ------------------------------------------------------------------------------------

def parse_money(text: str, column: str) -> int:
    """Yuan with up to 2 decimals (`12,345.60`, `300元`, `-45.5`) → integer fen."""
    neg = text[:1] == "-"
    whole, _, cents = (text[1:] if neg else text).partition(".")
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


# --- files -------------------------------------------------------------------------------------

SNIFF_BYTES = 1 << 20


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030, a superset of GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def encoding_of(head: bytes) -> str:
    """The encoding of a file from its first bytes: utf-8-sig, utf-8, else gb18030 (a superset of GBK)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the end of the sample
            return "gb18030"
    return "utf-8"


def open_text(path: Path) -> io.TextIOWrapper:
    """The file as a text stream in its encoding (undecodable bytes become U+FFFD)."""
    raw = path.open("rb")
    try:
        encoding = encoding_of(raw.read(SNIFF_BYTES))
        raw.seek(0)
    except OSError:
        raw.close()
        raise
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def feed_module(feed: str) -> ModuleType:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}")
    return importlib.import_module(f"producers.{feed}")


def clean_header(name: str) -> str:
    """Drop spaces (also full-width), a BOM, quotes, asterisks and a trailing unit such as (元)."""
    return _HEADER_UNIT.sub("", _HEADER_JUNK.sub("", name))


def map_headers(headers: list[str], module: ModuleType) -> tuple[list[str | None], list[str]]:
    """Each header's English field (None for an unknown column), and the unknown headers."""
    aliases = {clean_header(k): v for k, v in module.COLUMNS.items()}
    aliases.update({v.lower(): v for v in module.COLUMNS.values()})
    fields = [aliases.get(clean_header(h)) or aliases.get(clean_header(h).lower()) for h in headers]
    return fields, [h for h, f in zip(headers, fields) if f is None and clean_header(h)]


@dataclass
class FileReport:
    """What reading one file found, beside the events it yielded."""

    file: str
    rows: int = 0
    extra_columns: list[str] = field(default_factory=list)
    unreadable: str | None = None  # why the whole file was refused
    reasons: Counter = field(default_factory=Counter)


def read_feed(
    path: Path, feed: str, keys: Pseudonymizer, ingested_at: datetime,
    report: FileReport | None = None, on_identity: IdentitySink | None = None,
) -> Iterator[Envelope | DeadLetter]:
    """Yield an Envelope or a DeadLetter per data row; a file with missing columns yields one DeadLetter."""
    module = feed_module(feed)
    report = report if report is not None else FileReport(path.name)
    try:
        stream = open_text(path)
    except OSError as exc:
        yield _refuse(report, feed, f"cannot read file: {exc.strerror or exc}", ingested_at)
        return
    with stream:
        yield from _read(stream, module, feed, keys, ingested_at, report, on_identity)


def _read(stream, module, feed, keys, ingested_at, report, on_identity):
    rows = csv.reader(stream)
    try:
        headers = next(rows, None)
    except csv.Error as exc:
        yield _refuse(report, feed, f"header row cannot be read: {exc}", ingested_at)
        return
    if headers is None:
        yield _refuse(report, feed, "file is empty", ingested_at)
        return
    fields, report.extra_columns = map_headers(headers, module)
    missing = [zh for zh, en in module.COLUMNS.items() if en in module.REQUIRED and en not in fields]
    if missing:
        yield _refuse(report, feed, f"missing required columns: {', '.join(missing)}", ingested_at)
        return
    header_of = {f: clean_header(h) for h, f in zip(headers, fields) if f}
    yield from _rows(rows, fields, header_of, module, feed, keys, ingested_at, report, on_identity)


def _lines(rows) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(line, cells) per data row, or (line, error) for a row the csv module refuses (it then goes on)."""
    line = 1
    while True:
        line += 1
        try:
            yield line, next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, exc


def _rows(rows, fields, header_of, module, feed, keys, ingested_at, report, on_identity):
    idx = [i for i, f in enumerate(fields) if f]
    names, width = [fields[i] for i in idx], max(idx) + 1
    pick = itemgetter(*idx) if len(idx) > 1 else (lambda cells: (cells[idx[0]],))
    to_event, identities = module.to_event, module.IDENTITIES
    named: set[str] = set()  # ID cells whose name was already handed to on_identity
    strip = str.strip
    for line, cells in _lines(rows):
        if isinstance(cells, csv.Error):
            report.rows += 1
            yield _dead(report, feed, line, None, f"row cannot be read: {cells}", ingested_at)
            continue
        if not "".join(cells).strip():
            continue
        report.rows += 1
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        row = dict(zip(names, map(strip, pick(cells))))
        try:
            envelope = to_event(row, keys, ingested_at)
        except RowError as exc:
            yield _dead(report, feed, line, header_of.get(exc.column, exc.column), exc.reason, ingested_at)
            continue
        except ValidationError as exc:
            yield _dead(report, feed, line, *_validation_reason(exc, header_of), ingested_at)
            continue
        if on_identity is not None:
            for id_column, name_column in identities:
                if row.get(name_column) and row[id_column] not in named:
                    named.add(row[id_column])
                    who = person(row, id_column, keys)
                    on_identity(who.key, who.id_number, row[name_column], None)
        yield envelope


def _validation_reason(exc: ValidationError, header_of: dict[str, str]) -> tuple[str | None, str]:
    err = exc.errors(include_input=False)[0]  # the input may be PII: never echo it
    column = next((header_of.get(str(p)) for p in reversed(err["loc"]) if str(p) in header_of), None)
    return column, f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _dead(report, feed, line, column, reason, at) -> DeadLetter:
    text = f"{column}: {reason}" if column else reason
    report.reasons[text] += 1
    return DeadLetter(feed=feed, file=report.file, line=line, column=column, reason=text, at=at)


def _refuse(report: FileReport, feed: str, reason: str, at: datetime) -> DeadLetter:
    report.unreadable = reason
    report.reasons[reason] += 1
    return DeadLetter(feed=feed, file=report.file, line=1, column=None, reason=reason, at=at)


class RowError(ValueError):
    """A cell that cannot be taken: `column` is the English field name, `reason` never holds the value."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason
