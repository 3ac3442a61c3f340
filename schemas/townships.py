"""The city's counties and townships (infra/townships/huainan.csv): names for codes, on every page.

A 6-digit code is a county or district (区县), a 9-digit code a township or street (乡镇街道) whose
first 6 digits are its county. `places()` reads the file once; everything else is pure lookups:

    >>> p = places()
    >>> p.name("340403001"), p.county_of("340403001"), p.county_name("340403001")
    ('田东街道', '340403', '田家庵区')
    >>> p.name("340403000")            # a county-level code: the county's own queue
    '田家庵区（区县本级）'
"""
from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UNKNOWN = "未知乡镇"
CITY_PREFIX = "3404"  # 淮南市


class Place(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^\d{6}(\d{3})?$")
    name: str = Field(min_length=1)
    level: Literal["county", "street", "town", "township"]

    @property
    def county(self) -> str:
        return self.code[:6]


class Places(BaseModel):
    """Every county and township of the city, by code."""

    model_config = ConfigDict(frozen=True)
    by_code: dict[str, Place]

    def county_of(self, code: str | None) -> str | None:
        """`340403001` -> `340403`; None for a code that is not 6 or 9 digits."""
        code = (code or "").strip()
        return code[:6] if len(code) in (6, 9) and code.isdigit() else None

    def county_name(self, code: str | None) -> str:
        county = self.county_of(code)
        place = self.by_code.get(county or "")
        return place.name if place else (f"区县 {county}" if county else UNKNOWN)

    def is_county_level(self, code: str | None) -> bool:
        """A county code, its `000` township, or a township code the file does not know."""
        code = (code or "").strip()
        return self.county_of(code) is not None and (len(code) == 6 or code not in self.by_code)

    def name(self, code: str | None) -> str:
        """The township's name; a county-level or unlisted code says which county it belongs to."""
        code = (code or "").strip()
        if place := self.by_code.get(code):
            return place.name
        county = self.county_of(code)
        if county is None:
            return UNKNOWN
        if code.endswith("000"):
            return f"{self.county_name(code)}（区县本级）"
        return f"{self.county_name(code)} 未登记乡镇（{code}）"

    def label(self, code: str | None) -> str:
        """`田家庵区 田东街道`: county and township, for lists that span the city."""
        code = (code or "").strip()
        if len(code) == 9 and code in self.by_code:
            return f"{self.county_name(code)} {self.name(code)}"
        return self.name(code)

    def counties(self) -> list[Place]:
        return [p for p in self.by_code.values() if p.level == "county"]

    def townships(self, county: str | None = None) -> list[Place]:
        """Townships and streets in file order, of one county or of the whole city."""
        return [p for p in self.by_code.values()
                if p.level != "county" and (county is None or p.county == county)]


def parse(lines: list[str]) -> Places:
    """CSV text (comment lines start with `#`) -> Places; a bad row raises with its line number."""
    rows = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    by_code: dict[str, Place] = {}
    for number, row in enumerate(csv.DictReader(rows), start=2):
        try:
            place = Place(code=row["code"].strip(), name=row["name"].strip(), level=row["level"].strip())
        except (ValueError, KeyError, AttributeError) as exc:
            raise TownshipFileError(f"township file row {number}: {exc}") from exc
        if place.code in by_code:
            raise TownshipFileError(f"township file row {number}: code {place.code} appears twice")
        by_code[place.code] = place
    return Places(by_code=by_code)


def load(path: Path | None = None) -> Places:
    if path is None:
        text = resources.files("infra").joinpath("townships", "huainan.csv").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8-sig")
    return parse(text.splitlines())


@lru_cache(maxsize=1)
def places() -> Places:
    """The city's file, read once per process."""
    return load()


class TownshipFileError(ValueError):
    """The township file has a row that is not a county or township."""
