"""Department files shaped exactly like feeds.md §1, for adapter tests: write one, read it back."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from producers.identity import Pseudonymizer, check_char
from producers.reader import FileReport, read_feed
from schemas.envelope import DeadLetter, Envelope

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
KEYS = Pseudonymizer("test-secret")


def make_id(county: str = "340403", born: str = "19800517", seq: int = 123) -> str:
    first17 = f"{county}{born}{seq:03d}"
    return first17 + check_char(first17)


ALICE, BOB = make_id(seq=101), make_id("340404", "19750101", 202)
BAD_CHECK = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")


def write(tmp_path: Path, name: str, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    lines = [",".join(header)] + [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def read(path: Path, feed: str) -> tuple[list[Envelope | DeadLetter], FileReport]:
    report = FileReport(path.name)
    return list(read_feed(path, feed, KEYS, NOW, report)), report


def envelopes(items) -> list[Envelope]:
    return [i for i in items if isinstance(i, Envelope)]


def dead(items) -> list[DeadLetter]:
    return [i for i in items if isinstance(i, DeadLetter)]


def only_dead_letter(tmp_path: Path, feed: str, header: list[str], good: list[str], bad: list[str]) -> DeadLetter:
    """Write a good row and a bad one; the bad one must be the file's only dead letter, on line 3."""
    items, report = read(write(tmp_path, f"{feed}.csv", header, [good, bad]), feed)
    (letter,) = dead(items)
    assert (letter.file, letter.line, letter.feed) == (f"{feed}.csv", 3, feed)
    assert len(envelopes(items)) == 1 and report.rows == 2
    assert letter.column and letter.column in letter.reason
    return letter


def leaks(items, *secrets: str) -> list[str]:
    """Which of `secrets` (IDs, names, plate or unit numbers) appear in any envelope or dead letter."""
    text = "\n".join(i.model_dump_json() for i in items)
    return [s for s in secrets if s in text]
