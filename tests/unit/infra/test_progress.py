"""Progress lines: totals, rate and time left; a bar on a terminal, periodic lines otherwise."""
import io

import pytest

from infra.progress import Progress, Stages, count_rows, line

pytestmark = pytest.mark.unit


def test_a_line_says_how_far_how_fast_and_how_long():
    assert line("ingest medical", 13_500, 27_000, 4.5, "rows") == \
        "ingest medical   50%  13,500/27,000 rows  3,000/s  4 s left"
    assert line("x", 10, 10, 65.0, "rows", bar=True).startswith("x  [####################]  100%")
    assert "done in 1 min 05 s" in line("x", 10, 10, 65.0)
    assert line("judge", 5, None, 1.0) == "judge  5  5/s"


def test_lines_are_periodic_off_a_terminal():
    now = [0.0]
    out = io.StringIO()
    progress = Progress("ingest", total=100, unit="rows", stream=out, every=5.0, clock=lambda: now[0])
    for done in range(0, 101, 10):
        now[0] += 1.0
        progress.update(done)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].endswith("done in 11 s") and "\r" not in out.getvalue()


def test_stages_finish_one_bar_before_the_next():
    out = io.StringIO()
    stages = Stages(stream=out, every=0.0)
    stages("ingest a", 1, 2)
    stages("ingest b", 1, 1)
    stages.close()
    assert [l.split()[1] for l in out.getvalue().splitlines()] == ["a", "a", "b", "b"]


def test_rows_are_counted_without_the_header(tmp_path):
    (tmp_path / "a.csv").write_bytes("h1,h2\n1,2\n3,4".encode())
    (tmp_path / "b.csv").write_bytes(b"h\n1\n")
    assert count_rows([tmp_path / "a.csv", tmp_path / "b.csv"]) == 3
