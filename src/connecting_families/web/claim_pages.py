"""A claim's own page: its lines and near misses, leaving a line out of a draft, the audit
sample, an auditor's sign-off of a sampled line, and the claim return's download.

The other claim pages, by job: the programme's claims and preparing one (`claim_list`), claim
windows (`claim_windows`), the check before submission (`claim_submission`), the department's
decision (`claim_decision`) and withdrawing a claim (`claim_withdrawal`). Each is reached from
this page's "What happens next".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from connecting_families.access.policy import (
    CLAIM_MANAGE,
    CLAIM_READ,
    CLAIM_SAMPLE,
    CLAIM_SIGN_OFF,
    Principal,
)
from connecting_families.audit.service import Actor
from connecting_families.claims.controller import (
    ReasonRequest,
    SampleRequest,
    claim_return,
)
from connecting_families.claims.queries import open_queries_of
from connecting_families.claims.service import ClaimService
from connecting_families.claims.windows import window_name
from connecting_families.errors import DomainError
from connecting_families.http_params import RecordId
from connecting_families.web.explain import Wording
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    refused,
)
from connecting_families.web.programme_pages import abilities
from connecting_families.web.templating import page

SAVED.update(
    {
        "claim-excluded": "The line was left out of the claim.",
        "claim-sampled": "The audit sample was drawn.",
        "claim-signed-off": "The line was signed off.",
    }
)

# Each claim form's fields as its page labels them.
EXCLUDE_LABELS = {"reason": "Reason for leaving the line out"}
SAMPLE_LABELS = {"percent": "Percentage of lines", "count": "Number of lines"}


async def claim_context(
    claims: ClaimService, principal: Principal, actor: Actor, claim_id: int, key: str = ""
) -> dict[str, Any]:
    """The claim page; `key` names the one form refused (its fields' ids start with it)."""
    claim = await claims.show(principal, actor, claim_id)
    window = claim["claim_window"]
    return {
        "window_name": await window_name(window) if window else None,
        "code": claim["programme"],
        "claim": claim,
        "route_name": route_namer(claims, claim),
        "can": abilities(principal),
        "form": Form(),
        "refused_key": key,
        "blank": Form(),
        # Internal audit's open queries, shown above the claim (`claim_queries.html`).
        "queries": await open_queries_of(claim_id),
    }


def route_namer(claims: ClaimService, claim: dict[str, Any]) -> Callable[[str], str]:
    """The claim's routes by the short names of the rule set it was prepared under."""
    return Wording(ruleset=claims.evaluation.plugins.ruleset(claim["ruleset"])).route_title


async def claim_refused(
    claims: ClaimService,
    principal: Principal,
    actor: Actor,
    claim_id: int,
    key: str,
    values: dict[str, str],
    error: DomainError,
    labels: dict[str, str],
) -> Template:
    """The claim page again, with the service's reason beside the action refused."""
    context = await claim_context(claims, principal, actor, claim_id, key)
    return refused(error, values, labels, "programme/claim.html", **context)


def back_to_claim(claim_id: int, done: str) -> Redirect:
    return accepted(f"/claims/{claim_id}", f"claim-{done}")


class ClaimPages(Controller):
    """A claim's page and the forms on it."""

    include_in_schema = False

    @get("/claims/{claim_id:int}", opt={"access": CLAIM_READ})
    async def claim_page(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> Template:
        """The claim, its lines and near misses, and what the caller may do with it now.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        context = await claim_context(claims, principal, actor, claim_id)
        return page("programme/claim.html", **context)

    @post(
        "/claims/{claim_id:int}/lines/{line_id:int}/exclude",
        opt={"access": CLAIM_MANAGE, FORM_LABELS: EXCLUDE_LABELS},
    )
    async def exclude_line(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        line_id: RecordId,
    ) -> Response[Any]:
        """Leave a line out of a draft claim, with the reason.

        Args:
            request: The form post.
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
            line_id: The line.
        """
        values = await form_values(request)
        try:
            data = read(values, ReasonRequest, EXCLUDE_LABELS)
            await claims.exclude_line(principal, actor, claim_id, line_id, data.reason)
        except DomainError as error:
            return await claim_refused(
                claims,
                principal,
                actor,
                claim_id,
                f"exclude-{line_id}",
                values,
                error,
                EXCLUDE_LABELS,
            )
        return back_to_claim(claim_id, "excluded")

    @post(
        "/claims/{claim_id:int}/sample", opt={"access": CLAIM_SAMPLE, FORM_LABELS: SAMPLE_LABELS}
    )
    async def draw_sample(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> Response[Any]:
        """Draw internal audit's sample: a percentage or a number of the live lines.

        Args:
            request: The form post.
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        values = await form_values(request)
        try:
            data = read(values, SampleRequest, SAMPLE_LABELS)
            await claims.draw_sample(
                principal, actor, claim_id, percent=data.percent, count=data.count, seed=data.seed
            )
        except DomainError as error:
            return await claim_refused(
                claims, principal, actor, claim_id, "sample", values, error, SAMPLE_LABELS
            )
        return back_to_claim(claim_id, "sampled")

    @post(
        "/claims/{claim_id:int}/lines/{line_id:int}/sign-off",
        opt={"access": CLAIM_SIGN_OFF, FORM_LABELS: {}},
    )
    async def sign_off_line(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        line_id: RecordId,
    ) -> Response[Any]:
        """An auditor signs off a sampled line (the service refuses whoever prepared it).

        Args:
            claims: The claim service.
            principal: The signed-in auditor.
            actor: The caller, for the audit log.
            claim_id: The claim.
            line_id: The line.
        """
        try:
            await claims.sign_off(principal, actor, claim_id, line_id, principal.user_id)
        except DomainError as error:
            return await claim_refused(
                claims, principal, actor, claim_id, f"sign-off-{line_id}", {}, error, {}
            )
        return back_to_claim(claim_id, "signed-off")

    @get("/claims/{claim_id:int}/export.csv", opt={"access": CLAIM_READ})
    async def export_claim(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> Response[str]:
        """The claim return CSV, as a download.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        text = await claims.export(principal, actor, claim_id)
        return claim_return(text, claim_id)
