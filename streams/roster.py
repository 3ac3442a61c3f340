"""Roster history: one person's (or one household's) rows in order, asked 'as of a day'."""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from streams.records import ORDER, Record, RosterRow


class RosterHistory:
    __slots__ = ("rows", "_days")

    def __init__(self, records: Iterable[Record], *, in_order: bool = False) -> None:
        """`in_order`: `records` are already roster rows sorted by ORDER (no copy, no sort)."""
        self.rows: list[RosterRow] = records if in_order else sorted(
            (r for r in records if type(r) is RosterRow), key=ORDER)  # type: ignore[assignment]
        self._days = [r.day for r in self.rows]

    def as_of(self, day: int) -> RosterRow | None:
        """The latest row dated on or before `day` (ties: the last by natural key)."""
        i = bisect_right(self._days, day)
        return self.rows[i - 1] if i else None

    def active_on(self, day: int) -> RosterRow | None:
        row = self.as_of(day)
        return row if row is not None and row.active else None

    def household_on(self, day: int) -> str | None:
        row = self.as_of(day)
        return row.household if row is not None else None

    def active_after(self, day: int) -> RosterRow | None:
        """The first row dated after `day` that says 在保 (someone put back on the roster)."""
        return next((r for r in self.rows[bisect_right(self._days, day):] if r.active), None)

    def __bool__(self) -> bool:
        return bool(self.rows)
