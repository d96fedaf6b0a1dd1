"""The claim pages: a programme's claims, preparing one, and a claim's review, audit sample,
sign-off, submission and export. Auditors sign off the sampled lines here."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
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
from connecting_families.claims.service import ClaimService
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError
from connecting_families.http_params import RecordId
from connecting_families.web.forms import Form, form_values, read
from connecting_families.web.programme_pages import FORM_REFUSALS, Code, abilities
from connecting_families.web.templating import day, page

# The claim actions may also be refused for who is asking (the preparer cannot sign off).
CLAIM_REFUSALS = (403, 409, 422)

DONE = {
    "prepared": "The claim was prepared as a draft.",
    "excluded": "The line was left out of the claim.",
    "sampled": "The audit sample was drawn.",
    "signed_off": "The line was signed off.",
    "submitted": "The claim was submitted. It cannot change now.",
}


def window_label(window: dict[str, Any]) -> str:
    return (
        f"{window['name']}: results as of {day(window['as_of'])}, "
        f"open {day(window['opens_on'])} to {day(window['closes_on'])}"
    )


async def _claims_page(
    claims: ClaimService,
    principal: Principal,
    actor: Actor,
    code: str,
    *,
    form: Form | None = None,
    status: int = 200,
) -> Template:
    can = abilities(principal)
    return page(
        "programme/claims.html",
        status=status,
        code=code,
        can=can,
        claims=await claims.list_claims(principal, actor, code),
        windows=[
            (str(window["id"]), window_label(window))
            for window in (
                await claims.list_windows(principal, code) if can["manage_claims"] else []
            )
        ],
        form=form or Form(values={"as_of": today().isoformat()}),
    )


async def _claim_page(
    claims: ClaimService,
    principal: Principal,
    actor: Actor,
    claim_id: int,
    *,
    forms: dict[str, Form] | None = None,
    status: int = 200,
    done: str | None = None,
) -> Template:
    claim = await claims.show(principal, actor, claim_id)
    return page(
        "programme/claim.html",
        status=status,
        code=claim["programme"],
        claim=claim,
        can=abilities(principal),
        forms=forms or {},
        blank=Form(),
        done=done,
    )


async def _claim_refused(
    claims: ClaimService,
    principal: Principal,
    actor: Actor,
    claim_id: int,
    key: str,
    values: dict[str, str],
    error: DomainError,
) -> Template:
    """The claim page again, with the service's reason beside the action refused."""
    if error.status_code not in CLAIM_REFUSALS:
        raise error  # not about the action: the error page says it
    forms = {key: Form.refusing(values, error)}
    return await _claim_page(
        claims, principal, actor, claim_id, forms=forms, status=error.status_code
    )


def _back_to_claim(claim_id: int, done: str) -> Redirect:
    return Redirect(f"/claims/{claim_id}?done={done}", status_code=303)


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
        return await _claims_page(claims, principal, actor, code)

    @post("/programmes/{code:str}/claims", opt={"access": CLAIM_MANAGE})
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
            data = read(values, PrepareRequest)
            claim = await claims.prepare(principal, actor, code, data.as_of, data.window_id)
        except DomainError as error:
            if error.status_code not in FORM_REFUSALS:
                raise
            form = Form.refusing(values, error)
            return await _claims_page(
                claims, principal, actor, code, form=form, status=error.status_code
            )
        return _back_to_claim(claim["id"], "prepared")

    @get("/claims/{claim_id:int}", opt={"access": CLAIM_READ})
    async def claim_page(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        done: FromQuery[str | None] = None,
    ) -> Template:
        """The claim, its lines and near misses, and what the caller may do with it now.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
            done: What was just done, to say so.
        """
        return await _claim_page(claims, principal, actor, claim_id, done=DONE.get(done or ""))

    @post("/claims/{claim_id:int}/lines/{line_id:int}/exclude", opt={"access": CLAIM_MANAGE})
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
            data = read(values, ReasonRequest)
            await claims.exclude_line(principal, actor, claim_id, line_id, data.reason)
        except DomainError as error:
            return await _claim_refused(
                claims, principal, actor, claim_id, f"exclude-{line_id}", values, error
            )
        return _back_to_claim(claim_id, "excluded")

    @post("/claims/{claim_id:int}/sample", opt={"access": CLAIM_SAMPLE})
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
            data = read(values, SampleRequest)
            await claims.draw_sample(
                principal, actor, claim_id, percent=data.percent, count=data.count, seed=data.seed
            )
        except DomainError as error:
            return await _claim_refused(
                claims, principal, actor, claim_id, "sample", values, error
            )
        return _back_to_claim(claim_id, "sampled")

    @post("/claims/{claim_id:int}/lines/{line_id:int}/sign-off", opt={"access": CLAIM_SIGN_OFF})
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
                claims, principal, actor, claim_id, f"sign-off-{line_id}", {}, error
            )
        return _back_to_claim(claim_id, "signed_off")

    @post("/claims/{claim_id:int}/submit", opt={"access": CLAIM_MANAGE})
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
            return await _claim_refused(claims, principal, actor, claim_id, "submit", {}, error)
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
