"""Finding a family through the access policy: the one way services reach a family's records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.columns.combination import Or, WhereRaw
from piccolo.querystring import QueryString

from connecting_families.access.policy import FamilyAction, Principal, family_scope
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import (
    AnyEngine,
    read_by_key,
    take_turns,
    write_transaction,
)
from connecting_families.errors import Conflict, NotFound
from connecting_families.programmes.versions import evidence_changed

# Every family route reads its family through here first, so this is one plain statement
# rather than a query built anew each time.
_FAMILY_SQL = """
SELECT family.id, family.family_ref, family.programme, programme.code AS programme_code,
       programme.ruleset_id, programme.assessment_timescale_days, family.status,
       family.postcode, family.ward, family.identified_on, family.attached_on,
       family.closed_on, family.closure_reason, family.local_filter, family.expectant_parent,
       family.version
FROM family JOIN programme ON programme.id = family.programme
WHERE family.id = {} AND {}
"""


async def family_row(family_id: int, scope: WhereRaw | Or | None = None) -> dict[str, Any] | None:
    """The family's row (with its programme's code, rule set and timescale), if `scope`
    (a where clause on `family`) matches it."""
    condition = QueryString("TRUE") if scope is None else scope.querystring
    rows = await read_by_key(QueryString(_FAMILY_SQL, family_id, condition))
    return dict(rows[0]) if rows else None


async def require_family(
    principal: Principal, actor: Actor, family_id: int, action: FamilyAction
) -> dict[str, Any]:
    """The family's row if `principal` may `action` it; otherwise audited and not found.

    Out of scope and non-existent look the same, so the answer reveals nothing.
    """
    row = await family_row(family_id, family_scope(principal, action))
    if row is None:
        await record(actor, f"family.{action}", "family", family_id, allowed=False)
        raise NotFound(f"There is no family {family_id}, or it is not in your caseload.")
    return row


# A closed case's record is what the team manager signed off: a key worker changes it by
# reopening the case first (which is audited, and counts as a re-referral within 12 months),
# so that an auditor reading a closed family reads what was true when it closed.
CLOSED_CASE = "The family's case is closed: reopen it to change its records."


@asynccontextmanager
async def writing_family(
    engine: AnyEngine,
    principal: Principal,
    actor: Actor,
    family_id: int,
    *,
    even_if_closed: bool = False,
) -> AsyncIterator[dict[str, Any]]:
    """A write transaction on a family the caller may write, yielding its fresh row.

    The scope is checked first, outside the transaction, so that a refusal's audit entry is
    committed rather than rolled back with the refused write. A closed family is refused
    (409, `CLOSED_CASE`, after the scope check, so it tells no one outside the scope that
    the family exists) unless the write is one of the few a closed case still takes
    (`even_if_closed`: reopening it, signing off its closure or an assessment done before
    it, allocating it, correcting its own details, a family withdrawing its consent).
    """
    family = await require_family(principal, actor, family_id, "write")
    async with write_transaction(engine):
        # Writers of one family take turns, so a version check cannot race (PostgreSQL runs
        # READ COMMITTED; SQLite's IMMEDIATE transactions already take turns).
        await take_turns(engine, f"family:{family_id}")
        # Whatever the write, the programme's cached verdicts may no longer hold. First, so
        # that every writer locks the programme row before any family's.
        await evidence_changed(family["programme"])
        row = await family_row(family_id, family_scope(principal, "write"))
        if row is None:  # reallocated away in the moment between the two reads
            raise NotFound(f"There is no family {family_id}, or it is not in your caseload.")
        if row["status"] == "closed" and not even_if_closed:
            raise Conflict(CLOSED_CASE)
        yield row
