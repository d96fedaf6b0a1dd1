"""Claim tables.

A claim line is *live* while its claim is not withdrawn or rejected and the line itself is
neither excluded nor rejected; a partial unique index (see the migrations) lets the database
itself refuse two live lines for the same family and route.
"""

from piccolo.columns import JSON, BigInt, Boolean, Date, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.families.tables import Family
from connecting_families.programmes.tables import Programme


class ClaimWindow(Table):
    """When a programme may claim, and the date results are evaluated at."""

    id = Serial(primary_key=True)
    programme = refers_to(Programme)
    name = Varchar(length=100)
    opens_on = Date()
    closes_on = Date()
    as_of = Date()
    # Closed early by a programme manager: no claim is prepared in it after this moment.
    closed_at = Timestamptz(null=True, default=None)


class Claim(Table):
    """A batch of results claimed at one `as_of` date, and where it is in its lifecycle."""

    id = Serial(primary_key=True)
    programme = refers_to(Programme)
    claim_ref = Varchar(length=64, unique=True)
    claim_window = refers_to(ClaimWindow, null=True)
    as_of = Date()
    status = Varchar(length=16, default="draft", index=True)
    ruleset = Varchar(length=64)
    # The programme's configuration of the rule set when prepared: re-verification uses it.
    ruleset_config = JSON(default="{}")
    # Attachment fees of the programme's attached eligible families at `as_of`, in pence.
    attachment_fees_pence = BigInt(default=0)
    near_misses = JSON(default="[]")
    prepared_by = refers_to(User, null=True)
    prepared_at = Timestamptz()
    sample_seed = BigInt(null=True, default=None)
    sample_spec = Varchar(length=32, null=True, default=None)
    sample_drawn_at = Timestamptz(null=True, default=None)
    submitted_by = refers_to(User, null=True)
    submitted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_reason = Text(null=True, default=None)


class ClaimLine(Table):
    """One family's result in a claim, frozen with the verdict and evidence it rests on."""

    id = Serial(primary_key=True)
    claim = refers_to(Claim)
    family = refers_to(Family)
    route = Varchar(length=64)
    amount_pence = BigInt()
    ruleset = Varchar(length=64)
    verdict = JSON()
    evidence_sha256 = Varchar(length=64)
    is_live = Boolean(default=True)
    excluded_reason = Text(null=True, default=None)
    sampled = Boolean(default=False)
    signed_off_by = refers_to(User, null=True)
    signed_off_at = Timestamptz(null=True, default=None)
    rejected_reason = Text(null=True, default=None)
    # A reversal line gives back the money of an earlier submitted line (`reverses`) whose
    # result, re-judged on corrected evidence, was not met; its amount is the negative.
    reverses = refers_to(LazyTableReference("ClaimLine", module_path=__name__), null=True)


class ClaimLineQuery(Table):
    """Internal audit's question about a sampled line, and the programme manager's answer.

    Open while `answered_at` is null: the claim cannot be submitted while any is open.
    """

    id = Serial(primary_key=True)
    claim = refers_to(Claim)
    line = refers_to(ClaimLine)
    raised_by = refers_to(User, null=True)
    raised_at = Timestamptz()
    reason = Text()
    answered_by = refers_to(User, null=True)
    answered_at = Timestamptz(null=True, default=None)
    answer = Text(null=True, default=None)
