"""HTTP shapes for family plans."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from connecting_families.http_params import BoundedId, Ref, Version

Description = Annotated[str, Meta(min_length=1, max_length=2000)]
Headline = Annotated[str, Meta(max_length=64)]


class GoalCreate(msgspec.Struct, forbid_unknown_fields=True):
    description: Description
    headline: Headline | None = None
    need_ref: Ref | None = None
    target_on: dt.date | None = None


class PlanCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A plan; it is active once agreed with the family (`agreed_on`), a draft until then."""

    agreed_on: dt.date | None = None
    next_review_on: dt.date | None = None
    goals: Annotated[list[GoalCreate], Meta(max_length=50)] = msgspec.field(default_factory=list)


class PlanUpdate(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    status: Literal["draft", "active", "closed"] | UnsetType = UNSET
    agreed_on: dt.date | UnsetType | None = UNSET
    next_review_on: dt.date | UnsetType | None = UNSET


class ActionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An action; its owner is a user (`owner`, a username) or someone else (`owner_text`)."""

    description: Description
    owner: Annotated[str, Meta(max_length=64)] | None = None
    owner_text: Annotated[str, Meta(max_length=200)] | None = None
    due_on: dt.date | None = None


class ActionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    description: Description | UnsetType = UNSET
    due_on: dt.date | UnsetType | None = UNSET
    completed_on: dt.date | UnsetType | None = UNSET


class ProgressCreate(msgspec.Struct, forbid_unknown_fields=True):
    goal_id: BoundedId
    rating: Literal["none", "some", "good", "achieved"]
    comment: Annotated[str, Meta(max_length=2000)] = ""


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    reviewed_on: dt.date
    summary: Annotated[str, Meta(min_length=1, max_length=10_000)]
    next_review_on: dt.date | None = None
    progress: Annotated[list[ProgressCreate], Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


class Action(msgspec.Struct):
    id: int
    goal_id: int
    description: str
    owner: str | None
    owner_text: str | None
    due_on: dt.date | None
    completed_on: dt.date | None
    overdue: bool
    version: int


class Goal(msgspec.Struct):
    id: int
    description: str
    headline: str | None
    need_ref: str | None
    target_on: dt.date | None
    achieved_on: dt.date | None
    status: str
    version: int
    actions: list[Action]


class Progress(msgspec.Struct):
    goal_id: int
    rating: str
    comment: str


class Review(msgspec.Struct):
    id: int
    reviewed_on: dt.date
    reviewed_by: str
    summary: str
    next_review_on: dt.date | None
    progress: list[Progress]


class Plan(msgspec.Struct):
    id: int
    family_id: int
    status: str
    agreed_on: dt.date | None
    next_review_on: dt.date | None
    review_overdue: bool
    version: int
    goals: list[Goal]
    reviews: list[Review]


class OverdueItem(msgspec.Struct):
    kind: str
    family_id: int
    family_ref: str
    plan_id: int
    action_id: int | None
    description: str
    due_on: dt.date
    key_worker: str | None
