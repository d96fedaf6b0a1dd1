"""Answers to "is this already recorded?" that reveal nothing outside the caller's scope.

A family's, person's, need's or assessment's ref is unique across its programme, and a new
person is compared with everyone the programme knows; but a key worker may see only their
caseload. So a clash is answered by where it lies: inside the caller's scope (a family they
may read) it is named, so that they can use the record that is there; outside it the answer
is the same whatever matched, says nothing about what, whom or where, and the probe is written
to the audit log against each family it touched.

Such a refusal is raised inside the write's transaction, which its rollback takes the audit
entries with; `audited_refusals` writes them again after the rollback, so they are kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

import attrs

from connecting_families.access.policy import Principal, family_scope
from connecting_families.audit.service import Actor, record
from connecting_families.errors import Conflict, DomainError, field_error
from connecting_families.families.tables import Family, Membership


@attrs.frozen
class Probe:
    """One audit entry of a refused request: `resource` (type, id) is what the probe touched."""

    action: str
    resource: tuple[str, int]
    allowed: bool = False
    detail: dict[str, Any] = attrs.Factory(dict)


class AuditedRefusal(Exception):
    """`error` for the caller, once `probes` are in the audit log (see `audited_refusals`)."""

    def __init__(self, error: DomainError, probes: Collection[Probe]) -> None:
        super().__init__(error.detail)
        self.error = error
        self.probes = tuple(probes)


@asynccontextmanager
async def audited_refusals(actor: Actor) -> AsyncIterator[None]:
    """Around a write transaction: an `AuditedRefusal` raised in it leaves it rolled back, its
    probes recorded (outside the transaction, so they are kept) and its error raised."""
    try:
        yield
    except AuditedRefusal as refusal:
        for probe in refusal.probes:
            kind, resource_id = probe.resource
            await record(
                actor, probe.action, kind, resource_id, allowed=probe.allowed, detail=probe.detail
            )
        raise refusal.error from None


async def readable(principal: Principal, family_ids: Collection[int]) -> set[int]:
    """Those of `family_ids` that `principal` may read."""
    if not family_ids:
        return set()
    rows = await Family.select(Family.id).where(
        Family.id.is_in(sorted(family_ids)), family_scope(principal, "read")
    )
    return {row["id"] for row in rows}


async def households(person_ids: Collection[int]) -> dict[int, set[int]]:
    """Person id -> the families they are (or were, now recorded as left) a member of."""
    found: dict[int, set[int]] = {person_id: set() for person_id in person_ids}
    if found:
        rows = await Membership.select(Membership.person, Membership.family).where(
            Membership.person.is_in(sorted(found)), Membership.superseded_at.is_null()
        )
        for row in rows:
            found[row["person"]].add(row["family"])
    return found


def probes_of(
    action: str, families: Collection[int], *, person_id: int | None, detail: dict[str, Any]
) -> list[Probe]:
    """Audit entries for a probe that matched `families` (or, with none, a person in no
    household: then the person is what it touched)."""
    if families:
        return [Probe(action, ("family", family_id), detail=detail) for family_id in families]
    assert person_id is not None
    return [Probe(action, ("person", person_id), detail=detail)]


# Per ref: what holds it, and the way on from a ref taken outside the caller's scope (the same
# words whatever the record, its family or its programme, needing to know neither).
_REFS = {
    "family_ref": ("a family", "ask a team manager whether the family is already known"),
    "person_ref": ("a person", "leave it out to be given one, or ask a team manager"),
    "need_ref": ("a need", "leave it out to be given one, or ask a team manager"),
    "assessment_ref": ("an assessment", "leave it out to be given one, or ask a team manager"),
}


def ref_refused(field: str) -> Conflict:
    """The answer to a ref that is taken by a record outside the caller's scope."""
    way_on = _REFS[field][1]
    return Conflict(
        f"{field}: this reference cannot be used; {way_on}.",
        errors=[field_error(field, f"cannot be used; {way_on}")],
    )


async def refuse_taken_ref(
    principal: Principal,
    field: str,
    holders: Collection[int],
    *,
    from_family: int | None,
    person_id: int | None = None,
) -> None:
    """Refuse a ref already held by a record in `holders` (the families it belongs to) or by
    `person_id` (a person in no household); with neither, the ref is free.

    Held in a family the caller may read, the clash is named; otherwise it is `ref_refused`,
    audited against each holder as `<record>.ref_probe`.
    """
    if not holders and person_id is None:
        return
    if await readable(principal, holders):
        raise Conflict(
            f"{field}: already used for {_REFS[field][0]} in your caseload.",
            errors=[field_error(field, "already used")],
        )
    action = f"{field.removesuffix('_ref')}.ref_probe"
    detail = {"field": field, "from_family": from_family}
    raise AuditedRefusal(
        ref_refused(field), probes_of(action, holders, person_id=person_id, detail=detail)
    )
