"""The forms of a family's record still shown on their section's page: a need's outcome
(the evidence form is a page of its own, in `family_evidence`). Refused, the section's page
comes back with what was typed and a message beside each field; accepted, it goes back to
its section with a banner. (Each moves to a page of its own, in its section's module, as the
notes' form has.)
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Redirect

from connecting_families.access.policy import FAMILY_WRITE, Principal
from connecting_families.assessments.schemas import NeedOutcome
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, NotFound
from connecting_families.http_params import RecordId, RefParam
from connecting_families.web.family_pages import FamilyPageServices, provide_family_page
from connecting_families.web.forms import Form, form_values, read
from connecting_families.web.templating import page


class FamilyForms(Controller):
    """What a key worker records from the family page."""

    include_in_schema = False
    request_class = HTMXRequest
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @post("/families/{family_id:int}/needs/{need_ref:str}/outcome", opt={"access": FAMILY_WRITE})
    async def record_outcome(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        need_ref: RefParam,
    ) -> Response[Any]:
        """Record whether a need's outcome was achieved, and when.

        Args:
            request: The form post.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            need_ref: The need.
        """
        values = await form_values(request)
        try:
            data = read(values, NeedOutcome)
            await family_page.assessments.record_outcome(
                principal,
                actor,
                family_id,
                need_ref,
                version=data.version,
                outcome=data.outcome,
                outcome_on=data.outcome_on,
            )
        except DomainError as error:
            return await _refused(
                request,
                family_page,
                principal,
                actor,
                family_id,
                f"outcome-{need_ref}",
                values,
                error,
            )
        return _accepted(request, family_id, "outcome")


# Which template shows each form, by the first part of its key.
FORM_TEMPLATES = {
    "outcome": "family/outcome_form.html",
}


# The section each form belongs to, by the first part of its key (until each has its own page).
FORM_SECTIONS = {
    "outcome": "assessments",
}


def _accepted(request: HTMXRequest, family_id: int, what: str) -> Response[Any]:
    target = f"/families/{family_id}/{FORM_SECTIONS[what]}?saved={what}"
    if request.htmx:
        return ClientRedirect(redirect_to=target)
    return Redirect(target, status_code=303)


def _subject_of(context: dict[str, Any], what: str, which: str) -> dict[str, Any] | None:
    """The need a refused form belongs to, for showing it alone; None when the
    family has no such record."""
    if what == "outcome":
        need = next((n for n in context["needs"] if n.need_ref == which), None)
        return {"need": need} if need else None
    return {}


async def _refused(
    request: HTMXRequest,
    family_page: FamilyPageServices,
    principal: Principal,
    actor: Actor,
    family_id: int,
    key: str,
    values: dict[str, str],
    error: DomainError,
) -> Response[Any]:
    """The page (or, for HTMX, only the form) again, with what was typed and what is wrong."""
    if error.status_code not in (409, 422):
        raise error  # not about the form: the error page says it
    form = Form.refusing(values, error)
    context = await family_page.context(principal, actor, family_id)
    what, _, which = key.partition("-")
    subject = _subject_of(context, what, which)
    if subject is None:
        raise NotFound(f"This family has no {what} form {which!r}.")
    if request.htmx:
        return page(
            FORM_TEMPLATES[what], status=error.status_code, **context, **subject, form=form
        )
    template = f"family/{FORM_SECTIONS[what]}.html"
    return page(template, status=error.status_code, **context, forms={key: form})
