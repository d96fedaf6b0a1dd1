"""Finding a family through the access policy: the one way services reach a family's records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from connecting_families.access.policy import FamilyAction, Principal, family_scope
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine, take_turns, write_transaction
from connecting_families.errors import NotFound
from connecting_families.families.tables import Family
from connecting_families.programmes.versions import evidence_changed

FAMILY_COLUMNS = (
    Family.id,
    Family.family_ref,
    Family.programme,
    Family.programme.code.as_alias("programme_code"),
    Family.programme.ruleset_id.as_alias("ruleset_id"),
    Family.programme.assessment_timescale_days.as_alias("assessment_timescale_days"),
    Family.status,
    Family.postcode,
    Family.ward,
    Family.identified_on,
    Family.attached_on,
    Family.closed_on,
    Family.closure_reason,
    Family.local_filter,
    Family.expectant_parent,
    Family.version,
)


async def require_family(
    principal: Principal, actor: Actor, family_id: int, action: FamilyAction
) -> dict[str, Any]:
    """The family's row if `principal` may `action` it; otherwise audited and not found.

    Out of scope and non-existent look the same, so the answer reveals nothing.
    """
    row = (
        await Family.select(*FAMILY_COLUMNS)
        .where(Family.id == family_id, family_scope(principal, action))
        .first()
    )
    if row is None:
        await record(actor, f"family.{action}", "family", family_id, allowed=False)
        raise NotFound(f"There is no family {family_id}, or it is not in your caseload.")
    return dict(row)


@asynccontextmanager
async def writing_family(
    engine: AnyEngine, principal: Principal, actor: Actor, family_id: int
) -> AsyncIterator[dict[str, Any]]:
    """A write transaction on a family the caller may write, yielding its fresh row.

    The scope is checked first, outside the transaction, so that a refusal's audit entry is
    committed rather than rolled back with the refused write.
    """
    family = await require_family(principal, actor, family_id, "write")
    async with write_transaction(engine):
        # Writers of one family take turns, so a version check cannot race (PostgreSQL runs
        # READ COMMITTED; SQLite's IMMEDIATE transactions already take turns).
        await take_turns(engine, f"family:{family_id}")
        # Whatever the write, the programme's cached verdicts may no longer hold. First, so
        # that every writer locks the programme row before any family's.
        await evidence_changed(family["programme"])
        row = (
            await Family.select(*FAMILY_COLUMNS)
            .where(Family.id == family_id, family_scope(principal, "write"))
            .first()
        )
        if row is None:  # reallocated away in the moment between the two reads
            raise NotFound(f"There is no family {family_id}, or it is not in your caseload.")
        yield dict(row)
