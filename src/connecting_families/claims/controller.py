"""Claim routes: prepare and list per programme; each claim's lifecycle, export and verify."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.caller import Caller
from connecting_families.access.policy import (
    CLAIM_MANAGE,
    CLAIM_READ,
    CLAIM_SAMPLE,
    CLAIM_SIGN_OFF,
    Principal,
)
from connecting_families.audit.service import Actor
from connecting_families.claims.service import ClaimService
from connecting_families.claims.windows import ClaimWindows, Window
from connecting_families.http_params import BoundedId, CodeParam, RecordId

Code = CodeParam
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class PrepareRequest(msgspec.Struct, forbid_unknown_fields=True):
    as_of: dt.date | None = None
    window_id: BoundedId | None = None


class WindowRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    opens_on: dt.date
    closes_on: dt.date
    as_of: dt.date


class ReasonRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class SampleRequest(msgspec.Struct, forbid_unknown_fields=True):
    percent: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    count: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**62)] | None = None


class ClosedWindow(msgspec.Struct):
    """A claim window once closed: no claim is prepared in it after."""

    id: int
    name: str
    opens_on: dt.date
    closes_on: dt.date
    as_of: dt.date
    closed_at: dt.datetime | None
    claims: int

    @classmethod
    def of(cls, window: Window) -> ClosedWindow:
        return cls(
            id=window.id,
            name=window.name,
            opens_on=window.opens_on,
            closes_on=window.closes_on,
            as_of=window.as_of,
            closed_at=window.closed_at,
            claims=window.claims,
        )


class Rejection(msgspec.Struct, forbid_unknown_fields=True):
    line_id: BoundedId
    reason: Reason


class DecisionRequest(msgspec.Struct, forbid_unknown_fields=True):
    rejections: list[Rejection] = []


class ProgrammeClaimController(Controller):
    path = "/api/v1/programmes/{code:str}/claims"
    tags = ["claims"]

    @post(opt={"access": CLAIM_MANAGE})
    async def prepare(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: Code,
        data: JSONBody[PrepareRequest],
    ) -> dict[str, Any]:
        """Prepare a draft claim of every result newly claimable at `as_of`, or at the
        as-of date of an open claim window (`window_id`).

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            data: The date the results are evaluated at, or the claim window.
        """
        return await claims.prepare(principal, actor, code, data.as_of, data.window_id)

    @get(opt={"access": CLAIM_READ})
    async def list_claims(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: Code,
    ) -> dict[str, Any]:
        """The programme's claims, oldest first, with their live lines and amounts.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
        """
        return {"claims": await claims.list_claims(principal, actor, code)}


class ClaimWindowController(Controller):
    path = "/api/v1/programmes/{code:str}/claim-windows"
    tags = ["claims"]

    @post(opt={"access": CLAIM_MANAGE})
    async def add_window(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: Code,
        data: JSONBody[WindowRequest],
    ) -> dict[str, Any]:
        """Add a claim window: when the programme may claim, and the as-of date.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            data: The window's name, opening and closing dates and as-of date.
        """
        return await claims.add_window(
            principal,
            actor,
            code,
            name=data.name,
            opens_on=data.opens_on,
            closes_on=data.closes_on,
            as_of=data.as_of,
        )

    @get(opt={"access": CLAIM_READ})
    async def list_windows(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        code: Code,
    ) -> dict[str, Any]:
        """The programme's claim windows, by opening date.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            code: The programme.
        """
        return {"windows": await claims.list_windows(principal, code)}

    @post("/{window_id:int}/close", opt={"access": CLAIM_MANAGE}, status_code=200)
    async def close_window(
        self,
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
        window_id: RecordId,
    ) -> ClosedWindow:
        """Close a claim window that is open or yet to open, before its last day (the
        department has called the round in, say); it never opens again.

        Args:
            claim_windows: The programme's claim windows.
            caller: The signed-in programme manager.
            code: The programme.
            window_id: The window.
        """
        return ClosedWindow.of(await claim_windows.close(caller, code, window_id))


class ClaimController(Controller):
    path = "/api/v1/claims/{claim_id:int}"
    tags = ["claims"]

    @get(opt={"access": CLAIM_READ})
    async def show(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> dict[str, Any]:
        """The claim, its lines and its near misses.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        return await claims.show(principal, actor, claim_id)

    @post("/lines/{line_id:int}/exclude", opt={"access": CLAIM_MANAGE}, status_code=200)
    async def exclude_line(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        line_id: RecordId,
        data: JSONBody[ReasonRequest],
    ) -> dict[str, Any]:
        """Leave a line out of a draft claim, with the reason.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
            line_id: The line.
            data: Why.
        """
        return await claims.exclude_line(principal, actor, claim_id, line_id, data.reason)

    @post("/sample", opt={"access": CLAIM_SAMPLE}, status_code=200)
    async def sample(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        data: JSONBody[SampleRequest],
    ) -> dict[str, Any]:
        """Draw internal audit's sample: a percentage or a number of lines, reproducible
        from its seed (given, or chosen and stored).

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
            data: `percent` or `count`, and optionally `seed`.
        """
        return await claims.draw_sample(
            principal, actor, claim_id, percent=data.percent, count=data.count, seed=data.seed
        )

    @post("/lines/{line_id:int}/sign-off", opt={"access": CLAIM_SIGN_OFF}, status_code=200)
    async def sign_off(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        line_id: RecordId,
    ) -> dict[str, Any]:
        """An auditor signs off a sampled line (not one who prepared the claim).

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
            line_id: The line.
        """
        return await claims.sign_off(principal, actor, claim_id, line_id, principal.user_id)

    @post("/submit", opt={"access": CLAIM_MANAGE}, status_code=200)
    async def submit(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> dict[str, Any]:
        """Submit a sampled claim whose sample is signed off; it never changes after.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        return await claims.submit(principal, actor, claim_id)

    @post("/decision", opt={"access": CLAIM_MANAGE}, status_code=200)
    async def decide(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        data: JSONBody[DecisionRequest],
    ) -> dict[str, Any]:
        """Record the department's spot check: accepted, or lines rejected with reasons.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
            data: The rejected lines, if any.
        """
        rejections = {r.line_id: r.reason for r in data.rejections}
        return await claims.decide(principal, actor, claim_id, rejections)

    @post("/withdraw", opt={"access": CLAIM_MANAGE}, status_code=200)
    async def withdraw(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
        data: JSONBody[ReasonRequest],
    ) -> dict[str, Any]:
        """Withdraw a claim before submission; its lines become claimable again.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
            data: Why.
        """
        return await claims.withdraw(principal, actor, claim_id, data.reason)

    @get("/export.csv", opt={"access": CLAIM_READ}, media_type="text/csv")
    async def export(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> Response[str]:
        """The claim return CSV (`shared/domain/data-exchange.md`).

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        text = await claims.export(principal, actor, claim_id)
        return claim_return(text, claim_id)

    @post("/verify", opt={"access": CLAIM_READ}, status_code=200)
    async def verify(
        self,
        claims: NamedDependency[ClaimService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        claim_id: RecordId,
    ) -> dict[str, Any]:
        """Re-decide every line as it was decided; list the lines that now differ.

        Args:
            claims: The claim service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            claim_id: The claim.
        """
        differences = await claims.verify(principal, actor, claim_id)
        return {"claim_id": claim_id, "differences": msgspec.to_builtins(differences)}


def claim_return(text: str, claim_id: int) -> Response[str]:
    """The claim return CSV as a download, from the API and from the claim page alike."""
    return Response(
        text,
        # Litestar adds "; charset=utf-8" to a text type itself.
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="claim-{claim_id}.csv"'},
    )
