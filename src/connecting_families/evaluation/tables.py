"""Verdicts kept for the pages that show many families' results at once.

A key worker's caseload shows fifty families' results; judging them all again at every view
took most of the page's time. `KeptVerdict` keeps what the pages show of a verdict (evaluated,
eligible, turned around) with what it was judged on: the day, the programme's evidence version
(`programmes.versions`: moved on by every write to any family's records, by imports and by a
change to the programme's configuration), the family's own row version, and the rule set's
key with its version. A kept verdict is current only while all four still hold; otherwise the
page judges the family again and keeps the new verdict (`evaluation.kept`).
"""

from piccolo.columns import BigInt, Boolean, Date, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.database.columns import refers_to
from connecting_families.families.tables import Family


class KeptVerdict(Table):
    """One family's verdict at one day (unique per family and day; see the migration)."""

    id = Serial(primary_key=True)
    family = refers_to(Family)
    as_of = Date()
    evidence_version = BigInt()
    family_version = Integer()
    ruleset = Varchar(length=64)
    evaluated = Boolean()
    eligible = Boolean()
    turned_around = Boolean()
    made_at = Timestamptz()
