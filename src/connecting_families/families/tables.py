"""Family, person, membership, allocation, sharing and case note tables."""

from piccolo.columns import Boolean, Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import Team, User
from connecting_families.database.columns import refers_to
from connecting_families.evidence.provenance import Recorded
from connecting_families.imports.tables import ImportRun
from connecting_families.programmes.tables import Programme


class Family(Table):
    """A household worked with as a whole. `family_ref` is the authority's own key."""

    id = Serial(primary_key=True)
    programme = refers_to(Programme)
    family_ref = Varchar(length=64)
    status = Varchar(length=16, default="identified", index=True)
    postcode = Varchar(length=16, null=True, default=None, index=True)
    ward = Varchar(length=100, null=True, default=None, index=True)
    identified_on = Date()
    attached_on = Date(null=True, default=None)
    closed_on = Date(null=True, default=None)
    closure_reason = Varchar(length=64, null=True, default=None)
    local_filter = Boolean(default=False)
    expectant_parent = Boolean(default=False)
    import_run = refers_to(ImportRun, null=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Bumped on every update; an update naming an older version is refused (409).
    version = Integer(default=1)
    # When `connecting-families purge` removed the family's personal data (retention).
    purged_at = Timestamptz(null=True, default=None)


class FamilyStatusChange(Table):
    """Each step of a family's lifecycle; a reopening within 12 months is a re-referral."""

    id = Serial(primary_key=True)
    family = refers_to(Family)
    status = Varchar(length=16)
    changed_on = Date()
    reason = Varchar(length=64, null=True, default=None)
    is_re_referral = Boolean(default=False)
    changed_by = refers_to(User, null=True)
    changed_at = Timestamptz()
    # A closure is signed off by a team manager (other changes need none).
    signed_off_by = refers_to(User, null=True)
    signed_off_at = Timestamptz(null=True, default=None)
    # Or sent back by a team manager with a reason: the family is open again (a "sent_back"
    # status change follows), and its page shows why.
    sent_back_by = refers_to(User, null=True)
    sent_back_at = Timestamptz(null=True, default=None)
    sent_back_reason = Text(null=True, default=None)


class FamilyRevision(Table):
    """The facts a rule set reads from a family row, as they were until `valid_until`.

    Written by a database trigger whenever an update changes one of them (whatever made the
    change: the API, an import, a status change), so evidence can be loaded as known at any
    moment, and a claim re-verified after the family was corrected or closed is judged on
    the family as it stood when the claim was made.
    """

    id = Serial(primary_key=True)
    family = refers_to(Family)
    identified_on = Date()
    attached_on = Date(null=True, default=None)
    closed_on = Date(null=True, default=None)
    local_filter = Boolean(default=False)
    expectant_parent = Boolean(default=False)
    # The family's `updated_at` of the change that replaced these values.
    valid_until = Timestamptz()


class Person(Table):
    """A person known to the programme; households are in `Membership`."""

    id = Serial(primary_key=True)
    programme = refers_to(Programme)
    person_ref = Varchar(length=64)
    given_name = Varchar(length=100)
    family_name = Varchar(length=100, index=True)
    date_of_birth = Date()
    sex = Varchar(length=8, null=True, default=None)
    upn = Varchar(length=13, null=True, default=None, index=True)
    ni_number = Varchar(length=9, null=True, default=None, index=True)
    import_run = refers_to(ImportRun, null=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    version = Integer(default=1)


class Membership(Recorded, Table):
    """A person's membership of a household between dates (`left_on` excluded)."""

    person = refers_to(Person)
    family = refers_to(Family)
    role = Varchar(length=8)
    joined_on = Date(null=True, default=None)
    left_on = Date(null=True, default=None)


class Allocation(Table):
    """A family's key worker over a span; the open row (no `ended_at`) is the current one."""

    id = Serial(primary_key=True)
    family = refers_to(Family)
    key_worker = refers_to(User)
    team = refers_to(Team, null=True)
    started_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    allocated_by = refers_to(User, null=True)
    reason = Text(null=True, default=None)


class FamilyShare(Table):
    """Access to a family granted to a worker who is not its key worker."""

    id = Serial(primary_key=True)
    family = refers_to(Family)
    user = refers_to(User)
    granted_by = refers_to(User, null=True)
    granted_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class CaseNote(Table):
    """A key worker's note of a visit, call or meeting with the family."""

    id = Serial(primary_key=True)
    family = refers_to(Family)
    person = refers_to(Person, null=True)
    author = refers_to(User)
    kind = Varchar(length=16, default="visit")
    occurred_on = Date()
    attendees = Text(null=True, default=None)
    body = Text()
    # Notes are never edited: a correction is a new note pointing at the one it corrects.
    corrects = refers_to("self", null=True)
    created_at = Timestamptz()
