"""Files stream; a row the csv module refuses is a dead letter, not the end of the file (issue 12, item 7)."""
from __future__ import annotations

import csv
from pathlib import Path

from producers.reader import encoding_of, read_feed
from schemas.envelope import DeadLetter, Envelope
from test_reader import ALICE, BOB, KEYS, MEDICAL, NOW, medical_row


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_an_oversized_field_is_one_dead_letter_and_the_rest_is_read(tmp_path):
    huge = "x" * (csv.field_size_limit() + 10)
    path = write_lines(tmp_path / "medical.csv", [",".join(MEDICAL), ",".join(medical_row()),
                                                  ",".join(medical_row("JS2", BOB)[:-1] + [huge]),
                                                  ",".join(medical_row("JS3", BOB))])
    items = list(read_feed(path, "medical", KEYS, NOW))
    assert [type(i).__name__ for i in items] == ["Envelope", "DeadLetter", "Envelope"]
    assert items[1].line == 3 and "field larger than field limit" in items[1].reason and "xxx" not in items[1].reason


def test_files_are_streamed_not_read_whole(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "medical.csv", [",".join(MEDICAL)] + [",".join(medical_row(f"JS{i}")) for i in range(50)])

    def whole(self):
        raise AssertionError("the whole file was read into memory")

    monkeypatch.setattr(Path, "read_bytes", whole)
    monkeypatch.setattr(Path, "read_text", whole)
    items = list(read_feed(path, "medical", KEYS, NOW))
    assert len(items) == 50 and all(isinstance(i, Envelope) for i in items)


def test_gbk_and_bom_are_still_recognised(tmp_path):
    assert encoding_of("结算单号".encode("gbk")) == "gb18030"
    assert encoding_of(b"\xef\xbb\xbfabc") == "utf-8-sig"
    assert encoding_of("结算单号".encode()[:-1]) == "utf-8"  # a character cut by the sample's end
    path = write_lines(tmp_path / "medical.csv", [",".join(MEDICAL), ",".join(medical_row())], "gbk")
    [event] = list(read_feed(path, "medical", KEYS, NOW))
    assert isinstance(event, Envelope) and not isinstance(event, DeadLetter) and ALICE not in event.model_dump_json()
