"""Contact tables: a contact at the front door, the people it is about, and its decision."""

from piccolo.columns import Boolean, Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.families.tables import Family, Person
from connecting_families.programmes.tables import Programme


class Contact(Table):
    """A request for support or a concern about a child, as the front door received it, and
    the decision on it (the `decision…` columns, empty until it is decided).

    Never deleted and never edited once decided: the decision is final, and the report counts
    what was decided when.
    """

    id = Serial(primary_key=True)
    programme = refers_to(Programme)
    # `contact`, or `step_down` from children's social care into family help.
    kind = Varchar(length=16, default="contact")
    received_at = Timestamptz(index=True)
    # How it came: one of `frontdoor.records.CHANNELS`.
    channel = Varchar(length=16)
    # From whom: one of `frontdoor.records.SOURCES`, and who they are in words (a school's
    # name, an officer's role), optional.
    source = Varchar(length=16, index=True)
    source_name = Varchar(length=200, null=True, default=None)
    # The family it is about, when the front door found it (or family help created it).
    family = refers_to(Family, null=True)
    # The headlines of the programme's rule set the concerns fall under, joined by commas.
    concerns = Varchar(length=500, default="")
    # Whether the person making the contact said the family agreed to it being shared:
    # `yes`, `no` or `not_known`.
    consent_to_share = Varchar(length=16)
    summary = Text()
    # Social care's own reference: of the case stepped down from, or stepped up to.
    social_care_ref = Varchar(length=64, null=True, default=None)
    # A contact about a family whose involvement ended within 12 months before it came, and
    # the reason it came back (one of `frontdoor.records.REPEAT_REASONS`).
    is_repeat = Boolean(default=False)
    repeat_reason = Varchar(length=32, null=True, default=None)
    repeat_detail = Text(null=True, default=None)
    # The last day a decision is in time: the programme's timescale in working days.
    decide_by = Date()
    recorded_by = refers_to(User)
    recorded_at = Timestamptz()
    decision = Varchar(length=24, null=True, default=None, index=True)
    decided_at = Timestamptz(null=True, default=None, index=True)
    decided_by = refers_to(User, null=True)
    decision_note = Text(null=True, default=None)
    # A late decision's reason: one of the assessments' `LATE_REASONS`, and words for "other".
    late_reason_code = Varchar(length=32, null=True, default=None)
    late_reason = Text(null=True, default=None)
    version = Integer(default=1)


class ContactPerson(Table):
    """A person the contact is about, as the contact named them: who becomes a member of the
    household if family help creates the family. `person` is someone the programme knew
    already (found in the front door's scope)."""

    id = Serial(primary_key=True)
    contact = refers_to(Contact)
    person = refers_to(Person, null=True)
    given_name = Varchar(length=100)
    family_name = Varchar(length=100)
    date_of_birth = Date()
    # adult or child, as a household's members are.
    role = Varchar(length=8)
