"""Roster history: a person's (or household's) rows in event-time order, asked 'as of a day'."""
from __future__ import annotations

from bisect import bisect_right

from streams.records import Record, order


class RosterHistory:
    def __init__(self, rows: list[Record]) -> None:
        self.rows = sorted((r for r in rows if r["f"] == "roster"), key=order)
        self._days = [r["d"] for r in self.rows]

    def as_of(self, on: str) -> Record | None:
        """The latest row dated on or before `on` (ties: the last by natural key)."""
        i = bisect_right(self._days, on)
        return self.rows[i - 1] if i else None

    def active_on(self, on: str) -> Record | None:
        row = self.as_of(on)
        return row if row is not None and row["on"] else None

    def household_on(self, on: str) -> str | None:
        row = self.as_of(on)
        return row["h"] if row is not None else None

    def active_after(self, on: str) -> Record | None:
        """The first row dated after `on` that says 在保 (someone put back on the roster)."""
        return next((r for r in self.rows if r["d"] > on and r["on"]), None)

    def __bool__(self) -> bool:
        return bool(self.rows)
