"""Department files as a stream of record-aligned byte blocks: never the whole file in memory.

file → the header record → blocks of about BLOCK_BYTES, each ending at a line break outside
quotes, so every block holds whole records → (decoded and parsed by `reader`, maybe in a worker)

- Cutting at a line break never splits a character: no byte of a UTF-8 or GB18030 multi-byte
  character is 0x0A or 0x0D (GB18030 trailing bytes are 0x30-0x39 and 0x40-0xFE).
- The encoding is decided on a prefix, the first block with a non-ASCII byte (plain ASCII reads
  the same either way): a UTF-8 BOM or valid UTF-8 → UTF-8, else GB18030 (a superset of GBK).
  An incremental decoder judges the prefix, so a character cut at its end is no false alarm.
- A line break is inside a quoted field when an odd number of quotes precede it in the record
  (RFC 4180). When a literal quote upsets that count (`张"三`), csv's own quote rules decide, one
  step per quote; a quote left open longer than any field csv would take is taken as literal.
- A record longer than `max_row_bytes` is skipped without being held, and reported as `LongRow`.
"""
from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

BLOCK_BYTES = 512 * 1024
MAX_ROW_BYTES = 16 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Block:
    """Whole records: `data` starts on physical line `first_line` (1-based) of the file."""

    first_line: int
    data: bytes
    encoding: str  # "utf-8" or "gb18030"; "utf-8" also while only ASCII was seen


@dataclass(frozen=True, slots=True)
class LongRow:
    """A record longer than the limit, starting on `line`; its bytes were skipped, never kept."""

    line: int
    limit: int


def detect_encoding(prefix: bytes) -> str | None:
    """'utf-8' or 'gb18030' for a prefix of a file; None while it is plain ASCII (undecided)."""
    if prefix.startswith(BOM):
        return "utf-8"
    if prefix.isascii():
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def read_blocks(stream: BinaryIO, block_bytes: int | None = None, max_row_bytes: int | None = None,
                ) -> Iterator[Block | LongRow]:
    """The header record as the first Block, then blocks of whole records (LongRow for a record skipped)."""
    return _Cutter(stream, block_bytes or BLOCK_BYTES, max_row_bytes or MAX_ROW_BYTES).run()


class _Cutter:
    def __init__(self, stream: BinaryIO, block_bytes: int, max_row_bytes: int) -> None:
        self.stream, self.block_bytes, self.max_row_bytes = stream, block_bytes, max_row_bytes
        self.stray_after = 4 * csv.field_size_limit()  # bytes: a character is at most 4 of them
        self.line, self.encoding, self.nl = 1, None, b"\n"

    def run(self) -> Iterator[Block | LongRow]:
        buf, eof, first = self.stream.read(self.block_bytes), False, True
        if buf.startswith(BOM):
            buf, self.encoding = buf[3:], "utf-8"
        while b"\n" not in buf and len(buf) < 4096 and (chunk := self.stream.read(self.block_bytes)):
            buf += chunk  # enough to tell a file without line feeds
        if b"\n" not in buf and re.search(b"\r[^\n]", buf):
            self.nl = b"\r"  # classic Mac line ends
        while buf:
            cut = (first_record_end if first else record_end)(buf, self.nl, self.stray_after)
            if cut or eof:
                cut = cut or len(buf)  # the last record may lack its line break
                yield self._block(buf[:cut])
                buf, first = buf[cut:], False
            elif len(buf) > self.max_row_bytes:
                yield LongRow(self.line, self.max_row_bytes)
                buf, first = self._skip_record(buf), False
            if not eof:
                chunk = self.stream.read(self.block_bytes)
                buf, eof = buf + chunk, not chunk

    def _block(self, data: bytes) -> Block:
        if self.encoding is None:
            self.encoding = detect_encoding(data)
        block = Block(self.line, data, self.encoding or "utf-8")
        self.line += data.count(self.nl)
        return block

    def _skip_record(self, buf: bytes) -> bytes:
        """Read past the rest of an over-long record (quotes balanced, or one left open too long to be
        a field), holding one chunk at a time; returns what follows it."""
        quotes, seen, last_quote = buf.count(b'"'), len(buf), buf.rfind(b'"')
        self.line += buf.count(self.nl)
        while chunk := self.stream.read(self.block_bytes):
            start = 0
            while (pos := chunk.find(self.nl, start)) >= 0:
                quotes += chunk.count(b'"', start, pos)
                if (q := chunk.rfind(b'"', start, pos)) >= 0:
                    last_quote = seen + q
                if quotes % 2 == 0 or seen + pos - last_quote > self.stray_after:
                    self.line += chunk.count(self.nl, 0, pos + 1)
                    return chunk[pos + 1:]
                start = pos + 1
            quotes += chunk.count(b'"', start)
            if (q := chunk.rfind(b'"', start)) >= 0:
                last_quote = seen + q
            self.line += chunk.count(self.nl)
            seen += len(chunk)
        return b""


def record_end(buf: bytes, nl: bytes = b"\n", stray_after: int = 1 << 20) -> int:
    """Index just past the last line break that ends a record; 0 if the buffer holds no whole record."""
    end = buf.rfind(nl)
    quotes = buf.count(b'"', 0, end) if end >= 0 else 0
    while end >= 0 and quotes % 2:
        opened = buf.rfind(b'"', 0, end)
        if opened > 0 and buf[opened - 1] not in b",\r\n":
            return exact_record_end(buf, end, nl, stray_after)  # that quote cannot open a field: a literal one upset the count
        if end - opened > stray_after:
            break  # no field can be open that long: the quote was a literal one
        prev = buf.rfind(nl, 0, opened)
        quotes -= buf.count(b'"', prev + 1, end)
        end = prev
    return end + 1


def first_record_end(buf: bytes, nl: bytes = b"\n", stray_after: int = 1 << 20) -> int:
    """Index just past the first record's line break; 0 if the buffer holds no whole record."""
    pos = buf.find(nl)
    while pos >= 0:
        if exact_record_end(buf, pos, nl, stray_after) == pos + 1:
            return pos + 1
        pos = buf.find(nl, pos + 1)
    return 0


def exact_record_end(buf: bytes, end: int, nl: bytes, stray_after: int) -> int:
    """`record_end` for the line break at `end` by csv's own quote rules (a quote opens a field only
    at its start; `""` inside is an escaped quote), one step per quote: slower, for odd files."""
    inside, pos, opened, cut = False, 0, -1, 0
    while (q := buf.find(b'"', pos, end)) >= 0:
        if inside:
            if buf[q + 1:q + 2] == b'"':
                pos = q + 2
                continue
            inside = False
        elif q == 0 or buf[q - 1] in b",\r\n":
            cut = max(cut, buf.rfind(nl, pos, q) + 1)
            inside, opened = True, q
        pos = q + 1
    return end + 1 if not inside or end - opened > stray_after else cut
