"""The verdicts programme totals count, kept per programme, date and evidence version.

Judging 100,000 families takes a while; counting them must not. A `VerdictRun` holds what
totals need of every family's verdict at one date (eligible, turned around, the attachment
fee, the routes met and the headline problems) for the programme's evidence as it stood at
one `Programme.evidence_version`. Any write to a family's records moves that version on, and
the next totals drop the programme's older runs and judge again.
"""

from piccolo.columns import BigInt, Boolean, Date, Serial, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.database.columns import refers_to
from connecting_families.families.tables import Family
from connecting_families.programmes.tables import Programme


class VerdictRun(Table):
    id = Serial(primary_key=True)
    programme = refers_to(Programme)
    as_of = Date()
    evidence_version = BigInt()
    ruleset = Varchar(length=64)
    made_at = Timestamptz()


class VerdictFamily(Table):
    """One family's verdict in a run, as totals count it."""

    id = Serial(primary_key=True)
    run = refers_to(VerdictRun)
    family = refers_to(Family)
    eligible = Boolean()
    turned_around = Boolean()
    attachment_fee_pence = BigInt()


class VerdictFact(Table):
    """A route met (`kind` route, with its amount) or a headline problem (`kind` headline)."""

    id = Serial(primary_key=True)
    run = refers_to(VerdictRun)
    family = refers_to(Family)
    kind = Varchar(length=16)
    name = Varchar(length=64)
    amount_pence = BigInt(default=0)
