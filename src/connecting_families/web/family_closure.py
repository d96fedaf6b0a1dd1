"""Closing a family's case and reopening it: each a page of its own, as `web/forms.py` says.

A key worker asks to close with a reason and a date; the family is closed at once, and waits on
the team page for a team manager to sign the closure off (`web/team_pages.py`). Whoever may
write to the family may reopen it (`FamilyService.change_status`); a reopening within 12 months
of the closure is recorded as a re-referral. A closed family shows as closed on every page
(`family/layout.html`), and its add-forms are hidden (`FamilyHeader.may_add`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect

from connecting_families.access.policy import FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, field_error
from connecting_families.families.closures import standing_closure_of
from connecting_families.families.schemas import StatusChangeCreate
from connecting_families.families.service import (
    CLOSURE_REASONS,
    RE_REFERRAL_WINDOW,
    StatusChange,
)
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
    form_values,
    read,
    read_all,
    refused,
)
from connecting_families.web.templating import page

CLOSE_LABELS = {
    "reason": "Reason for closing",
    "on": "Date of closing",
    "version": "Version of the family",
}
REOPEN_LABELS = {"on": "Date of reopening", "version": "Version of the family"}
# The closure reasons in words, in the service's order.
REASON_WORDS = {
    "outcomes_met": "The family's outcomes were met",
    "moved_away": "The family moved away",
    "stepped_up": "Stepped up to children's social care",
    "disengaged": "The family stopped taking part",
    "declined": "The family declined support",
    "transferred": "Transferred to another service",
    "other": "Another reason",
}
assert tuple(REASON_WORDS) == CLOSURE_REASONS


def _no_reason(values: dict[str, str]) -> list[dict[str, str]]:
    """A closure with no reason ticked, refused with whatever else is wrong with the form."""
    if values.get("reason"):
        return []
    return [field_error("reason", "Select why the family's case is closing")]


def close_context(header: FamilyHeader) -> dict[str, Any]:
    """The closure form's page: the reasons to choose from, in words."""
    return {**header.context(), "reasons": list(REASON_WORDS.items())}


async def reopen_context(header: FamilyHeader) -> dict[str, Any]:
    """The reopening page: the closure it undoes, and until when a reopening is a
    re-referral."""
    closed_on = header.family.closed_on
    window_ends = closed_on + RE_REFERRAL_WINDOW if closed_on else None
    return {
        **header.context(),
        "closure": await standing_closure_of(header.family.id),
        "reason_words": REASON_WORDS,
        "re_referral_until": window_ends - dt.timedelta(days=1) if window_ends else None,
    }


class ClosurePages(Controller):
    """Asking to close a family's case, and reopening it."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/close", opt={"access": FAMILY_WRITE})
    async def close_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """The form to ask to close the family's case: why, and on what date.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "plan")
        if header.family.status == "closed":
            return Redirect(f"/families/{family_id}/plan", status_code=303)
        values = {"version": str(header.family.version), "on": today().isoformat()}
        return page("family/close_form.html", **close_context(header), form=Form(values=values))

    @post(
        "/families/{family_id:int}/close",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(CLOSE_LABELS)},
    )
    async def close_family(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Close the family's case; a team manager signs the closure off afterwards.

        Args:
            request: The form post.
            family_page: What the page reads, and the family service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = read_all(
                values, StatusChangeCreate, CLOSE_LABELS, _no_reason(values), status="closed"
            )
            change = StatusChange(
                version=data.version, status="closed", on=data.on, reason=data.reason
            )
            await family_page.families.change_status(principal, actor, family_id, change)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "plan")
            context = close_context(header)
            return refused(error, values, CLOSE_LABELS, "family/close_form.html", **context)
        return accepted(f"/families/{family_id}/plan", "closed")

    @get("/families/{family_id:int}/reopen", opt={"access": FAMILY_WRITE})
    async def reopen_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """The page to reopen a closed family's case, on a date.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "plan")
        if header.family.status != "closed":
            return Redirect(f"/families/{family_id}/plan", status_code=303)
        values = {"version": str(header.family.version), "on": today().isoformat()}
        context = await reopen_context(header)
        return page("family/reopen_form.html", **context, form=Form(values=values))

    @post(
        "/families/{family_id:int}/reopen",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(REOPEN_LABELS)},
    )
    async def reopen_family(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Reopen the family's case; within 12 months of its closure, as a re-referral.

        Args:
            request: The form post.
            family_page: What the page reads, and the family service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = read(values, StatusChangeCreate, REOPEN_LABELS, status="reopened")
            change = StatusChange(version=data.version, status="reopened", on=data.on)
            await family_page.families.change_status(principal, actor, family_id, change)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "plan")
            context = await reopen_context(header)
            return refused(error, values, REOPEN_LABELS, "family/reopen_form.html", **context)
        return accepted(f"/families/{family_id}/plan", "reopened")


SAVED.update(
    {
        "closed": "The family's case was closed. A team manager will sign off the closure.",
        "reopened": "The family's case was reopened.",
    }
)
