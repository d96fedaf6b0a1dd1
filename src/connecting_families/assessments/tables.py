"""Assessment and need tables (append-and-supersede, like evidence)."""

from piccolo.columns import JSON, Date, Text, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.evidence.provenance import Recorded
from connecting_families.families.tables import Family, Person


class Assessment(Recorded, Table):
    """An early help assessment opened for a family or one child in it."""

    family = refers_to(Family)
    assessment_ref = Varchar(length=64)
    subject_person = refers_to(Person, null=True)
    started_on = Date()
    completed_on = Date(null=True, default=None)
    lead_professional = Varchar(length=200, null=True, default=None)
    agency = Varchar(length=200, null=True, default=None)
    signed_off_by = refers_to(User, null=True)
    signed_off_at = Timestamptz(null=True, default=None)
    # Why it was completed late: one of `records.LATE_REASONS`, and the words (required for
    # "other", optional detail for the others). A reason given before the codes is "other".
    late_reason_code = Varchar(length=32, null=True, default=None)
    late_reason = Text(null=True, default=None)
    # Why it was completed without the family's current consent, where the programme allows it.
    no_consent_reason = Text(null=True, default=None)
    # The content, saved as a draft until it is completed: the family's own view, their
    # strengths, a short text per headline of the rule set (JSON: headline -> text), the
    # child's voice and the key worker's analysis.
    family_view = Text(null=True, default=None)
    strengths = Text(null=True, default=None)
    headline_needs = JSON(null=True, default=None)
    child_voice = Text(null=True, default=None)
    analysis = Text(null=True, default=None)
    # A team manager sent the completed assessment back to the key worker, not signed off:
    # who, when and why (the next version is a draft again; these stay on it, to be seen).
    sent_back_by = refers_to(User, null=True)
    sent_back_at = Timestamptz(null=True, default=None)
    sent_back_reason = Text(null=True, default=None)


class Need(Recorded, Table):
    """A need identified under one of the rule set's headlines, and its outcome."""

    family = refers_to(Family)
    person = refers_to(Person, null=True)
    need_ref = Varchar(length=64)
    headline = Varchar(length=64, index=True)
    identified_on = Date()
    evidence = Text(null=True, default=None)
    outcome = Varchar(length=16, null=True, default=None)
    outcome_on = Date(null=True, default=None)
