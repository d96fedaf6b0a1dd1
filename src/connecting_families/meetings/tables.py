"""The family meeting table."""

from piccolo.columns import Date, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.families.tables import Family


class FamilyMeeting(Table):
    """A family group decision-making meeting or a family network meeting, as it was held.

    Never edited in place and never deleted, like a case note: what the family agreed stays
    as it was recorded. There is no correction yet; a meeting recorded wrongly is followed by
    a note saying so.
    """

    id = Serial(primary_key=True)
    family = refers_to(Family)
    # Which kind of meeting: one of `meetings.service.KINDS`.
    kind = Varchar(length=32)
    held_on = Date()
    # Who came, family members and professionals, as the key worker typed it.
    attendees = Text()
    # The household members who came, by person id joined by commas (SQLite has no arrays);
    # empty when none were chosen.
    members_present = Varchar(length=500, default="")
    # The plan the family agreed, in their words or the key worker's.
    agreed_plan = Text()
    # When the next meeting is to be held, if one was arranged.
    next_on = Date(null=True, default=None)
    recorded_by = refers_to(User)
    recorded_at = Timestamptz()
