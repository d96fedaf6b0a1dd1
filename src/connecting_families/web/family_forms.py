"""The form of a family's record still shown on its section's page: one evidence item.
Refused, the section's page comes back with what was typed and a message beside each field;
accepted, it goes back to its section with a banner.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Redirect, Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, NotFound
from connecting_families.evidence.recording import SINGLE_KINDS, EvidenceRecorder
from connecting_families.http_params import RecordId
from connecting_families.web.family_pages import (
    FamilyPageServices,
    evidence_fields,
    provide_family_page,
)
from connecting_families.web.forms import Form, form_values
from connecting_families.web.templating import page


class FamilyForms(Controller):
    """What a key worker records from the family page."""

    include_in_schema = False
    request_class = HTMXRequest
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/evidence", opt={"access": FAMILY_READ})
    async def evidence_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        kind: FromQuery[str | None] = None,
    ) -> Template:
        """The family's outcome timeline, and the form to record one evidence item.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            kind: The kind of evidence to show the fields of (pages without JavaScript).
        """
        context = await family_page.context(principal, actor, family_id)
        forms = {"evidence": Form(values={"evidence_kind": kind})} if kind in SINGLE_KINDS else {}
        return page("family/evidence.html", **context, forms=forms)

    @post("/families/{family_id:int}/evidence", opt={"access": FAMILY_WRITE})
    async def record_evidence(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        recorder: NamedDependency[EvidenceRecorder],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Record one evidence item (a school period, an offence, a job, …) for the family.

        Args:
            request: The form post: the kind, then the kind's fields.
            family_page: What the page reads.
            recorder: The evidence recorder, which checks the item as an import row.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        # Not "kind": that is a column of some kinds (an ASB record's incident or intervention).
        kind = values.get("evidence_kind", "")
        try:
            if kind not in SINGLE_KINDS:
                raise_choose_kind()
            # Every field of the kind goes, blank or not, so a blank one is named as missing.
            fields = {field.name: values.get(field.name, "") for field in evidence_fields(kind)}
            if values.get("person_ref"):
                fields["person_ref"] = values["person_ref"]
            await recorder.record_one(principal, actor, family_id, kind, fields)
        except DomainError as error:
            return await _refused(
                request, family_page, principal, actor, family_id, "evidence", values, error
            )
        return _accepted(request, family_id, "evidence")


# Which template shows each form, by the first part of its key.
FORM_TEMPLATES = {
    "evidence": "family/evidence_form.html",
}


def raise_choose_kind() -> None:
    raise Invalid(
        "Choose the kind of evidence.",
        errors=[{"field": "evidence_kind", "message": "Choose the kind of evidence"}],
    )


# The section each form belongs to, by the first part of its key (until each has its own page).
FORM_SECTIONS = {
    "evidence": "evidence",
}


def _accepted(request: HTMXRequest, family_id: int, what: str) -> Response[Any]:
    target = f"/families/{family_id}/{FORM_SECTIONS[what]}?saved={what}"
    if request.htmx:
        return ClientRedirect(redirect_to=target)
    return Redirect(target, status_code=303)


def _subject_of(context: dict[str, Any], what: str, which: str) -> dict[str, Any] | None:
    """The need a refused form belongs to, for showing it alone; None when the
    family has no such record."""
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
