"""The rules file: default thresholds plus per-county overrides, validated by pydantic."""
from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yaml")


class Thresholds(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    dibao_monthly_standard: float = Field(default=800, gt=0)
    window_days: int = Field(default=365, ge=1)
    cooldown_days: int = Field(default=90, ge=0)
    medical_burden_threshold: float = Field(default=30000, gt=0)
    education_burden_threshold: float = Field(default=8000, gt=0)
    disaster_loss_threshold: float = Field(default=10000, gt=0)
    # version 2 (contract section 3)
    vehicle_price_threshold: float = Field(default=50000, ge=0)
    vehicle_types_firing: tuple[str, ...] = ("小型轿车", "小型越野车", "中型客车")  # every other type is exempt
    residential_units_threshold: int = Field(default=2, ge=1)  # 住宅 units a household may hold
    business_capital_threshold: float = Field(default=100000, ge=0)  # 个体工商户 registered capital

    @property
    def yearly_line_fen(self) -> int:
        return round(self.dibao_monthly_standard * 12 * 100)

    @property
    def medical_fen(self) -> int:
        return round(self.medical_burden_threshold * 100)

    @property
    def education_fen(self) -> int:
        return round(self.education_burden_threshold * 100)

    @property
    def disaster_fen(self) -> int:
        return round(self.disaster_loss_threshold * 100)

    @property
    def vehicle_price_fen(self) -> int:
        return round(self.vehicle_price_threshold * 100)

    @property
    def business_capital_fen(self) -> int:
        return round(self.business_capital_threshold * 100)


class RulesConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    defaults: Thresholds = Thresholds()
    counties: dict[str, dict[str, float | list[str]]] = {}

    @field_validator("counties")
    @classmethod
    def _check_counties(cls, counties: dict[str, dict[str, float | list[str]]]) -> dict[str, dict[str, float | list[str]]]:
        for code, override in counties.items():
            if not (len(code) == 6 and code.isdigit()):
                raise ValueError(f"county code must be 6 digits, got {code!r}")
            unknown = set(override) - set(Thresholds.model_fields)
            if unknown:
                raise ValueError(f"county {code}: unknown thresholds {sorted(unknown)}")
        return counties

    @cached_property
    def _by_county(self) -> dict[str, Thresholds]:
        return {
            code: Thresholds(**{**self.defaults.model_dump(), **override})
            for code, override in self.counties.items()
        }

    def for_county(self, county: str | None) -> Thresholds:
        return self._by_county.get((county or "")[:6], self.defaults)

    @cached_property
    def version(self) -> str:
        """A hash of the effective rules: changes whenever any threshold does."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def load_rules(path: Path | None = None) -> RulesConfig:
    raw = yaml.safe_load((path or DEFAULT_RULES_FILE).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a rules file is a mapping with 'defaults' and 'counties'")
    return RulesConfig.model_validate(raw)
