"""Files stream in blocks of whole records: the same rows as one csv.reader over the whole file,
whatever the block size, the encoding, the quoting; oversized rows and fields are dead letters."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import producers.blocks as blocks
from producers.blocks import Block, LongRow, detect_encoding, read_blocks
from producers.reader import encoding_of, read_feed, records
from schemas.envelope import DeadLetter, Envelope
from test_reader import ALICE, BOB, KEYS, MEDICAL, NOW, medical_row

CELL = st.text(alphabet=st.sampled_from(list('ab,"\n\r张三 ')), max_size=6)
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=1, max_size=25)


def whole(data: bytes, encoding: str = "utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def by_blocks(data: bytes, block_bytes: int) -> tuple[list[list[str]], list[int]]:
    """Every record of every block, parsed block by block, and each block's first line."""
    rows, firsts, offset = [], [], 0
    for block in read_blocks(io.BytesIO(data), block_bytes):
        assert isinstance(block, Block) and data[offset:offset + len(block.data)] == block.data
        assert block.first_line == data.count(b"\n", 0, offset) + 1
        offset += len(block.data)
        firsts.append(block.first_line)
        rows += [cells for _, cells in records(block.data.decode(block.encoding), block.first_line)]
    assert offset == len(data)
    return rows, firsts


@settings(max_examples=150, deadline=None)
@given(ROWS, st.integers(1, 64), st.sampled_from(["\n", "\r\n"]), st.sampled_from(["utf-8", "gb18030"]))
def test_blocks_parse_like_the_whole_file(rows, block_bytes, terminator, encoding):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    parsed, firsts = by_blocks(data, block_bytes)
    assert parsed == whole(data, encoding)
    assert firsts == sorted(firsts) and firsts[:1] == [1]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.sampled_from(list('ab张"')), min_size=1, max_size=5)
                         .filter(lambda c: not c.startswith('"')), min_size=1, max_size=3), min_size=2, max_size=20),
       st.integers(1, 40))
def test_a_literal_quote_inside_a_cell_does_not_swallow_the_rows_after_it(rows, block_bytes):
    data = "".join(",".join(r) + "\n" for r in rows).encode()  # 张"三: a quote csv takes as a character
    assert by_blocks(data, block_bytes)[0] == whole(data)


def test_physical_lines_count_the_lines_inside_quoted_fields(tmp_path):
    data = b'h\n"a\nb"\nc\n'
    assert [line for b in list(read_blocks(io.BytesIO(data), 2))[1:] for line, _ in records(b.data.decode(), b.first_line)] == [2, 4]


def test_the_reader_holds_a_block_not_the_file():
    class Counting(io.BytesIO):
        def read(self, n=-1):
            assert 0 < n <= 1024, "read without a bound"
            return super().read(n)

    stream = Counting(b"h1,h2\n" + b"a,b\n" * 10_000)
    first, second = next(read_blocks(stream, 1024)), None
    for second in read_blocks(stream, 1024):
        break
    assert first.data == b"h1,h2\n" and len(second.data) <= 2048 and stream.tell() <= 3 * 1024


def test_a_row_longer_than_the_limit_is_skipped_unheld():
    data = b"h1,h2\n" + b"a," + b"x" * 5000 + b"\n" + b'b,"' + b"y\n" * 3000 + b'"\nc,d\n'
    items = list(read_blocks(io.BytesIO(data), 64, 1000))
    assert [(type(i).__name__, i.line if isinstance(i, LongRow) else i.first_line) for i in items] == [
        ("Block", 1), ("LongRow", 2), ("LongRow", 3), ("Block", 3004)]
    assert items[-1].data == b"c,d\n"


@pytest.mark.parametrize(("prefix", "encoding"), [
    ("结算单号".encode("gbk"), "gb18030"), ("结算单号".encode("gb18030"), "gb18030"), ("结算单号".encode(), "utf-8"),
    ("结算单号".encode()[:-1], "utf-8"),  # a character cut by the prefix's end is no reason to give up UTF-8
    (b"\xef\xbb\xbfabc", "utf-8"), (b"plain,ascii\n", None),
])
def test_encoding_from_a_prefix(prefix, encoding):
    assert detect_encoding(prefix) == encoding
    assert encoding_of(prefix) == {None: "utf-8"}.get(encoding, "utf-8-sig" if prefix.startswith(b"\xef") else encoding)


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_ascii_first_then_chinese_many_blocks_later(tmp_path, monkeypatch, encoding):
    """The prefix decides only once a non-ASCII byte appears; small blocks split reads mid-character."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 37)
    header = ["settlement_id", "id_number", "name", "settled_on", "visit_type", "total_cost", "fund_paid",
              "out_of_pocket", "provider"]
    ascii_rows = [",".join(medical_row(f"JS{i}", ALICE, oop="12.50")).replace("张三", "Z").replace("住院", "X")
                  .replace("市第一人民医院", "H") for i in range(30)]  # dead letters: X is no visit type
    chinese = [",".join(medical_row(f"JS{i}", BOB, oop="12.50")) for i in range(30, 40)]
    path = write_lines(tmp_path / "medical.csv", [",".join(header)] + ascii_rows + chinese, encoding)
    items = list(read_feed(path, "medical", KEYS, NOW))
    assert all(isinstance(i, DeadLetter) and i.column == "visit_type" for i in items[:30])
    assert [i.payload.provider for i in items[30:]] == ["市第一人民医院"] * 10


@pytest.fixture
def small_field_limit():
    before = csv.field_size_limit(200)
    yield 200
    csv.field_size_limit(before)


def test_an_oversized_field_is_a_dead_letter_and_reading_goes_on(tmp_path, small_field_limit, monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 100)
    huge = "y" * 300
    lines = [",".join(MEDICAL), ",".join(medical_row("JS1")), ",".join(medical_row("JS2", BOB)[:-1] + [huge]),
             ",".join(medical_row("JS3")), ",".join(medical_row("JS4")[:-1] + [f'"{huge[:150]}\n{huge[:150]}"']),
             ",".join(medical_row("JS5"))]
    items = list(read_feed(write_lines(tmp_path / "medical.csv", lines), "medical", KEYS, NOW))
    assert [type(i).__name__ for i in items] == ["Envelope", "DeadLetter", "Envelope", "DeadLetter", "Envelope"]
    assert [i.line for i in items if isinstance(i, DeadLetter)] == [3, 5]
    assert all("field larger than field limit" in i.reason and "yyy" not in i.model_dump_json()
               for i in items if isinstance(i, DeadLetter))
    assert [i.payload.settlement_id for i in items if isinstance(i, Envelope)] == ["JS1", "JS3", "JS5"]


def test_a_row_over_the_row_limit_is_a_dead_letter(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "MAX_ROW_BYTES", 500)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 64)
    lines = [",".join(MEDICAL), ",".join(medical_row("JS1")[:-1] + ["z" * 2000]), ",".join(medical_row("JS2"))]
    items = list(read_feed(write_lines(tmp_path / "medical.csv", lines), "medical", KEYS, NOW))
    assert isinstance(items[0], DeadLetter) and items[0].line == 2 and "longer than 500 bytes" in items[0].reason
    assert isinstance(items[1], Envelope) and items[1].payload.settlement_id == "JS2"


def test_files_are_never_read_whole(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "medical.csv", [",".join(MEDICAL)] + [",".join(medical_row(f"JS{i}")) for i in range(20)])

    def refuse(self):
        raise AssertionError("the whole file was read into memory")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    assert len([i for i in read_feed(path, "medical", KEYS, NOW) if isinstance(i, Envelope)]) == 20


def test_classic_mac_line_ends():
    data = b"h1,h2\r" + b"a,b\r" * 3000
    items = list(read_blocks(io.BytesIO(data), 1000))
    assert [i.first_line for i in items][:2] == [1, 2] and b"".join(i.data for i in items) == data
    assert sum(len(list(records(i.data.decode(), i.first_line))) for i in items) == 3001
