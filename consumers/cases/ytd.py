"""Pure: the figures a bureau reports each year, by county, folded from the cases.

| figure             | counted when (in the year)                                   |
|--------------------|--------------------------------------------------------------|
| warnings_pushed    | an alert (risk or audit) opened a case                       |
| verified           | a field survey found the warning true (confirmed)            |
| dismissed          | a field survey found it untrue                               |
| benefits_stopped   | a case was resolved with benefit_stopped                     |
| assistance_granted | a case was resolved with assistance_granted                  |
| tickets_closed     | a 12345 ticket's case closed, also when the caller was never matched |
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict

from consumers.cases.lifecycle import channel_of
from schemas.cases import Case

LOCAL = ZoneInfo("Asia/Shanghai")
FIGURES = ("warnings_pushed", "verified", "dismissed", "benefits_stopped", "assistance_granted", "tickets_closed")
NO_COUNTY = "000000"  # cases whose township nobody knows yet


class CountyFigures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    county_code: str
    warnings_pushed: int = 0
    verified: int = 0
    dismissed: int = 0
    benefits_stopped: int = 0
    assistance_granted: int = 0
    tickets_closed: int = 0


class YearToDate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    year: int
    as_of: AwareDatetime
    counties: list[CountyFigures]
    total: CountyFigures


def figures_of(case: Case, year: int) -> dict[str, int]:
    """What one case adds to the year's figures."""
    def within(at: datetime | None) -> bool:
        return at is not None and at.astimezone(LOCAL).year == year

    survey_at = case.survey.at if case.survey else None
    return {
        "warnings_pushed": int(case.category in ("risk", "audit") and within(case.opened_at)),
        "verified": int(case.verdict == "confirmed" and within(survey_at)),
        "dismissed": int(case.verdict == "dismissed" and within(survey_at)),
        "benefits_stopped": int(case.resolution == "benefit_stopped" and within(case.resolved_at)),
        "assistance_granted": int(case.resolution == "assistance_granted" and within(case.resolved_at)),
        "tickets_closed": int(channel_of(case) == "hotline" and within(case.closed_at)),
    }


def year_to_date(cases: list[Case], year: int, *, at: datetime, county: str | None = None) -> YearToDate:
    """Sum per county (first 6 digits of the township); `county` keeps only that one."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for case in cases:
        code = (case.township_code or NO_COUNTY)[:6]
        if county and code != county:
            continue
        for name, count in figures_of(case, year).items():
            sums[code][name] += count
    rows = [CountyFigures(county_code=code, **values) for code, values in sorted(sums.items())]
    total = {name: sum(getattr(r, name) for r in rows) for name in FIGURES}
    return YearToDate(year=year, as_of=at, counties=rows, total=CountyFigures(county_code="total", **total))
