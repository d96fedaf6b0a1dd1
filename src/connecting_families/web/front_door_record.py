"""Record a contact: one page, every question of a contact as the front door takes it.

One address, `/front-door/contacts/new`: a GET shows the form; each POST is answered by the
form again unless its button is "Record the contact" and the service accepts it. Without
JavaScript, "Find the family" posts the form back with the families found (only those in the
front door's scope), and "Add another person" with one more person. A family chosen that
closed within 12 months makes the form ask why it has come back. A person who may already be
known (the service's 409) comes back with the people found, to use their family or confirm
that this is someone else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CONTACT_RECEIVE, Principal, family_scope
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import ENGLAND, today
from connecting_families.errors import DomainError, Invalid
from connecting_families.families.members import (
    KNOWN_ELSEWHERE,
    KnownPerson,
    PossibleMatch,
    Screening,
    current_members_of,
    known_people,
)
from connecting_families.families.scope import family_row
from connecting_families.families.search import FamilySearch, search_families
from connecting_families.families.tables import Family
from connecting_families.frontdoor.drafts import ContactDraft, NewContactPerson, is_repeat
from connecting_families.frontdoor.records import (
    CHANNELS,
    CONSENT_TO_SHARE,
    KINDS,
    REPEAT_REASONS,
    SOURCES,
)
from connecting_families.frontdoor.service import FrontDoorService
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.tables import Programme
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    chosen,
    form_values,
    read_all,
    refused,
)
from connecting_families.web.front_door_form import (
    CHOICES,
    CONTACT_LABELS,
    MOST_PEOPLE,
    NEW_FAMILY,
    PERSON_FIELDS,
    ROLE_CHOICES,
    TEMPLATE,
    TYPED_CONTACT_LABELS,
    ContactForm,
    PersonForm,
    people_count,
    person_label,
    read_people,
    received_at,
)
from connecting_families.web.templating import headline_words, page


class RecordContactPages(Controller):
    """The "Record a contact" page."""

    include_in_schema = False

    @get("/front-door/contacts/new", opt={"access": CONTACT_RECEIVE})
    async def contact_form(
        self, principal: NamedDependency[Principal], plugins: NamedDependency[PluginHost]
    ) -> Template:
        """The form, received now, with one person to name.

        Args:
            principal: The signed-in caller, whose programmes are offered.
            plugins: The installed rule sets (the concerns are their headlines).
        """
        now = dt.datetime.now(ENGLAND)
        values = {
            "received_on-day": str(now.day),
            "received_on-month": str(now.month),
            "received_on-year": str(now.year),
            "received_time": now.strftime("%H:%M"),
            "kind": "contact",
        }
        return await self._page(principal, plugins, values, Form(values=values))

    @post(
        "/front-door/contacts/new",
        opt={"access": CONTACT_RECEIVE, FORM_LABELS: TYPED_CONTACT_LABELS},
        status_code=200,
    )
    async def record_contact(
        self,
        request: Request[Any, Any, Any],
        front_door: NamedDependency[FrontDoorService],
        plugins: NamedDependency[PluginHost],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        caller: NamedDependency[Caller],
    ) -> Response[Any]:
        """One press of the form's buttons: find the family, add a person, or record it.

        Args:
            request: The form post.
            front_door: The front-door service.
            plugins: The installed rule sets.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            caller: The signed-in caller, as the service takes it.
        """
        values = await form_values(request)
        action = values.pop("action", "")
        labels = self._labels(values)
        if action == "add":
            values["people"] = str(min(people_count(values) + 1, MOST_PEOPLE))
            return await self._page(principal, plugins, values, Form(values=values))
        if action == "find":
            found = await self._find(principal, actor, values.get("find", ""))
            return await self._page(principal, plugins, values, Form(values=values), found=found)
        try:
            draft = await self._draft(principal, values)
            recorded = await front_door.record_contact(caller, draft)
        except DomainError as error:
            if error.status_code not in (403, 409, 422):
                raise
            for problem in error.errors:
                if problem.get("field") == "received_at":  # the page asks for it in two parts
                    is_time = problem.get("message", "").startswith("Time")
                    problem["field"] = "received_time" if is_time else "received_on"
            screening = await self._screening(principal, error)
            form = Form.refusing(values, error, labels)
            if screening is not None:
                index, _ = screening
                form.errors[f"person-{index}-same"] = (
                    f"Select whether person {index + 1} is one of the people found, "
                    "or someone else"
                )
                form.errors.pop(f"person-{index}", None)
            context = await self._context(principal, plugins, values, screening=screening)
            response = refused(error, values, labels, TEMPLATE, **context)
            response.context["form"] = form
            return response
        return accepted(f"/front-door/contacts/{recorded.id}", "contact_recorded")

    @staticmethod
    def _labels(values: dict[str, str]) -> dict[str, str]:
        labels = dict(CONTACT_LABELS)
        for index in range(people_count(values)):
            for field in PERSON_FIELDS:
                labels[f"person-{index}-{field}"] = person_label(index, field) or field
        return labels

    async def _find(self, principal: Principal, actor: Actor, text: str) -> list[Any] | None:
        """The families in scope whose member's name or whose reference is `text`."""
        text = text.strip()[:64]
        if not text:
            return None
        result = await search_families(principal, actor, FamilySearch(name=text))
        if not result.families:
            result = await search_families(principal, actor, FamilySearch(ref=text))
        return list(result.families)

    async def _draft(self, principal: Principal, values: dict[str, str]) -> ContactDraft:
        """The form as the service's draft, every problem the page can see named at once."""
        programme = values.get("programme") or await self._only_programme(principal) or ""
        values["programme"] = programme
        problems: list[dict[str, str]] = []
        family_choice = values.get("family_id", "")
        family_id = (
            int(family_choice) if family_choice.isdigit() and len(family_choice) < 10 else None
        )
        people: list[PersonForm] = []
        if family_id is None:
            people, problems = read_people(values)
        own = {name: value for name, value in values.items() if name in CONTACT_LABELS}
        for name in ("find", "family_id", "concerns"):
            own.pop(name, None)
        if own.get("kind") != "step_down":
            own.pop("social_care_ref", None)
        try:
            data = read_all(own, ContactForm, CONTACT_LABELS, problems)
        except Invalid as error:
            for problem in error.errors:
                message = str(problem.get("message", ""))
                if problem.get("field") in CHOICES and message.startswith("Enter "):
                    problem["message"] = "Select " + message.removeprefix("Enter ")
            raise
        instant, time_problems = received_at(data)
        if time_problems or instant is None:
            raise Invalid("The form was refused.", errors=time_problems)
        new_people = []
        for person in people:
            person_id, create_anyway = None, False
            if person.same == NEW_FAMILY:
                create_anyway = True
            elif person.same and person.same.startswith("person-"):
                person_id = int(person.same.removeprefix("person-"))
            elif person.same and person.same.startswith("family-"):
                family_id = int(person.same.removeprefix("family-"))
            new_people.append(
                NewContactPerson(
                    given_name=person.given_name,
                    family_name=person.family_name,
                    date_of_birth=person.date_of_birth,
                    role=person.role,
                    person_id=person_id,
                    create_anyway=create_anyway,
                )
            )
        if family_id is not None:
            new_people = []  # the family chosen is whom it is about
        return ContactDraft(
            programme=data.programme,
            received_at=instant,
            channel=data.channel,
            source=data.source,
            summary=data.summary,
            consent_to_share=data.consent_to_share,
            kind=data.kind,
            source_name=data.source_name,
            family_id=family_id,
            people=tuple(new_people),
            concerns=tuple(chosen(values, "concerns")),
            social_care_ref=data.social_care_ref,
            repeat_reason=data.repeat_reason,
            repeat_detail=data.repeat_detail,
        )

    async def _screening(
        self, principal: Principal, error: DomainError
    ) -> tuple[int, Screening] | None:
        """The service's "may already be known": which person, and the people found."""
        if error.status_code != 409 or not error.errors:
            return None
        field = str(error.errors[0].get("field", ""))
        if not re.fullmatch(r"person-\d{1,2}", field):
            return None
        matches = [
            PossibleMatch(m["person_id"], m["person_ref"], tuple(m["matched_on"]))
            for m in error.extra.get("matches", [])
        ]
        known = await known_people(principal, matches)
        elsewhere = str(error.errors[0].get("message")) == KNOWN_ELSEWHERE
        return int(field.removeprefix("person-")), Screening(known, elsewhere)

    async def _only_programme(self, principal: Principal) -> str | None:
        rows = await self._programmes(principal)
        return rows[0]["code"] if len(rows) == 1 else None

    @staticmethod
    async def _programmes(principal: Principal) -> list[dict[str, Any]]:
        return list(
            await Programme.select(
                Programme.id, Programme.code, Programme.name, Programme.ruleset_id
            )
            .where(Programme.id.is_in(sorted(principal.programme_ids) or [0]))
            .order_by(Programme.code)
        )

    async def _chosen_family(
        self, principal: Principal, values: dict[str, str]
    ) -> tuple[dict[str, Any] | None, list[Any]]:
        """The family chosen (its row, if in scope) and its current members."""
        choice = values.get("family_id", "")
        if not (choice.isdigit() and len(choice) < 10):
            return None, []
        row = await family_row(int(choice), family_scope(principal, "read"))
        if row is None:
            return None, []
        members = await current_members_of([row["id"]])
        return row, list(members[row["id"]])

    async def _context(
        self,
        principal: Principal,
        plugins: PluginHost,
        values: dict[str, str],
        *,
        found: list[Any] | None = None,
        screening: tuple[int, Screening] | None = None,
    ) -> dict[str, Any]:
        programmes = await self._programmes(principal)
        code = values.get("programme") or (programmes[0]["code"] if programmes else "")
        ruleset = next((p["ruleset_id"] for p in programmes if p["code"] == code), None)
        headlines = plugins.headlines(ruleset) if ruleset else ()
        family, members = await self._chosen_family(principal, values)
        received_on = today()
        with contextlib.suppress(ValueError):
            received_on = dt.date.fromisoformat(values.get("received_on", ""))
        repeat = family is not None and is_repeat(family, received_on)
        return {
            "programmes": [(p["code"], f"{p['name']} ({p['code']})") for p in programmes],
            "kinds": list(KINDS.items()),
            "channels": list(CHANNELS.items()),
            "sources": list(SOURCES.items()),
            "consents": list(CONSENT_TO_SHARE.items()),
            "repeat_reasons": list(REPEAT_REASONS.items()),
            "concerns": [(h, headline_words(h)) for h in headlines],
            "roles": ROLE_CHOICES,
            "people": people_count(values),
            "found": found,
            "family": family,
            "family_members": members,
            "repeat": repeat,
            "screening": screening,
            "screening_options": await screening_options(principal, screening[1])
            if screening
            else [],
            "known_elsewhere": KNOWN_ELSEWHERE,
        }

    async def _page(
        self,
        principal: Principal,
        plugins: PluginHost,
        values: dict[str, str],
        form: Form,
        **extra: Any,
    ) -> Template:
        context = await self._context(principal, plugins, values, **extra)
        return page(TEMPLATE, form=form, **context)


async def screening_options(principal: Principal, screening: Screening) -> list[tuple[str, str]]:
    """The answers to "is this one of the people found": the contact is about their family,
    about them in a new household, or about someone else."""
    refs = sorted({ref for known in screening.known for ref in known.family_refs})
    families = await family_ids_by_ref(principal, refs)
    options = []
    for known in screening.known:
        for ref in known.family_refs:
            if ref in families:
                words = f"Use family {ref}: {_known_words(known)} is in it"
                options.append((f"family-{families[ref]}", words))
        options.append((f"person-{known.person_id}", f"{_known_words(known)}: the same person"))
    options.append((NEW_FAMILY, "Someone else: record a new person"))
    return options


def _known_words(known: KnownPerson) -> str:
    return f"{known.name}, born {known.date_of_birth.strftime('%-d %b %Y')}"


async def family_ids_by_ref(principal: Principal, refs: list[str]) -> dict[str, int]:
    rows = await Family.select(Family.id, Family.family_ref).where(
        Family.family_ref.is_in(refs or [""]), family_scope(principal, "read")
    )
    return {row["family_ref"]: row["id"] for row in rows}


SAVED["contact_recorded"] = "The contact was recorded: it is waiting for a decision."
