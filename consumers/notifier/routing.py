"""Who hears about an alert: township -> group -> members; county supervisors on escalation.

    infra/routing.yaml
      groups:    {name: {members: [...], webhook: url?}}
      counties:  {"340403": {default_group: ..., supervisors: [...], townships: {"340403001": group}}}
"""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.alerts import SEVERITY_RANK, Alert, Severity


class Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    members: tuple[str, ...] = ()
    webhook: str | None = None


class County(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    default_group: str
    supervisors: tuple[str, ...] = ()
    townships: dict[str, str] = Field(default_factory=dict)  # township_code -> group


class RoutingConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    fallback_group: str  # for alerts without a township or from a county we do not know
    escalate_at: Severity = "critical"  # this severity and above also go to the county supervisors
    groups: dict[str, Group]
    counties: dict[str, County] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups_exist(self) -> "RoutingConfig":
        named = {self.fallback_group} | {c.default_group for c in self.counties.values()}
        named |= {g for c in self.counties.values() for g in c.townships.values()}
        if missing := sorted(named - set(self.groups)):
            raise ValueError(f"routing names groups that are not defined under `groups`: {missing}")
        return self


class Route(BaseModel):
    model_config = ConfigDict(frozen=True)
    group: str
    members: tuple[str, ...]
    escalate_to: tuple[str, ...] = ()


def load_routing(path: Path) -> RoutingConfig:
    return RoutingConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def route(alert: Alert, config: RoutingConfig) -> Route:
    """The township's group, else its county's default group, else the fallback group."""
    township = alert.township_code or ""
    county = config.counties.get(township[:6])
    group = config.fallback_group
    if county is not None:
        group = county.townships.get(township, county.default_group)
    escalate = county is not None and SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[config.escalate_at]
    return Route(group=group, members=config.groups[group].members,
                 escalate_to=county.supervisors if escalate else ())
