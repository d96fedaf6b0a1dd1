"""Family plan tables."""

from piccolo.columns import Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.families.tables import Family


class FamilyPlan(Table):
    """The plan agreed with a family: what will change, by when, and who does what."""

    id = Serial(primary_key=True)
    family = refers_to(Family)
    status = Varchar(length=16, default="draft")
    agreed_on = Date(null=True, default=None)
    next_review_on = Date(null=True, default=None, index=True)
    created_by = refers_to(User)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    version = Integer(default=1)
    # The family's closure (its status change) that closed the plan, if one did: sending that
    # closure back opens the plan again (`plans.closing`).
    closed_with = Integer(null=True, default=None)


class PlanGoal(Table):
    """A goal in a plan, usually against one need's headline."""

    id = Serial(primary_key=True)
    plan = refers_to(FamilyPlan)
    headline = Varchar(length=64, null=True, default=None)
    need_ref = Varchar(length=64, null=True, default=None)
    description = Text()
    target_on = Date(null=True, default=None)
    achieved_on = Date(null=True, default=None)
    status = Varchar(length=16, default="open")
    version = Integer(default=1)


class PlanAction(Table):
    """Something someone (a worker, a partner agency or the family) will do for a goal."""

    id = Serial(primary_key=True)
    goal = refers_to(PlanGoal)
    description = Text()
    owner = refers_to(User, null=True)
    owner_text = Varchar(length=200, null=True, default=None)
    due_on = Date(null=True, default=None, index=True)
    completed_on = Date(null=True, default=None)
    created_at = Timestamptz()
    version = Integer(default=1)


class PlanReview(Table):
    """A review of the plan with the family and what it concluded."""

    id = Serial(primary_key=True)
    plan = refers_to(FamilyPlan)
    reviewed_on = Date()
    reviewed_by = refers_to(User)
    summary = Text()
    next_review_on = Date(null=True, default=None)
    created_at = Timestamptz()


class PlanReviewProgress(Table):
    """What a review found for one goal."""

    id = Serial(primary_key=True)
    review = refers_to(PlanReview)
    goal = refers_to(PlanGoal)
    rating = Varchar(length=16)  # 'none', 'some', 'good' or 'achieved'
    comment = Text(default="")
