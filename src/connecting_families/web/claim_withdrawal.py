"""Withdrawing a claim before it is submitted, after a page that says what withdrawing means
and asks why (the service requires a reason). Its lines leave the live set, so their results
can be claimed again in a new claim."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CLAIM_MANAGE
from connecting_families.claims.controller import ReasonRequest
from connecting_families.claims.service import ClaimService
from connecting_families.errors import DomainError
from connecting_families.http_params import RecordId
from connecting_families.web.claim_pages import back_to_claim, claim_context
from connecting_families.web.forms import FORM_LABELS, SAVED, form_values, read, refused
from connecting_families.web.templating import page

SAVED["claim-withdrawn"] = (
    "The claim was withdrawn. Its results can be claimed again in a new claim."
)

WITHDRAW_LABELS = {"reason": "Why the claim is withdrawn"}
# The claims that can still be withdrawn (`ClaimService.withdraw`).
WITHDRAWABLE = ("draft", "sampled")


async def withdrawal_context(
    claims: ClaimService, caller: Caller, claim_id: int
) -> dict[str, Any]:
    assert caller.principal is not None
    context = await claim_context(claims, caller.principal, caller.actor, claim_id)
    return context | {"withdrawable": context["claim"]["status"] in WITHDRAWABLE}


class ClaimWithdrawalPages(Controller):
    """Withdrawing a claim that is not yet submitted."""

    include_in_schema = False

    @get("/claims/{claim_id:int}/withdraw", opt={"access": CLAIM_MANAGE})
    async def withdraw_form(
        self,
        claims: NamedDependency[ClaimService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> Template:
        """What withdrawing the claim means, and why it is withdrawn.

        Args:
            claims: The claim service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        context = await withdrawal_context(claims, caller, claim_id)
        return page("programme/claim_withdraw.html", **context)

    @post(
        "/claims/{claim_id:int}/withdraw",
        opt={"access": CLAIM_MANAGE, FORM_LABELS: WITHDRAW_LABELS},
    )
    async def withdraw_claim(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> Response[Any]:
        """Withdraw the claim, with the reason.

        Args:
            request: The form post.
            claims: The claim service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        values = await form_values(request)
        try:
            data = read(values, ReasonRequest, WITHDRAW_LABELS)
            await claims.withdraw(caller.principal, caller.actor, claim_id, data.reason)
        except DomainError as error:
            context = await withdrawal_context(claims, caller, claim_id)
            return refused(
                error, values, WITHDRAW_LABELS, "programme/claim_withdraw.html", **context
            )
        return back_to_claim(claim_id, "withdrawn")
