"""A new family and its household, recorded together or not at all.

The new-family journey asks for the family and each of its people before anything is written;
"Create family" then records the family, the new people and the memberships in one write
transaction, so a refusal part-way (a ref taken, a person who may already be known) leaves
nothing behind. Each person is checked against the programme as `MemberService.add_member`
checks one added later (`families.existence`: a match in the caller's scope is named, one
outside it only said to be possible).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.errors import Conflict, DomainError, field_error, refuse_if
from connecting_families.families.existence import AuditedRefusal, audited_refusals
from connecting_families.families.members import (
    KNOWN_ELSEWHERE,
    ROLES,
    MemberService,
    PersonDraft,
    person_problems,
)
from connecting_families.families.scope import family_row
from connecting_families.families.service import FamilyDraft, FamilyRecord, FamilyService


@attrs.frozen
class NewMember:
    """One person of a new household: someone new (`person`), or someone the caller's
    caseload already holds (`person_id`). `create_anyway`: the caller has said that a new
    person who looks like someone known is someone else."""

    role: str
    joined_on: dt.date | None = None
    person: PersonDraft | None = None
    person_id: int | None = None
    create_anyway: bool = False


def member_problems(index: int, member: NewMember) -> list[dict[str, str]]:
    """What is wrong with one member, each field named `member-<index>-<field>` as the
    journey's form names it."""
    problems = []
    if member.role not in ROLES:
        problems.append(field_error("role", "must be one of adult, child"))
    if (member.person is None) == (member.person_id is None):
        problems.append(field_error("person", "give either person_id or person, not both"))
    if member.person is not None:
        problems += person_problems(member.person)
    return [
        field_error(f"member-{index}-{problem['field']}", problem["message"])
        for problem in problems
    ]


def of_member(index: int, error: DomainError) -> None:
    """Name the fields `error` names as member `index`'s (`person_ref` is
    `member-0-person_ref`), as the journey's form names them."""
    error.errors = [
        {**problem, "field": f"member-{index}-{problem['field']}"}
        if problem.get("field")
        else problem
        for problem in error.errors
    ]


@attrs.define
class NewFamilyService:
    """Records a family with its household in one transaction."""

    engine: AnyEngine
    families: FamilyService
    members: MemberService

    async def create_family_with_household(
        self,
        principal: Principal,
        actor: Actor,
        draft: FamilyDraft,
        household: Sequence[NewMember],
    ) -> FamilyRecord:
        """The family, its people and their memberships, all written or none; each write
        audited as its own service audits it (`family.create`, `family.member.add`)."""
        problems = [p for i, m in enumerate(household) for p in member_problems(i, m)]
        refuse_if(problems, "The household")
        programme_id = await self.families.checked_programme(principal, draft)
        async with audited_refusals(actor), write_transaction(self.engine):
            family_id = await self.families.insert_family(principal, actor, programme_id, draft)
            for index, member in enumerate(household):
                person_id = member.person_id
                if member.person is not None:
                    if not member.create_anyway:
                        await self._refuse_if_known(principal, index, programme_id, member.person)
                    try:
                        person_id = await self.members.create_person(
                            principal, None, programme_id, member.person
                        )
                    except AuditedRefusal as refusal:
                        of_member(index, refusal.error)
                        raise
                    except DomainError as error:
                        of_member(index, error)
                        raise
                else:
                    assert person_id is not None
                    await self.members.refuse_unless_bringable(
                        principal, family_id, programme_id, person_id
                    )
                await self.members.insert_membership(
                    principal,
                    actor,
                    programme_id,
                    family_id,
                    person_id,
                    member.role,
                    member.joined_on,
                )
        row = await family_row(family_id)
        assert row is not None
        return await self.families.record_of(row)

    async def _refuse_if_known(
        self, principal: Principal, index: int, programme_id: int, person: PersonDraft
    ) -> None:
        """Refuse member `index` if they may be someone known (the journey asked already;
        this holds for a household sent again after someone else recorded the person)."""
        check = await self.members.duplicate_check(
            principal, programme_id, person, from_family=None
        )
        if check.offered or check.known_elsewhere:
            message = (
                "This person may already be known: check the people found"
                if check.offered
                else KNOWN_ELSEWHERE
            )
            raise AuditedRefusal(
                Conflict(
                    "A member of the household may already be known.",
                    errors=[field_error(f"member-{index}", message)],
                ),
                check.probes,
            )
