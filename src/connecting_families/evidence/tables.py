"""Evidence tables, one per kind in the data-exchange spec.

Every table is append-and-supersede (see `Recorded`); the natural keys of the spec are unique
among live rows, enforced by partial unique indexes created in the migrations.
"""

from piccolo.columns import Date, DoublePrecision, Integer, Varchar
from piccolo.table import Table

from connecting_families.database.columns import refers_to
from connecting_families.evidence.provenance import Recorded
from connecting_families.families.tables import Family, Person


class Attendance(Recorded, Table):
    """School census attendance of one pupil over one period (usually a term)."""

    person = refers_to(Person)
    period_start = Date()
    period_end = Date()
    possible_sessions = Integer()
    authorised_absence_sessions = Integer(null=True, default=None)
    unauthorised_absence_sessions = Integer()
    school_urn = Varchar(length=16, null=True, default=None)


class Exclusion(Recorded, Table):
    """A fixed-period or permanent exclusion from school."""

    person = refers_to(Person)
    exclusion_ref = Varchar(length=64)
    start_date = Date()
    kind = Varchar(length=16)
    sessions = Integer(null=True, default=None)


class Offence(Recorded, Table):
    """A proven offence."""

    person = refers_to(Person)
    offence_ref = Varchar(length=64)
    offence_date = Date()
    outcome_date = Date(null=True, default=None)
    category = Varchar(length=64, null=True, default=None)


class AntisocialBehaviour(Recorded, Table):
    """An anti-social behaviour incident or intervention, of one member or the household."""

    person = refers_to(Person, null=True)
    family = refers_to(Family, null=True)
    asb_ref = Varchar(length=64)
    incident_date = Date()
    kind = Varchar(length=16)


class BenefitSpell(Recorded, Table):
    """A spell on an out-of-work benefit; no `end_date` means still claiming."""

    person = refers_to(Person)
    benefit = Varchar(length=16)
    start_date = Date()
    end_date = Date(null=True, default=None)


class EmploymentSpell(Recorded, Table):
    """A spell in work; no `end_date` means still in work."""

    person = refers_to(Person)
    start_date = Date()
    end_date = Date(null=True, default=None)
    hours_per_week = DoublePrecision(null=True, default=None)


class WorkProgrammeStart(Recorded, Table):
    """An attachment to a progress-to-work provision (Work Programme or ESF)."""

    person = refers_to(Person)
    provision = Varchar(length=32)
    start_date = Date()


class Observation(Recorded, Table):
    """A value of a measure declared by a plugin, for a member or the household."""

    person = refers_to(Person, null=True)
    family = refers_to(Family, null=True)
    measure = Varchar(length=64, index=True)
    observation_ref = Varchar(length=64, null=True, default=None)
    observed_on = Date(null=True, default=None)
    period_start = Date(null=True, default=None)
    period_end = Date(null=True, default=None)
    # The value as given; `numeric_value` holds it as a number when the measure is numeric.
    value = Varchar(length=255)
    numeric_value = DoublePrecision(null=True, default=None)
