"""HTTP shapes for programmes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from connecting_families.http_params import ProgrammeCode, Version

Text200 = Annotated[str, Meta(min_length=1, max_length=200)]
# Early help assessments a year per 10,000 children, to one decimal place.
RateTarget = Annotated[float, Meta(ge=0, le=10_000)]
# Resident children aged 0-17 in a year.
Children = Annotated[int, Meta(ge=0)]
Population = Annotated[dict[str, Children], Meta(max_length=100)]


class ProgrammeCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A programme. `child_population` maps a year to residents aged 0-17."""

    code: ProgrammeCode
    name: Text200
    local_authority: Text200
    # `tf2015` (its highest version installed) or `tf2015@1`: the programme is held to that
    # version, and reads back as `tf2015@3`, until `programme upgrade-ruleset` moves it on.
    ruleset_id: Annotated[str, Meta(min_length=1, max_length=64)]
    ruleset_config: dict[str, Any] = msgspec.field(default_factory=dict)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    target_families: Annotated[int, Meta(ge=0)] | None = None
    assessment_timescale_days: Annotated[int, Meta(ge=1, le=365)] = 45
    assessment_rate_target: RateTarget | None = None
    child_population: Population = msgspec.field(default_factory=dict)
    # Whether an assessment may be completed without the family's current consent (with a
    # reason); by default it may not.
    assessment_without_consent: bool = False
    # A contact at the front door is to be decided within this many working days.
    contact_decision_days: Annotated[int, Meta(ge=1, le=30)] = 1


class ProgrammeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    name: Text200 | UnsetType = UNSET
    local_authority: Text200 | UnsetType = UNSET
    ruleset_config: dict[str, Any] | UnsetType = UNSET
    starts_on: dt.date | UnsetType | None = UNSET
    ends_on: dt.date | UnsetType | None = UNSET
    target_families: Annotated[int, Meta(ge=0)] | UnsetType | None = UNSET
    assessment_timescale_days: Annotated[int, Meta(ge=1, le=365)] | UnsetType = UNSET
    assessment_rate_target: RateTarget | UnsetType | None = UNSET
    child_population: Population | UnsetType = UNSET
    assessment_without_consent: bool | UnsetType = UNSET
    contact_decision_days: Annotated[int, Meta(ge=1, le=30)] | UnsetType = UNSET


class Programme(msgspec.Struct):
    code: str
    name: str
    local_authority: str
    ruleset_id: str
    ruleset_config: dict[str, Any]
    starts_on: dt.date | None
    ends_on: dt.date | None
    target_families: int | None
    assessment_timescale_days: int
    assessment_rate_target: float | None
    child_population: dict[str, int]
    version: int
    assessment_without_consent: bool
    contact_decision_days: int


class RuleSetSetting(msgspec.Struct):
    """One setting of the programme's rule set: its value here, and the rule set's default."""

    name: str
    label: str
    description: str
    value: Any
    default: Any
    changed: bool


class PlanItem(msgspec.Struct):
    """A criterion an outcome plan's headline names, with its parameters."""

    criterion: str
    description: str
    parameters: dict[str, Any]


class PlanHeadline(msgspec.Struct):
    """A headline of the outcome plan as it applies: the default plan where not changed."""

    headline: str
    indicators: list[PlanItem]
    progress: list[PlanItem]
    progress_rule: str
    changed: bool


class CriterionInfo(msgspec.Struct):
    """A registered criterion an outcome plan may name, and what each parameter means."""

    name: str
    description: str
    parameters: dict[str, str]


class ProgrammeSettings(msgspec.Struct):
    """A programme's rule-set configuration in full: every setting with its default, the
    outcome plan as it applies (tf2015), and the criteria a plan may name."""

    code: str
    version: int
    ruleset: str
    ruleset_name: str
    overrides: dict[str, Any]
    settings: list[RuleSetSetting]
    outcome_plan: list[PlanHeadline]
    criteria: list[CriterionInfo]
