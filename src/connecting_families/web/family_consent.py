"""A family's consent to share its information: the section, recording consent, withdrawing it.

Consent is given by a current member of the household (an adult, or the young person); a
withdrawal is recorded on the consent, which stays in the history. Every page of the family
says at its top when there is no current consent (`FamilyHeader.consent`, `family/layout.html`).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.consent.schemas import ConsentCreate
from connecting_families.consent.schemas import ConsentWithdrawal as WithdrawalForm
from connecting_families.consent.service import (
    AGENCIES,
    METHODS,
    ConsentDraft,
    ConsentRecord,
    ConsentService,
    ConsentWithdrawal,
    consents_of,
)
from connecting_families.errors import DomainError, Invalid, NotFound, field_error
from connecting_families.http_params import RecordId
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
    chosen,
    form_values,
    read,
    refused,
)
from connecting_families.web.templating import page

CONSENT_LABELS = {
    "person_id": "Who gave consent",
    "given_on": "Date consent was given",
    "method": "How consent was given",
    "agencies": "Who information can be shared with",
}
WITHDRAWAL_LABELS = {
    "withdrawn_on": "Date consent was withdrawn",
    "reason": "Why consent was withdrawn",
}
# Fields chosen from a list: left blank, GOV.UK asks to "Select" them, not to "Enter" them.
CHOICES = ("person_id", "method", "agencies")
NO_AGENCY = "Select at least one kind of agency the consent covers"


class ConsentPages(Controller):
    """The consent section of a family's record."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/consent", opt={"access": FAMILY_READ})
    async def consent_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family's current consent, and every consent given or withdrawn.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "consent")
        consents = await consents_of(family_id)
        return page("family/consent.html", **_context(header), consents=consents)

    @get("/families/{family_id:int}/consent/new", opt={"access": FAMILY_WRITE})
    async def consent_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The form to record consent: who gave it, when, how, and what it covers.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "consent")
        return page("family/consent_form.html", **_context(header), form=Form())

    @post(
        "/families/{family_id:int}/consent/new",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(CONSENT_LABELS)},
    )
    async def record_consent(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        consents: NamedDependency[ConsentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Record consent given by a member of the household.

        Args:
            request: The form post.
            family_page: What the page reads.
            consents: The consent service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = _read_consent(values)
            draft = ConsentDraft(
                person_id=data.person_id,
                given_on=data.given_on,
                method=data.method,
                agencies=tuple(data.agencies),
            )
            await consents.record_consent(principal, actor, family_id, draft)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "consent")
            return refused(
                error, values, CONSENT_LABELS, "family/consent_form.html", **_context(header)
            )
        return accepted(f"/families/{family_id}/consent", "consent")

    @get(
        "/families/{family_id:int}/consents/{consent_id:int}/withdraw",
        opt={"access": FAMILY_WRITE},
    )
    async def withdraw_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        consent_id: RecordId,
    ) -> Template:
        """Confirm that consent was withdrawn, and when.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            consent_id: The consent withdrawn.
        """
        header = await family_page.open(principal, actor, family_id, "consent")
        consent = await _consent_of(family_id, consent_id)
        form = Form(values={"version": str(consent.version)})
        return page("family/consent_withdraw.html", **_context(header, consent), form=form)

    @post(
        "/families/{family_id:int}/consents/{consent_id:int}/withdraw",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(WITHDRAWAL_LABELS)},
    )
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        consents: NamedDependency[ConsentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        consent_id: RecordId,
    ) -> Response[Any]:
        """Record that consent was withdrawn on a date.

        Args:
            request: The form post.
            family_page: What the page reads.
            consents: The consent service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            consent_id: The consent withdrawn.
        """
        values = await form_values(request)
        try:
            data = read(values, WithdrawalForm, WITHDRAWAL_LABELS)
            withdrawal = ConsentWithdrawal(
                version=data.version, withdrawn_on=data.withdrawn_on, reason=data.reason
            )
            await consents.withdraw(principal, actor, family_id, consent_id, withdrawal)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "consent")
            consent = await _consent_of(family_id, consent_id)
            context = _context(header, consent)
            return refused(
                error, values, WITHDRAWAL_LABELS, "family/consent_withdraw.html", **context
            )
        return accepted(f"/families/{family_id}/consent", "consent_withdrawn")


def _context(header: FamilyHeader, consent: ConsentRecord | None = None) -> dict[str, Any]:
    """A consent page's context: the family, the choices its forms offer, and the members by
    person (a consent names its giver by person)."""
    people = {member.person_id: member for member in header.members}
    return {
        **header.context(),
        "people": people,
        "givers": [
            (str(m.person_id), f"{m.given_name} {m.family_name} ({m.role})")
            for m in header.current_members
        ],
        "methods": METHODS,
        "agencies": AGENCIES,
        "consent_record": consent,
    }


async def _consent_of(family_id: int, consent_id: int) -> ConsentRecord:
    """The family's consent `consent_id`; not found for another family's, as for none."""
    for consent in await consents_of(family_id):
        if consent.id == consent_id:
            return consent
    raise NotFound(f"There is no consent {consent_id} for this family.")


def _read_consent(values: dict[str, str]) -> ConsentCreate:
    """The consent form as the API's type, every field that is wrong named at once: a choice
    left blank asks to be selected, and no agency ticked is said beside the others."""
    agencies = chosen(values, "agencies")
    try:
        return read(values, ConsentCreate, CONSENT_LABELS, agencies=agencies)
    except Invalid as error:
        problems = []
        for problem in error.errors:
            message = problem["message"]
            if problem["field"] in CHOICES and message.startswith("Enter "):
                message = "Select " + message.removeprefix("Enter ")
            problems.append(field_error(problem["field"], message))
        if not agencies:
            problems.append(field_error("agencies", NO_AGENCY))
        raise Invalid(error.detail, errors=problems) from None


SAVED["consent"] = "The consent was recorded."
SAVED["consent_withdrawn"] = "The withdrawal of consent was recorded."
