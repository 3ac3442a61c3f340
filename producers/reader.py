"""One reader for every department file: stream it, map the headers, turn rows into events.

file → blocks of whole records (`blocks.py`: streamed, encoding from a prefix: UTF-8, UTF-8 with
BOM, else GB18030) → csv rows → {english_field: cell} → feed.to_event(row) → Envelope, or
DeadLetter(file, line, column, reason) when the row is bad (a field over csv's size limit, too).
A block parses the same in this process or in a worker (`parallel.py`): `Layout` is all it needs.
The cell parsers live in `values.py` (imported from here by the feed modules).

Reasons name the column and what is wrong with it, never the value: a bad ID number or a name
must not reach the dead-letter topic either.
"""
from __future__ import annotations

import csv
import importlib
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from types import ModuleType

from pydantic import ValidationError

from producers.blocks import BOM, Block, LongRow, detect_encoding, read_blocks
from producers.identity import Pseudonymizer
from producers.values import (  # noqa: F401 (the feed modules import the cell parsers from here)
    RowError, as_fields, build, clean_header, event_id, money_or_zero, one_of, parse_date, parse_grade, parse_int,
    parse_money, person, required, text, township,
)
from schemas.envelope import FEEDS, DeadLetter, Envelope

IdentitySink = Callable[[str, str, str, str | None], None]  # person_key, id_number, name, phone


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030, a superset of GBK (a whole small file; the reader streams)."""
    if data.startswith(BOM):
        return data[3:].decode("utf-8", errors="replace")
    return data.decode(detect_encoding(data) or "utf-8", errors="replace")


def encoding_of(head: bytes) -> str:
    """The encoding of a file from its first bytes: utf-8-sig, utf-8, else gb18030 (a superset of GBK)."""
    return "utf-8-sig" if head.startswith(BOM) else detect_encoding(head) or "utf-8"


def open_text(path: Path, sniff_bytes: int = 1 << 20) -> io.TextIOWrapper:
    """A whole file as a text stream in its encoding, judged on its first MiB (undecodable bytes
    become U+FFFD): for tools that scan files; department files go through read_feed's blocks."""
    raw = path.open("rb")
    try:
        encoding = encoding_of(raw.read(sniff_bytes))
        raw.seek(0)
    except OSError:
        raw.close()
        raise
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def feed_module(feed: str) -> ModuleType:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}")
    return importlib.import_module(f"producers.{feed}")

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


@dataclass(frozen=True)
class Layout:
    """What a file's header says, and all a block of its rows needs to be parsed anywhere."""

    feed: str
    file: str
    fields: tuple[str | None, ...]
    header_of: dict[str, str]  # English field -> the header as written (for dead-letter columns)
    field_limit: int  # csv.field_size_limit when the file was opened (a worker process sets the same)


def read_feed(
    path: Path, feed: str, keys: Pseudonymizer, ingested_at: datetime,
    report: FileReport | None = None, on_identity: IdentitySink | None = None,
) -> Iterator[Envelope | DeadLetter]:
    """Yield an Envelope or a DeadLetter per data row; a file with missing columns yields one DeadLetter.

    The file is read a block at a time (see `producers.blocks`), never whole.
    """
    module = feed_module(feed)
    report = report if report is not None else FileReport(path.name)
    try:
        with path.open("rb") as stream:
            blocks = read_blocks(stream)
            layout = open_layout(blocks, feed, report)
            if isinstance(layout, str):
                yield _refuse(report, feed, layout, ingested_at)
                return
            rows = RowParser(layout, keys, ingested_at, on_identity)
            for block in blocks:
                yield from rows.parse(block, report)
    except OSError as exc:
        yield _refuse(report, feed, f"cannot read file: {exc.strerror or exc}", ingested_at)


def open_layout(blocks: Iterator[Block | LongRow], feed: str, report: FileReport) -> Layout | str:
    """Take the header record from `blocks`: the file's Layout, or why the file is refused."""
    module, first = feed_module(feed), next(blocks, None)
    if first is None:
        return "file is empty"
    if isinstance(first, LongRow):
        return f"header row longer than {first.limit:,} bytes"
    try:
        headers = next(csv.reader(io.StringIO(first.data.decode(first.encoding, errors="replace"), newline="")), [])
    except csv.Error as exc:
        return f"header row cannot be read: {exc}"
    fields, report.extra_columns = map_headers(headers, module)
    missing = [zh for zh, en in module.COLUMNS.items() if en in module.REQUIRED and en not in fields]
    if missing:
        return f"missing required columns: {', '.join(missing)}"
    header_of = {f: clean_header(h) for h, f in zip(headers, fields) if f}
    return Layout(feed, report.file, tuple(fields), header_of, csv.field_size_limit())


def records(text: str, first_line: int) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first physical line, cells) per record of a block, or the csv module's error for a record it
    refuses (a field over its field_size_limit): the rest of that record is skipped, quotes balanced."""
    src = io.StringIO(text, newline="")
    rows, extra = csv.reader(src), first_line  # the line csv reads next is extra + rows.line_num
    while True:
        start, at = extra + rows.line_num, src.tell()
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
            quotes = text.count('"', at, src.tell())
            while quotes % 2 and (line := src.readline()):
                quotes += line.count('"')
                extra += 1
            continue
        yield start, cells


class RowParser:
    """Cells → `feed.to_event` → Envelope or DeadLetter, for the blocks of one file."""

    def __init__(self, layout: Layout, keys: Pseudonymizer, ingested_at: datetime,
                 on_identity: IdentitySink | None = None) -> None:
        self.layout, self.keys, self.ingested_at, self.on_identity = layout, keys, ingested_at, on_identity
        self.module = feed_module(layout.feed)
        self.named: set[str] = set()  # ID cells whose name was already handed to on_identity

    def parse(self, block: Block | LongRow, report: FileReport) -> Iterator[Envelope | DeadLetter]:
        feed, at = self.layout.feed, self.ingested_at
        if isinstance(block, LongRow):
            report.rows += 1
            yield _dead(report, feed, block.line, None, f"row longer than {block.limit:,} bytes", at)
            return
        if csv.field_size_limit() != self.layout.field_limit:
            csv.field_size_limit(self.layout.field_limit)
        fields, header_of = self.layout.fields, self.layout.header_of
        idx = [i for i, f in enumerate(fields) if f]
        names, width = [fields[i] for i in idx], max(idx) + 1
        pick = itemgetter(*idx) if len(idx) > 1 else (lambda cells: (cells[idx[0]],))
        to_event, keys, strip = self.module.to_event, self.keys, str.strip
        on_identity, identities, named = self.on_identity, self.module.IDENTITIES, self.named
        for line, cells in records(block.data.decode(block.encoding, errors="replace"), block.first_line):
            if type(cells) is not list:
                report.rows += 1
                yield _dead(report, feed, line, None, f"row cannot be read: {cells}", at)
                continue
            if not cells or not (cells[0].strip() or "".join(cells).strip()):
                continue  # a blank line
            report.rows += 1
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            row = dict(zip(names, map(strip, pick(cells))))
            try:
                envelope = to_event(row, keys, at)
            except RowError as exc:
                yield _dead(report, feed, line, header_of.get(exc.column, exc.column), exc.reason, at)
                continue
            except ValidationError as exc:
                yield _dead(report, feed, line, *_validation_reason(exc, header_of), at)
                continue
            if on_identity is not None:
                for id_column, name_column in identities:
                    if row.get(name_column) and row[id_column] not in named:
                        named.add(row[id_column])  # its name goes to the vault once per file
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
