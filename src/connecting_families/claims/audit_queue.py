"""Internal audit's queue: the claims of the auditor's programmes whose sample waits for them,
and the claims they have signed lines of."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import attrs

from connecting_families.access.caller import Caller
from connecting_families.audit.service import record
from connecting_families.claims.tables import Claim, ClaimLine, ClaimLineQuery

SIGNED_SHOWN = 50


@attrs.frozen
class QueuedClaim:
    id: int
    claim_ref: str
    programme: str
    as_of: dt.date
    status: str
    sampled: int
    signed_off: int
    queried: int
    mine: int  # lines the caller signed off

    @property
    def waiting(self) -> int:
        return self.sampled - self.signed_off


@attrs.frozen
class AuditQueue:
    waiting: tuple[QueuedClaim, ...]
    signed: tuple[QueuedClaim, ...]


async def _queued(claim_ids: list[int], user_id: int) -> list[QueuedClaim]:
    if not claim_ids:
        return []
    claims = await Claim.select(
        Claim.id,
        Claim.claim_ref,
        Claim.as_of,
        Claim.status,
        Claim.programme.code.as_alias("code"),
    ).where(Claim.id.is_in(claim_ids))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in await ClaimLine.select(ClaimLine.claim, ClaimLine.signed_off_by).where(
        ClaimLine.claim.is_in(claim_ids), ClaimLine.sampled.eq(True)
    ):
        counted = counts[line["claim"]]
        counted[0] += 1
        counted[1] += line["signed_off_by"] is not None
        counted[2] += line["signed_off_by"] == user_id
    queried: dict[int, set[int]] = defaultdict(set)
    for query in await ClaimLineQuery.select(ClaimLineQuery.claim, ClaimLineQuery.line).where(
        ClaimLineQuery.claim.is_in(claim_ids), ClaimLineQuery.answered_at.is_null()
    ):
        queried[query["claim"]].add(query["line"])
    return [
        QueuedClaim(
            id=row["id"],
            claim_ref=row["claim_ref"],
            programme=row["code"],
            as_of=row["as_of"],
            status=row["status"],
            sampled=counts[row["id"]][0],
            signed_off=counts[row["id"]][1],
            queried=len(queried[row["id"]]),
            mine=counts[row["id"]][2],
        )
        for row in claims
    ]


async def audit_queue(caller: Caller) -> AuditQueue:
    """The caller's queue: claims sampled and not all signed off in their programmes, oldest
    first; and the claims they signed lines of, newest first. Audited as one read."""
    principal = caller.principal
    assert principal is not None
    programmes = sorted(principal.programme_ids) or [0]
    sampled: list[dict[str, Any]] = await ClaimLine.select(ClaimLine.claim).where(
        ClaimLine.claim.programme.is_in(programmes),
        ClaimLine.claim.status == "sampled",
        ClaimLine.sampled.eq(True),
        ClaimLine.signed_off_by.is_null(),
    )
    waiting_ids = sorted({row["claim"] for row in sampled})
    signed_rows = await ClaimLine.select(ClaimLine.claim).where(
        ClaimLine.signed_off_by == principal.user_id,
        ClaimLine.claim.programme.is_in(programmes),
    )
    signed_ids = sorted({row["claim"] for row in signed_rows}, reverse=True)[:SIGNED_SHOWN]
    await record(
        caller.actor,
        "claim.queue.read",
        "audit_queue",
        detail={"waiting": len(waiting_ids), "signed": len(signed_ids)},
    )
    waiting = sorted(await _queued(waiting_ids, principal.user_id), key=lambda c: c.id)
    signed = sorted(await _queued(signed_ids, principal.user_id), key=lambda c: -c.id)
    return AuditQueue(waiting=tuple(waiting), signed=tuple(signed))
