"""One claim line as internal audit checks it: the verdict frozen into it, the evidence it was
decided on (loaded again as known when the claim was prepared, and checked against the line's
hash), and its queries.

The verdict shown is the frozen one, never a live one: what the claim says, not what the
family's record says today.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import msgspec

from connecting_families.access.caller import Caller
from connecting_families.accounts.tables import User
from connecting_families.audit.service import record
from connecting_families.claims.queries import LineQuery, queries_of
from connecting_families.claims.querying import claim_in_reach, line_of
from connecting_families.claims.service import line_sha256
from connecting_families.claims.tables import ClaimLine
from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.domain.verdict import Verdict
from connecting_families.errors import DomainError
from connecting_families.evaluation.service import EvaluationService
from connecting_families.programmes.service import ruleset_config_of


@attrs.frozen
class LineView:
    """A line with its claim, its frozen verdict and the evidence it was decided on."""

    claim: dict[str, Any]
    line: dict[str, Any]
    # None when the stored verdict cannot be read as one (never for a line the service made).
    verdict: Verdict | None
    # The evidence as known when the claim was prepared; None when it cannot be loaded again
    # (the rule set's plugin is not installed).
    evidence: FamilyEvidence | None
    # Whether that evidence, judged again as then, gives the line's stored hash.
    evidence_matches: bool
    queries: list[LineQuery]
    signed_off_by: str | None

    @property
    def open_query(self) -> LineQuery | None:
        return next((query for query in self.queries if query.open), None)


def frozen_verdict(stored: Any) -> Verdict | None:
    """The verdict a line froze, or None when what is stored is not one."""
    text = stored if isinstance(stored, str) else msgspec.json.encode(stored)
    try:
        return Verdict.from_json(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


async def _judging(claim: dict[str, Any], line: dict[str, Any]) -> tuple[str, Any, dt.date]:
    """The rule set, configuration and date the line was decided with: its claim's, or for a
    reversal line the claim's of the line it reverses."""
    if line["reverses"] is None:
        return claim["ruleset"], claim["ruleset_config"], claim["as_of"]
    earlier = (
        await ClaimLine.select(
            ClaimLine.claim.ruleset.as_alias("ruleset"),
            ClaimLine.claim.ruleset_config.as_alias("ruleset_config"),
            ClaimLine.claim.as_of.as_alias("as_of"),
        )
        .where(ClaimLine.id == line["reverses"])
        .first()
    )
    assert earlier is not None
    return earlier["ruleset"], earlier["ruleset_config"], earlier["as_of"]


async def line_view(
    evaluation: EvaluationService, caller: Caller, claim_id: int, line_id: int
) -> LineView:
    """The claim's line `line_id`, if the caller may reach the claim; audited as a read of
    the line's family."""
    claim = await claim_in_reach(caller, claim_id)
    line = await line_of(claim_id, line_id)
    await record(
        caller.actor,
        "claim.line.read",
        "family",
        line["family"],
        detail={"claim": claim_id, "line": line_id},
    )
    evidence, matches = None, False
    ruleset, config, as_of = await _judging(claim, line)
    try:
        judged = evaluation.judged(
            [line["family"]],
            evaluation.ruleset(ruleset),
            ruleset_config_of(config),
            as_of,
            claim["prepared_at"],
        )
        async for evidence, again in judged:
            matches = line_sha256(evidence, again) == line["evidence_sha256"]
    except DomainError:
        evidence = None
    signer = None
    if line["signed_off_by"] is not None:
        row = await User.select(User.username).where(User.id == line["signed_off_by"]).first()
        signer = row["username"] if row else None
    return LineView(
        claim=claim,
        line=line,
        verdict=frozen_verdict(line["verdict"]),
        evidence=evidence,
        evidence_matches=matches,
        queries=await queries_of(claim_id, line_id),
        signed_off_by=signer,
    )
