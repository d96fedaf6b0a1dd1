"""A family's household: its members and key workers, and the forms to add a member, record a
member leaving and correct a person's details, each a page of its own.

Read through `FamilyPageServices.open` (one scope check, one audit entry), then the section's
records unchecked (`members_of`, `allocations_of`). A new member is checked against the
programme before anything is written (`MemberService.screen_person`): people in the caller's
scope who may be the same are named and can be added instead; a match outside it gets the fixed
words and no name. A correction names the version it was made against; if someone else changed
the person meanwhile, the form comes back saying which fields they changed, keeping what was
typed.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from connecting_families.families.allocation import allocations_of
from connecting_families.families.members import (
    KNOWN_ELSEWHERE,
    Member,
    Screening,
)
from connecting_families.families.search import search_people
from connecting_families.http_params import RecordId
from connecting_families.programmes.tables import Programme
from connecting_families.web.family_form_labels import typed
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    refused,
    whole_number,
)
from connecting_families.web.household_forms import (
    CORRECTION_LABELS,
    LEAVING_LABELS,
    MEMBER_LABELS,
    ROLE_CHOICES,
    CorrectionForm,
    ExistingMemberForm,
    KnownSearchForm,
    LeavingForm,
    NewMemberForm,
    correction_changes,
    correction_values,
    person_draft,
    stale,
)
from connecting_families.web.templating import page


def _member(
    header: FamilyHeader, *, membership_id: int | None = None, person_id: int | None = None
) -> Member:
    """The household's current member asked for, or not found."""
    for member in header.members:
        if member.membership_id == membership_id or (
            person_id is not None and member.person_id == person_id and member.current
        ):
            return member
    raise NotFound("There is no such member of this household.")


class HouseholdPages(Controller):
    """The household section of a family's record."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/household", opt={"access": FAMILY_READ})
    async def household_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The household's members, past and present, and its key workers.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "household")
        allocations = await allocations_of(family_id)
        return page("family/household.html", **header.context(), allocations=allocations)

    async def _writable(
        self, family_page: FamilyPageServices, principal: Principal, actor: Actor, family_id: int
    ) -> FamilyHeader:
        header = await family_page.open(principal, actor, family_id, "household")
        if not header.may_add:
            raise Forbidden("The household cannot be changed: the family is closed.")
        return header

    @get("/families/{family_id:int}/household/new", opt={"access": FAMILY_WRITE})
    async def member_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The form to add a member to the household.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await self._writable(family_page, principal, actor, family_id)
        return page("family/member_form.html", **member_context(header), form=Form())

    @post(
        "/families/{family_id:int}/household",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(MEMBER_LABELS)},
    )
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Add a member: someone new once checked against the programme, or a person already
        known that the check found in the caller's scope.

        Args:
            request: The form post.
            family_page: What the page reads, and the member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        members = family_page.members
        try:
            if values.get("same", "").startswith("person-"):
                known = read(
                    {k: values[k] for k in ("role", "same", "joined_on") if k in values},
                    ExistingMemberForm,
                    MEMBER_LABELS,
                )
                chosen = whole_number(known.same.removeprefix("person-"))
                if chosen is None:
                    raise NotFound("There is no such person you may add to this household.")
                await members.add_member(
                    principal,
                    actor,
                    family_id,
                    role=known.role,
                    joined_on=known.joined_on,
                    person_id=chosen,
                )
                return accepted(f"/families/{family_id}/household", "member_added")
            data = read(values, NewMemberForm, MEMBER_LABELS)
            draft = person_draft(data)
            if not data.same:
                header = await family_page.open(principal, actor, family_id, "household")
                screening = await members.screen_person(
                    principal, actor, await programme_of(header), draft, from_family=family_id
                )
                if not screening.clear:
                    return screened(header, values, screening)
            await members.add_member(
                principal,
                actor,
                family_id,
                role=data.role,
                joined_on=data.joined_on,
                person=draft,
                create_anyway=bool(data.same),
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "household")
            return refused(
                error, values, MEMBER_LABELS, "family/member_form.html", **member_context(header)
            )
        return accepted(f"/families/{family_id}/household", "member_added")

    @get("/families/{family_id:int}/household/known", opt={"access": FAMILY_WRITE})
    async def known_person_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The search for someone already known, with nothing searched yet.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await self._writable(family_page, principal, actor, family_id)
        return page(
            "family/known_person_form.html", **member_context(header), found=None, form=Form()
        )

    @post(
        "/families/{family_id:int}/household/known",
        opt={"access": FAMILY_WRITE, FORM_LABELS: {"name": "Name"}},
        status_code=200,
    )
    async def find_known_person(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """People already known in the caller's caseload, found by name, to add one of them
        (a form post answered by the results: the name is in no address).

        Args:
            request: The form post.
            family_page: What the page reads.
            principal: The signed-in caller, whose caseload is searched.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        header = await self._writable(family_page, principal, actor, family_id)
        try:
            data = read(values, KnownSearchForm, {"name": "Name"})
        except DomainError as error:
            return refused(
                error,
                values,
                {"name": "Name"},
                "family/known_person_form.html",
                **member_context(header),
                found=None,
            )
        programme_id = await programme_of(header)
        found = await search_people(principal, actor, programme_id, data.name)
        here = {member.person_id for member in header.current_members}
        found = tuple(person for person in found if person.person_id not in here)
        return page(
            "family/known_person_form.html",
            **member_context(header),
            found=found,
            form=Form(values=values),
        )

    @get(
        "/families/{family_id:int}/household/{membership_id:int}/leave",
        opt={"access": FAMILY_WRITE},
    )
    async def leaving_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        membership_id: RecordId,
    ) -> Template:
        """The confirmation page for a member leaving the household, asking the date.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            membership_id: The member's membership.
        """
        header = await self._writable(family_page, principal, actor, family_id)
        member = _member(header, membership_id=membership_id)
        form = Form(values={"version": str(member.membership_version)})
        return page("family/leaving_form.html", **header.context(), member=member, form=form)

    @post(
        "/families/{family_id:int}/household/{membership_id:int}/leave",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(LEAVING_LABELS)},
    )
    async def record_leaving(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        membership_id: RecordId,
    ) -> Response[Any]:
        """Record that the member left the household on the date given.

        Args:
            request: The form post.
            family_page: What the page reads, and the member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            membership_id: The member's membership.
        """
        values = await form_values(request)
        try:
            data = read(values, LeavingForm, LEAVING_LABELS)
            await family_page.members.end_membership(
                principal,
                actor,
                family_id,
                membership_id,
                version=data.version,
                left_on=data.left_on,
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "household")
            member = _member(header, membership_id=membership_id)
            if isinstance(error, Invalid) and any(
                p.get("field") == "left_on" and "joined_on" in str(p.get("message"))
                for p in error.errors
            ):
                error = Invalid(
                    error.detail,
                    errors=[{"field": "left_on", "message": "must be after the date they joined"}],
                )
            return refused(
                error,
                values,
                LEAVING_LABELS,
                "family/leaving_form.html",
                **header.context(),
                member=member,
            )
        return accepted(f"/families/{family_id}/household", "member_left")

    @get("/families/{family_id:int}/people/{person_id:int}/edit", opt={"access": FAMILY_WRITE})
    async def correction_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        person_id: RecordId,
    ) -> Template:
        """The form to correct a person's details, holding the version it was opened at.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            person_id: The person.
        """
        header = await self._writable(family_page, principal, actor, family_id)
        member = _member(header, person_id=person_id)
        form = Form(values=correction_values(member))
        return page(
            "family/correction_form.html",
            **header.context(),
            member=member,
            form=form,
            changed=[],
        )

    @post(
        "/families/{family_id:int}/people/{person_id:int}",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(CORRECTION_LABELS)},
    )
    async def correct_person(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        person_id: RecordId,
    ) -> Response[Any]:
        """Correct a person's details: only the fields changed in the form are sent, with
        the version the form was opened at (as `PATCH …/people/{id}` takes them).

        Args:
            request: The form post.
            family_page: What the page reads, and the member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            person_id: The person.
        """
        values = await form_values(request)
        try:
            sent = {k: v for k, v in values.items() if not k.startswith("was-")}
            data = read(sent, CorrectionForm, CORRECTION_LABELS)
            changes = correction_changes(values, data)
            if not changes:
                return accepted(f"/families/{family_id}/household", "person_unchanged")
            await family_page.members.update_person(
                principal, actor, family_id, person_id, data.version, changes
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "household")
            member = _member(header, person_id=person_id)
            changed: list[str] = []
            if isinstance(error, Conflict) and "version" in error.detail:
                changed, values = stale(values, member)
            return refused(
                error,
                values,
                CORRECTION_LABELS,
                "family/correction_form.html",
                **header.context(),
                member=member,
                changed=changed,
            )
        return accepted(f"/families/{family_id}/household", "person_corrected")


async def programme_of(header: FamilyHeader) -> int:
    """The id of the family's programme (the header holds its code)."""
    row = (
        await Programme.select(Programme.id)
        .where(Programme.code == header.family.programme)
        .first()
    )
    assert row is not None
    return int(row["id"])


def member_context(header: FamilyHeader, screening: Screening | None = None) -> dict[str, Any]:
    return {
        **header.context(),
        "roles": ROLE_CHOICES,
        "screening": screening,
        "known_elsewhere": KNOWN_ELSEWHERE,
    }


def screened(header: FamilyHeader, values: dict[str, str], screening: Screening) -> Template:
    """The add-member form again, asking whether the person is one of those found."""
    message = (
        "Select whether this is one of the people found, or someone else"
        if screening.known
        else "Confirm that this is someone else, or ask a team manager"
    )
    return page(
        "family/member_form.html",
        status=409,
        **member_context(header, screening),
        form=Form(values=values, errors={"same": message}),
    )


SAVED.update(
    {
        "member_added": "The member was added to the household.",
        "member_left": "The member's leaving was recorded.",
        "person_corrected": "The person's details were corrected.",
        "person_unchanged": "Nothing was changed in the person's details.",
    }
)
