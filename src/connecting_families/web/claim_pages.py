"""The claim pages: a programme's claims, preparing one, and a claim's review, audit sample,
sign-off, submission and export. Auditors sign off the sampled lines here."""

from __future__ import annotations

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
    PrepareRequest,
    ReasonRequest,
    SampleRequest,
    claim_return,
)
from connecting_families.claims.queries import open_queries_of
from connecting_families.claims.service import ClaimService
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.http_params import RecordId
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    refused,
)
from connecting_families.web.programme_pages import Code, abilities
from connecting_families.web.templating import day, page

SAVED.update(
    {
        "claim-prepared": "The claim was prepared as a draft.",
        "claim-excluded": "The line was left out of the claim.",
        "claim-sampled": "The audit sample was drawn.",
        "claim-signed-off": "The line was signed off.",
        "claim-submitted": "The claim was submitted. It cannot change now.",
    }
)

# Each claim form's fields as its page labels them.
PREPARE_LABELS = {"as_of": "Results as of", "window_id": "Claim window"}
EXCLUDE_LABELS = {"reason": "Reason for leaving the line out"}
SAMPLE_LABELS = {"percent": "Percentage of lines", "count": "Number of lines"}


def window_label(window: dict[str, Any]) -> str:
    return (
        f"{window['name']}: results as of {day(window['as_of'])}, "
        f"open {day(window['opens_on'])} to {day(window['closes_on'])}"
    )


async def _claims_context(
    claims: ClaimService, principal: Principal, actor: Actor, code: str
) -> dict[str, Any]:
    can = abilities(principal)
    return {
        "code": code,
        "can": can,
        "claims": await claims.list_claims(principal, actor, code),
        "windows": [
            (str(window["id"]), window_label(window))
            for window in (
                await claims.list_windows(principal, code) if can["manage_claims"] else []
            )
        ],
    }


async def _claim_context(
    claims: ClaimService, principal: Principal, actor: Actor, claim_id: int, key: str = ""
) -> dict[str, Any]:
    """The claim page; `key` names the one form refused (its fields' ids start with it)."""
    claim = await claims.show(principal, actor, claim_id)
    return {
        "code": claim["programme"],
        "claim": claim,
        "can": abilities(principal),
        "form": Form(),
        "refused_key": key,
        "blank": Form(),
        # Internal audit's open queries, shown above the claim (`claim_queries.html`).
        "queries": await open_queries_of(claim_id),
    }


async def _claim_refused(
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
    context = await _claim_context(claims, principal, actor, claim_id, key)
    return refused(error, values, labels, "programme/claim.html", **context)


def _back_to_claim(claim_id: int, done: str) -> Redirect:
    return accepted(f"/claims/{claim_id}", f"claim-{done}")


def read_prepare(values: dict[str, str]) -> PrepareRequest:
    """The prepare form as the API's type: a date or a window, not both, said by label."""
    data = read(values, PrepareRequest, PREPARE_LABELS)
    if (data.as_of is None) == (data.window_id is None):
        message = (
            "Enter a date or choose a claim window, not both"
            if data.as_of
            else "Enter the date to claim results as of, or choose a claim window"
        )
        raise Invalid(message, errors=[field_error("as_of", message)])
    return data


class ClaimPages(Controller):
    """A programme's claims, from preparation to submission."""

    include_in_schema = False

    @get("/programmes/{code:str}/claims", opt={"access": CLAIM_READ})
    async def claims_page(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: Code,
    ) -> Template:
        """The programme's claims and, for a programme manager, the form to prepare one.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
        """
        context = await _claims_context(claims, principal, actor, code)
        return page(
            "programme/claims.html", **context, form=Form(values={"as_of": today().isoformat()})
        )

    @post(
        "/programmes/{code:str}/claims", opt={"access": CLAIM_MANAGE, FORM_LABELS: PREPARE_LABELS}
    )
    async def prepare_claim(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: Code,
    ) -> Response[Any]:
        """Prepare a draft claim at a date, or at an open claim window's date.

        Args:
            request: The form post.
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
        """
        values = await form_values(request)
        try:
            data = read_prepare(values)
            claim = await claims.prepare(principal, actor, code, data.as_of, data.window_id)
        except DomainError as error:
            context = await _claims_context(claims, principal, actor, code)
            return refused(error, values, PREPARE_LABELS, "programme/claims.html", **context)
        return _back_to_claim(claim["id"], "prepared")

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
        context = await _claim_context(claims, principal, actor, claim_id)
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
            return await _claim_refused(
                claims,
                principal,
                actor,
                claim_id,
                f"exclude-{line_id}",
                values,
                error,
                EXCLUDE_LABELS,
            )
        return _back_to_claim(claim_id, "excluded")

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
            return await _claim_refused(
                claims, principal, actor, claim_id, "sample", values, error, SAMPLE_LABELS
            )
        return _back_to_claim(claim_id, "sampled")

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
            return await _claim_refused(
                claims, principal, actor, claim_id, f"sign-off-{line_id}", {}, error, {}
            )
        return _back_to_claim(claim_id, "signed-off")

    @post("/claims/{claim_id:int}/submit", opt={"access": CLAIM_MANAGE, FORM_LABELS: {}})
    async def submit_claim(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> Response[Any]:
        """Submit a sampled claim whose sample is signed off.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        try:
            await claims.submit(principal, actor, claim_id)
        except DomainError as error:
            return await _claim_refused(
                claims, principal, actor, claim_id, "submit", {}, error, {}
            )
        return _back_to_claim(claim_id, "submitted")

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
