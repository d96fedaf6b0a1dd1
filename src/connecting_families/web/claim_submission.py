"""Submitting a claim, after a page that shows what is submitted (GOV.UK's "check your
answers" before an irreversible step): the lines, their number, the total, and that a
submitted claim cannot change."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CLAIM_MANAGE
from connecting_families.claims.queries import open_queries_words
from connecting_families.claims.service import ClaimService
from connecting_families.errors import DomainError
from connecting_families.http_params import RecordId
from connecting_families.web.claim_pages import back_to_claim, claim_context
from connecting_families.web.forms import FORM_LABELS, SAVED, refused
from connecting_families.web.templating import page

SAVED["claim-submitted"] = "The claim was submitted. It cannot change now."


def why_not_submittable(claim: dict[str, Any]) -> str | None:
    """Why the claim cannot be submitted now, in words; None when it can (the service has the
    last word when the button is pressed)."""
    if claim["status"] == "draft":
        return "Internal audit has not drawn the claim's sample yet."
    if claim["status"] != "sampled":
        return "The claim is no longer a draft waiting to be submitted."
    waiting = [line for line in claim["lines"] if line["sampled"] and not line["signed_off_by"]]
    if waiting:
        lines = "line is" if len(waiting) == 1 else "lines are"
        return f"{len(waiting)} sampled {lines} not signed off by an auditor yet."
    return None


async def submission_context(
    claims: ClaimService, caller: Caller, claim_id: int
) -> dict[str, Any]:
    assert caller.principal is not None
    context = await claim_context(claims, caller.principal, caller.actor, claim_id)
    claim = context["claim"]
    context["claimed"] = [
        line
        for line in claim["lines"]
        if line["is_live"] and not line["excluded_reason"] and not line["rejected_reason"]
    ]
    queried = await open_queries_words(claim_id)
    # An open query is named first: answering it is the programme manager's own next step.
    context["blocked"] = (queried[0] if queried else None) or why_not_submittable(claim)
    return context


class ClaimSubmissionPages(Controller):
    """Checking a claim, then submitting it."""

    include_in_schema = False

    @get("/claims/{claim_id:int}/submit", opt={"access": CLAIM_MANAGE})
    async def check_claim(
        self,
        claims: NamedDependency[ClaimService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> Template:
        """What would be submitted, and the button that submits it.

        Args:
            claims: The claim service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        return page(
            "programme/claim_submit.html", **await submission_context(claims, caller, claim_id)
        )

    @post("/claims/{claim_id:int}/submit", opt={"access": CLAIM_MANAGE, FORM_LABELS: {}})
    async def submit_claim(
        self,
        claims: NamedDependency[ClaimService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> Response[Any]:
        """Submit a sampled claim whose sample is signed off.

        Args:
            claims: The claim service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        try:
            await claims.submit(caller.principal, caller.actor, claim_id)
        except DomainError as error:
            context = await submission_context(claims, caller, claim_id)
            return refused(error, {}, {}, "programme/claim_submit.html", **context)
        return back_to_claim(claim_id, "submitted")
