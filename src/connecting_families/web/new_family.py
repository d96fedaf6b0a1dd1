"""New family: the family's details, its household ("add another"), a duplicate check of each
person, "Check your answers", then "Create family" records it all in one transaction.

One address, `/families/new`: each step posts everything typed so far (`web/journey.py`) and
is answered by the next step's page, so that nothing personal is in an address and nothing is
written before "Create family". Every button works without JavaScript: "Add another member"
and "Remove" are submit buttons that show the household again with one more, or one fewer.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template
from msgspec import Meta

from connecting_families.access.policy import FAMILY_CREATE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.families.members import (
    KNOWN_ELSEWHERE,
    MemberService,
    PersonDraft,
    Screening,
)
from connecting_families.families.new_family import NewFamilyService, NewMember
from connecting_families.families.schemas import FamilyCreate, Name
from connecting_families.families.service import FamilyDraft, FamilyService
from connecting_families.http_params import Ref
from connecting_families.programmes.tables import Programme
from connecting_families.web.family_form_labels import NumberedLabels
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    refused,
)
from connecting_families.web.journey import Journey, member_labels
from connecting_families.web.templating import page


class MemberForm(msgspec.Struct, forbid_unknown_fields=True):
    """One member of the household as the journey posts them."""

    given_name: Name
    family_name: Name
    date_of_birth: dt.date
    role: Literal["adult", "child"]
    person_ref: Ref | None = None
    upn: Annotated[str, Meta(max_length=13)] | None = None
    ni_number: Annotated[str, Meta(max_length=9)] | None = None
    # The answer to the duplicate check: "new" (someone else) or "person-<id>" (that person).
    same: Annotated[str, Meta(max_length=20)] | None = None
    # Whom `same` answered for (`answered_for`): an answer given for other details no longer
    # holds once the name or date of birth is changed.
    checked: Annotated[str, Meta(max_length=300)] | None = None


def answered_for(member: MemberForm) -> str:
    """The details a duplicate check's answer was given for."""
    return "|".join(
        (
            member.given_name.strip().lower(),
            member.family_name.strip().lower(),
            member.date_of_birth.isoformat(),
            member.upn or "",
            member.ni_number or "",
        )
    )


def with_answers(
    journey: Journey, household: list[MemberForm]
) -> tuple[Journey, list[MemberForm]]:
    """The journey with each duplicate check's answer tied to the details it was given for,
    and answers given for details since changed taken back (so the person is checked again)."""
    members = list(journey.members)
    read_in = list(household)
    for index, member in enumerate(household):
        if not member.same:
            continue
        now = answered_for(member)
        fields = dict(members[index])
        if member.checked and member.checked != now:
            fields.pop("same", None)
            fields.pop("checked", None)
            read_in[index] = msgspec.structs.replace(member, same=None, checked=None)
        else:
            fields["checked"] = now
        members[index] = fields
    return Journey(journey.family, tuple(members)), read_in


FAMILY_LABELS = {
    "programme": "Programme",
    "family_ref": "Family reference",
    "identified_on": "Date the family was identified",
    "postcode": "Postcode",
    "ward": "Ward",
}
ROLE_CHOICES = [("adult", "Adult"), ("child", "Child")]
STEPS = {"family": "families/new_family.html", "household": "families/new_household.html"}


def labels_for(journey: Journey) -> dict[str, str]:
    labels = dict(FAMILY_LABELS)
    for index in range(max(len(journey.members), 1)):
        labels |= member_labels(index)
    return labels


def read_family(journey: Journey) -> FamilyCreate:
    fields = {k: v for k, v in journey.family.items() if k.split("-")[0] in FAMILY_LABELS}
    return read(fields, FamilyCreate, FAMILY_LABELS)


def read_members(journey: Journey) -> list[MemberForm]:
    """Every member typed, each field checked; blank members left at the end are dropped
    before (`drop_blank`). Every wrong field of every member is named at once."""
    read_in: list[MemberForm] = []
    errors: list[dict[str, Any]] = []
    for index in range(len(journey.members)):
        labels = member_labels(index)
        unprefixed = {name.removeprefix(f"member-{index}-"): text for name, text in labels.items()}
        try:
            read_in.append(read(journey.member_values(index), MemberForm, unprefixed))
        except Invalid as invalid:
            for problem in invalid.errors:
                message = str(problem["message"])
                if problem["field"] == "role":
                    message = "Select " + message.split(" ", 1)[1]
                errors.append(field_error(f"member-{index}-{problem['field']}", message))
    if not journey.members:
        errors.append(field_error("member-0", "Add at least one person to the household"))
    if errors:
        raise Invalid("The household was refused; see errors.", errors=errors)
    return read_in


def drop_blank(journey: Journey) -> Journey:
    """The journey without members left entirely blank (an "Add another" not filled in)."""
    kept = tuple(m for i, m in enumerate(journey.members) if not journey.blank(i))
    return Journey(journey.family, kept)


def person_of(member: MemberForm) -> PersonDraft:
    return PersonDraft(
        given_name=member.given_name,
        family_name=member.family_name,
        date_of_birth=member.date_of_birth,
        person_ref=member.person_ref,
        upn=member.upn.upper() if member.upn else None,
        ni_number=member.ni_number.upper().replace(" ", "") if member.ni_number else None,
    )


def new_member(member: MemberForm) -> NewMember:
    """The member as the service records them: the existing person chosen, or a new one."""
    if member.same and member.same.startswith("person-"):
        person_id = int(member.same.removeprefix("person-"))
        return NewMember(role=member.role, person_id=person_id)
    return NewMember(role=member.role, person=person_of(member), create_anyway=bool(member.same))


def draft_of(data: FamilyCreate) -> FamilyDraft:
    return FamilyDraft(
        programme=data.programme,
        family_ref=data.family_ref,
        identified_on=data.identified_on,
        postcode=data.postcode,
        ward=data.ward,
    )


def _member_label(number: str, field: str) -> str | None:
    return member_labels(int(number)).get(f"member-{number}-{field}")


# The journey's labels as its route declares them: each person's fields by their number.
TYPED_FAMILY_LABELS = NumberedLabels(
    FAMILY_LABELS, ((re.compile(r"member-(\d{1,3})-(\w+)"), _member_label),)
)


class NewFamilyPages(Controller):
    """The new-family journey."""

    include_in_schema = False

    @get("/families/new", opt={"access": FAMILY_CREATE})
    async def new_family_form(self, principal: NamedDependency[Principal]) -> Template:
        """The first step: the family's details.

        Args:
            principal: The signed-in caller, whose programmes are offered.
        """
        journey = Journey()
        return await self._step("family", journey, principal, Form())

    @post(
        "/families/new",
        opt={"access": FAMILY_CREATE, FORM_LABELS: TYPED_FAMILY_LABELS},
        status_code=200,
    )
    async def new_family_step(
        self,
        request: Request[Any, Any, Any],
        families: NamedDependency[FamilyService],
        members: NamedDependency[MemberService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
    ) -> Response[Any]:
        """One step of the journey: the button pressed (`action`) says which comes next.

        Args:
            request: The form post, holding everything typed so far.
            families: The family service.
            members: The member service (the duplicate check).
            principal: The signed-in caller.
            actor: The caller, for the audit log.
        """
        values = await form_values(request)
        journey = Journey.of(values)
        action = values.get("action", "")
        step = values.get("step", "family")
        labels = labels_for(journey)
        if action == "add":
            return await self._step("household", journey.with_member(), principal, Form())
        if action.startswith("remove-") and action[7:].isdigit():
            return await self._step("household", journey.without(int(action[7:])), principal)
        if action in ("change-family", "change-household"):
            return await self._step(action.removeprefix("change-"), journey, principal)
        try:
            data = read_family(journey)
            await families.checked_programme(principal, draft_of(data))
            if step == "family":
                if not journey.members:
                    journey = journey.with_member()
                return await self._step("household", journey, principal)
            journey = drop_blank(journey)
            labels = labels_for(journey)
            household = read_members(journey)
            journey, household = with_answers(journey, household)
            if step == "household":
                screenings = await self._screen(members, principal, actor, data, household)
                if any(not s.clear for s in screenings if s is not None):
                    return await self._step(
                        "household",
                        journey,
                        principal,
                        screening_form(journey, screenings),
                        screenings=screenings,
                        status=409,
                    )
                return await self._step("check", journey, principal, household=household)
            if action != "create":
                return await self._step("check", journey, principal, household=household)
            service = NewFamilyService(families.engine, families, members)
            created = await service.create_family_with_household(
                principal, actor, draft_of(data), [new_member(m) for m in household]
            )
        except DomainError as error:
            back = "household" if step != "family" and not _about_family(error) else "family"
            return refused(
                error,
                journey.values(),
                labels,
                STEPS[back],
                **await self._context(back, journey, principal),
            )
        return accepted(f"/families/{created.id}", "family_created")

    async def _screen(
        self,
        members: MemberService,
        principal: Principal,
        actor: Actor,
        data: FamilyCreate,
        household: list[MemberForm],
    ) -> list[Screening | None]:
        """Each new person checked against the programme, unless the caller has already
        answered for them (someone else, or a person found)."""
        programme = (
            await Programme.select(Programme.id).where(Programme.code == data.programme).first()
        )
        assert programme is not None  # checked_programme has found it
        found: list[Screening | None] = []
        for member in household:
            if member.same:
                found.append(None)
                continue
            found.append(
                await members.screen_person(
                    principal, actor, programme["id"], person_of(member), from_family=None
                )
            )
        return found

    async def _context(
        self, step: str, journey: Journey, principal: Principal, **extra: Any
    ) -> dict[str, Any]:
        programmes = (
            await Programme.select(Programme.code, Programme.name)
            .where(Programme.id.is_in(sorted(principal.programme_ids) or [0]))
            .order_by(Programme.code)
        )
        return {
            "step": step,
            "journey": journey,
            "programmes": [(row["code"], f"{row['name']} ({row['code']})") for row in programmes],
            "roles": ROLE_CHOICES,
            "known_elsewhere": KNOWN_ELSEWHERE,
            "screenings": [],
            **extra,
        }

    async def _step(
        self,
        step: str,
        journey: Journey,
        principal: Principal,
        form: Form | None = None,
        *,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        """The page of `step` with what has been typed so far."""
        context = await self._context(step, journey, principal, **extra)
        if (
            step == "family"
            and len(context["programmes"]) == 1
            and not journey.family.get("programme")
        ):
            journey = Journey(
                {**journey.family, "programme": context["programmes"][0][0]}, journey.members
            )
            context["journey"] = journey
        template = {"check": "families/new_check.html"}.get(step) or STEPS[step]
        shown = form or Form(values=journey.values())
        if form is not None and not form.values:
            shown = Form(values=journey.values(), errors=form.errors, summary=form.summary)
        return page(template, status=status, form=shown, **context)


def _about_family(error: DomainError) -> bool:
    """Whether a refusal names a field of the family's details, not of its household."""
    return any(str(p.get("field", "")).split("-")[0] in FAMILY_LABELS for p in error.errors)


def screening_form(journey: Journey, screenings: list[Screening | None]) -> Form:
    """The household again, asking of each person who may be known whether they are."""
    errors = {}
    for index, screening in enumerate(screenings):
        if screening is not None and not screening.clear:
            person = f"person {index + 1}"
            errors[f"member-{index}-same"] = (
                f"Select whether {person} is one of the people found, or someone else"
                if screening.known
                else f"Confirm that {person} is someone else, or ask a team manager"
            )
    return Form(values=journey.values(), errors=errors)


SAVED["family_created"] = "The family was created."
