"""Programme tables."""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    Integer,
    Numeric,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from connecting_families.database.columns import refers_to


class Programme(Table):
    """One programme: an authority's run of a rule set, with its targets."""

    id = Serial(primary_key=True)
    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    local_authority = Varchar(length=200)
    ruleset_id = Varchar(length=64)
    ruleset_config = JSON(default="{}")
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    target_families = Integer(null=True, default=None)
    # Early help assessments are due within this many working days of starting.
    assessment_timescale_days = Integer(default=45)
    # A contact at the front door is to be decided within this many working days of arriving.
    contact_decision_days = Integer(default=1)
    # Early help assessments a year per 10,000 children (0-17) the programme aims for.
    assessment_rate_target = Numeric(digits=(7, 1), null=True, default=None)
    # Whether an assessment may be completed for a family with no current consent to share
    # its information (then only with a reason, recorded on the assessment).
    assessment_without_consent = Boolean(default=False)
    # Moved on by every write to a family's records: totals judge again when it moves.
    evidence_version = BigInt(default=0)
    created_at = Timestamptz()
    version = Integer(default=1)


class ChildPopulation(Table):
    """Resident children aged 0-17 in the programme's area, by year: the rate denominator."""

    id = Serial(primary_key=True)
    programme = refers_to(Programme)
    year = Integer()
    children = Integer()
