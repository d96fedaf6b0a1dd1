"""The consent table."""

from piccolo.columns import Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.families.tables import Family, Person


class Consent(Table):
    """A family's consent to share its information, given by one of its members.

    Never deleted: a withdrawal is recorded on the row (when, by whom it was recorded, why),
    so the history of what the family agreed to stays readable.
    """

    id = Serial(primary_key=True)
    family = refers_to(Family)
    # The adult, or the young person, who gave it: a member of the household when given.
    given_by = refers_to(Person)
    given_on = Date()
    # How it was given: one of `consent.service.METHODS`.
    method = Varchar(length=16)
    # The kinds of agency it covers, codes of `consent.service.AGENCIES` joined by commas
    # (a text column, since SQLite has no arrays).
    agencies = Varchar(length=200)
    recorded_by = refers_to(User)
    recorded_at = Timestamptz()
    withdrawn_on = Date(null=True, default=None)
    withdrawn_reason = Text(null=True, default=None)
    withdrawn_recorded_by = refers_to(User, null=True)
    withdrawn_recorded_at = Timestamptz(null=True, default=None)
    # Bumped by a withdrawal; a withdrawal naming an older version is refused (409).
    version = Integer(default=1)
