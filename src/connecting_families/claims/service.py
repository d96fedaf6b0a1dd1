"""Payment-by-results claims: prepare, exclude, sample, sign off, submit, decide, verify.

A claim is prepared at an `as_of` date from every family's verdict as known at the moment of
preparation. Its lines are the routes the rule set makes newly claimable given the live lines
of the programme's earlier claims (`RuleSet.claimable`), each frozen with its verdict and the
sha256 of the evidence and verdict it was decided on. The database refuses a family and route
live twice (`uq_claim_line_live`); preparations of one programme also take turns, so the
second of two racing preparations sees the first's lines.

Lifecycle: draft → sampled → submitted → accepted | partly_rejected; draft or sampled →
withdrawn. A line leaves the live set when excluded from a draft, rejected by a spot check, or
withdrawn with its claim, and becomes claimable again.

Corrections: a submitted line never changes. Each preparation re-judges the families of the
programme's accepted lines at their claims' dates on the evidence as known now; a line whose
route is no longer met gets a reversal line in the new claim (the negative amount, `reverses`
naming it). Until the reversal's claim is decided the family gets no new lines; once it is
accepted the original line leaves the live set, so the result can be claimed again when it is
really achieved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs
import msgspec

from connecting_families.access.policy import CLAIM_READ, Principal
from connecting_families.audit.service import Actor, record
from connecting_families.claims.queries import queries_of, refuse_open_queries
from connecting_families.claims.tables import Claim, ClaimLine, ClaimWindow
from connecting_families.database.engine import AnyEngine, take_turns, write_transaction
from connecting_families.domain.claims import ClaimLineCheck, gbp, near_miss, payable, pence
from connecting_families.domain.dates import today
from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.domain.verdict import Verdict
from connecting_families.errors import Conflict, Forbidden, Invalid, NotFound
from connecting_families.evaluation.service import EvaluationService
from connecting_families.families.tables import Family
from connecting_families.programmes.service import ruleset_config_of, worked_programme
from connecting_families.programmes.tables import Programme
from connecting_families.spreadsheets import Columns, csv_text

# Claims whose lines count as claimed: every status but withdrawn.
LIVE_STATUSES = ("draft", "sampled", "submitted", "accepted", "partly_rejected")
# Lines the department has decided on: only these can be reversed.
DECIDED_STATUSES = ("accepted", "partly_rejected")
UNDECIDED_STATUSES = ("draft", "sampled", "submitted")
# The claim return's columns (`shared/domain/data-exchange.md`), each with its kind: text
# cells are made safe to open in a spreadsheet, numbers and dates are written as they are.
EXPORT_COLUMNS: Columns = (
    ("claim_ref", "text"),
    ("programme", "text"),
    ("ruleset", "text"),
    ("family_ref", "text"),
    ("route", "text"),
    ("as_of", "date"),
    ("attached_on", "date"),
    ("amount_gbp", "number"),
    ("evidence_sha256", "text"),
)
MAX_REASON = 500
# Claim lines written by one INSERT (each line is a dozen values).
LINES_A_STATEMENT = 1_000


def line_sha256(evidence: FamilyEvidence, verdict: Verdict) -> str:
    """The hash of the frozen evidence and verdict a line was decided on."""
    return hashlib.sha256(evidence.to_json() + b"\n" + verdict.to_json()).hexdigest()


def _json(value: Any) -> Any:
    """A stored JSON column as Python (SQLite hands JSON back as text)."""
    return json.loads(value) if isinstance(value, str) else value


def _text(value: Any) -> str:
    """A stored JSON column as its text."""
    return value if isinstance(value, str) else json.dumps(value)


def _held_back(held_back: Counter[str]) -> str:
    """The families a claim's preparation held back, in a sentence to add to its message."""
    if not held_back:
        return ""
    count = sum(held_back.values())
    reasons = "; ".join(f"{n} by {reason}" for reason, n in sorted(held_back.items()))
    return (
        f" {count} famil{'y' if count == 1 else 'ies'} could not be decided because a plugin "
        f"failed, and were held back: {reasons}."
    )


def _outcome(verdict: Verdict) -> tuple[Any, ...]:
    """What `cf_verdict_changed` watches: eligibility, routes met, turned around."""
    return verdict.eligible, verdict.routes_met, verdict.turned_around


def _reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid(
            "A reason is required.",
            errors=[{"field": field, "message": f"must be 1 to {MAX_REASON} characters"}],
        )
    return reason


def _reversed_claim() -> Any:
    """The claim of the line a line reverses, to select its columns through the join."""
    return ClaimLine.reverses.claim


def _claimed(claim: dict[str, Any], line: dict[str, Any]) -> bool:
    """Whether a line's amount is claimed: neither excluded, rejected nor withdrawn."""
    return (
        claim["status"] != "withdrawn"
        and line["excluded_reason"] is None
        and line["rejected_reason"] is None
    )


async def live_claimed(programme_id: int) -> dict[int, dict[str, int]]:
    """Family id → route → pence, for the live lines of the programme's claims: what a new
    claim must leave out (reversal lines give money back; they claim nothing)."""
    earlier: dict[int, dict[str, int]] = defaultdict(dict)
    rows = await ClaimLine.select(ClaimLine.family, ClaimLine.route, ClaimLine.amount_pence).where(
        ClaimLine.claim.programme == programme_id,
        ClaimLine.is_live.eq(True),
        ClaimLine.reverses.is_null(),
        ClaimLine.claim.status.is_in(list(LIVE_STATUSES)),
    )
    for row in rows:
        earlier[row["family"]][row["route"]] = row["amount_pence"]
    return earlier


@attrs.frozen
class Reversal:
    """An accepted line whose route, re-judged on the evidence as known now, is not met."""

    line_id: int
    family_id: int
    route: str
    amount_pence: int
    ruleset: str
    evidence_sha256: str
    verdict: Verdict


@attrs.frozen
class Difference:
    line_id: int
    family_ref: str
    route: str
    what: str


async def claims_programme(
    principal: Principal | None, code: str, *columns: Any
) -> dict[str, Any]:
    """The programme's `columns` (and id) if the caller may reach its claims: a programme
    manager or auditor who works in it, or the local operator (None); otherwise `NotFound`,
    the same as for a programme that does not exist. Being an administrator opens no
    programme's claims (`access.policy`), whatever other roles the administrator has."""
    if principal is not None and not principal.has_any(CLAIM_READ.roles or frozenset()):
        raise NotFound(f"There is no programme {code!r}, or it is not yours.")
    return await worked_programme(principal, code, *columns)


class ClaimService:
    def __init__(self, engine: AnyEngine, evaluation: EvaluationService) -> None:
        self.engine = engine
        self.evaluation = evaluation

    # Reading

    async def _claim(self, principal: Principal | None, claim_id: int) -> dict[str, Any]:
        """The claim if the caller works in its programme; NotFound otherwise."""
        row = (
            await Claim.select(*Claim.all_columns(), Claim.programme.code.as_alias("code"))
            .where(Claim.id == claim_id)
            .first()
        )
        if row is None:
            raise NotFound(f"There is no claim {claim_id}, or it is not yours.")
        try:
            await claims_programme(principal, row["code"])
        except NotFound:
            raise NotFound(f"There is no claim {claim_id}, or it is not yours.") from None
        return dict(row)

    async def _lines(self, claim_id: int) -> list[dict[str, Any]]:
        return [
            dict(row)
            for row in await ClaimLine.select(
                *ClaimLine.all_columns(exclude=[ClaimLine.verdict]),
                ClaimLine.family.family_ref.as_alias("family_ref"),
                ClaimLine.family.attached_on.as_alias("attached_on"),
                _reversed_claim().claim_ref.as_alias("reverses_claim_ref"),
                _reversed_claim().as_of.as_alias("reverses_as_of"),
            )
            .where(ClaimLine.claim == claim_id)
            .order_by(ClaimLine.family.family_ref, ClaimLine.route)
        ]

    def _view(self, claim: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
        live = [line for line in lines if line["is_live"]]
        claimed = [line for line in lines if _claimed(claim, line)]
        return {
            "id": claim["id"],
            "claim_ref": claim["claim_ref"],
            "programme": claim["code"],
            "ruleset": claim["ruleset"],
            "as_of": claim["as_of"],
            "claim_window": claim["claim_window"],
            "status": claim["status"],
            "prepared_at": claim["prepared_at"],
            "prepared_by": claim["prepared_by"],
            "sample": {
                "spec": claim["sample_spec"],
                "seed": claim["sample_seed"],
                "drawn_at": claim["sample_drawn_at"],
            }
            if claim["sample_spec"]
            else None,
            "submitted_at": claim["submitted_at"],
            "decided_at": claim["decided_at"],
            "withdrawn_at": claim["withdrawn_at"],
            "withdrawn_reason": claim["withdrawn_reason"],
            "live_lines": len(live),
            # Programme income beside the claim: attachment fees of the eligible families.
            "attachment_fees_gbp": gbp(claim["attachment_fees_pence"]),
            # Net of reversals; a line reversed later still counts in the claim that paid it.
            "amount_gbp": gbp(sum(line["amount_pence"] for line in claimed)),
            "lines": [
                {
                    "id": line["id"],
                    "family_id": line["family"],
                    "family_ref": line["family_ref"],
                    "route": line["route"],
                    "amount_gbp": gbp(line["amount_pence"]),
                    "is_live": line["is_live"],
                    "excluded_reason": line["excluded_reason"],
                    "sampled": line["sampled"],
                    "signed_off_by": line["signed_off_by"],
                    "signed_off_at": line["signed_off_at"],
                    "rejected_reason": line["rejected_reason"],
                    "evidence_sha256": line["evidence_sha256"],
                    "reverses": {
                        "line_id": line["reverses"],
                        "claim_ref": line["reverses_claim_ref"],
                        "as_of": line["reverses_as_of"],
                    }
                    if line["reverses"]
                    else None,
                }
                for line in lines
            ],
            "near_misses": _json(claim["near_misses"]),
        }

    async def show(
        self, principal: Principal | None, actor: Actor, claim_id: int
    ) -> dict[str, Any]:
        claim = await self._claim(principal, claim_id)
        await record(actor, "claim.read", "claim", claim_id)
        return self._view(claim, await self._lines(claim_id))

    async def list_claims(
        self, principal: Principal | None, actor: Actor, code: str
    ) -> list[dict[str, Any]]:
        programme = await claims_programme(principal, code)
        rows = (
            await Claim.select(
                Claim.id,
                Claim.claim_ref,
                Claim.as_of,
                Claim.status,
                Claim.ruleset,
                Claim.prepared_at,
            )
            .where(Claim.programme == programme["id"])
            .order_by(Claim.id)
        )
        statuses = {row["id"]: row for row in rows}
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for line in await ClaimLine.select(
            ClaimLine.claim,
            ClaimLine.amount_pence,
            ClaimLine.is_live,
            ClaimLine.excluded_reason,
            ClaimLine.rejected_reason,
        ).where(ClaimLine.claim.programme == programme["id"]):
            totals[line["claim"]][0] += line["is_live"]
            if _claimed(statuses[line["claim"]], line):
                totals[line["claim"]][1] += line["amount_pence"]
        await record(actor, "claim.list", "programme", code)
        return [
            {
                **row,
                "live_lines": totals[row["id"]][0],
                "amount_gbp": gbp(totals[row["id"]][1]),
            }
            for row in rows
        ]

    # Claim windows

    async def add_window(
        self,
        principal: Principal | None,
        actor: Actor,
        code: str,
        *,
        name: str,
        opens_on: dt.date,
        closes_on: dt.date,
        as_of: dt.date,
    ) -> dict[str, Any]:
        """When the programme may claim, and the date results are evaluated at."""
        programme = await claims_programme(principal, code)
        if closes_on < opens_on:
            raise Invalid(
                "A claim window closes after it opens.",
                errors=[{"field": "closes_on", "message": "must be on or after opens_on"}],
            )
        if as_of > closes_on:
            raise Invalid(
                "Results are evaluated at a date the window has reached.",
                errors=[{"field": "as_of", "message": "must be on or before closes_on"}],
            )
        async with write_transaction(self.engine):
            [row] = await ClaimWindow.insert(
                ClaimWindow(
                    programme=programme["id"],
                    name=name,
                    opens_on=opens_on,
                    closes_on=closes_on,
                    as_of=as_of,
                )
            ).returning(ClaimWindow.id)
            await record(actor, "claim_window.create", "programme", code, detail=row)
        return {
            "id": row["id"],
            "name": name,
            "opens_on": opens_on,
            "closes_on": closes_on,
            "as_of": as_of,
        }

    async def list_windows(self, principal: Principal | None, code: str) -> list[dict[str, Any]]:
        programme = await claims_programme(principal, code)
        rows = (
            await ClaimWindow.select(
                ClaimWindow.id,
                ClaimWindow.name,
                ClaimWindow.opens_on,
                ClaimWindow.closes_on,
                ClaimWindow.as_of,
                ClaimWindow.closed_at,
            )
            .where(ClaimWindow.programme == programme["id"])
            .order_by(ClaimWindow.opens_on)
        )
        return [dict(row) for row in rows]

    async def window_as_of(
        self, principal: Principal | None, code: str, window_id: int
    ) -> dt.date:
        """The as-of date of the programme's window `window_id`, which must be open today."""
        programme = await claims_programme(principal, code)
        window = (
            await ClaimWindow.select()
            .where(ClaimWindow.id == window_id, ClaimWindow.programme == programme["id"])
            .first()
        )
        if window is None:
            raise NotFound(f"Programme {code} has no claim window {window_id}.")
        if window["closed_at"] is not None:
            raise Conflict(f"The claim window {window['name']!r} was closed early.")
        if not window["opens_on"] <= today() <= window["closes_on"]:
            raise Conflict(
                f"The claim window {window['name']!r} is open from {window['opens_on']} to "
                f"{window['closes_on']}, not today."
            )
        as_of: dt.date = window["as_of"]
        return as_of

    # Preparing

    async def _being_reversed(self, programme_id: int) -> set[int]:
        """The families with a live reversal line in a claim not yet decided."""
        rows = await ClaimLine.select(ClaimLine.family).where(
            ClaimLine.claim.programme == programme_id,
            ClaimLine.is_live.eq(True),
            ClaimLine.reverses.is_not_null(),
            ClaimLine.claim.status.is_in(list(UNDECIDED_STATUSES)),
        )
        return {row["family"] for row in rows}

    async def _unreversed(self, programme_id: int) -> list[dict[str, Any]]:
        """The live lines of decided claims that no live line reverses yet."""
        reversed_ids = {
            row["reverses"]
            for row in await ClaimLine.select(ClaimLine.reverses).where(
                ClaimLine.claim.programme == programme_id,
                ClaimLine.is_live.eq(True),
                ClaimLine.reverses.is_not_null(),
            )
        }
        rows = await ClaimLine.select(
            ClaimLine.id,
            ClaimLine.family,
            ClaimLine.route,
            ClaimLine.amount_pence,
            ClaimLine.claim.as_of.as_alias("as_of"),
            ClaimLine.claim.ruleset.as_alias("ruleset"),
            ClaimLine.claim.ruleset_config.as_alias("ruleset_config"),
        ).where(
            ClaimLine.claim.programme == programme_id,
            ClaimLine.is_live.eq(True),
            ClaimLine.reverses.is_null(),
            ClaimLine.claim.status.is_in(list(DECIDED_STATUSES)),
        )
        return [dict(row) for row in rows if row["id"] not in reversed_ids]

    async def _rejudged(
        self,
        lines: Iterable[dict[str, Any]],
        judging_of: Callable[[dict[str, Any]], tuple[str, Any, dt.date]],
        instant: dt.datetime,
    ) -> AsyncIterator[tuple[str, FamilyEvidence, Verdict, list[dict[str, Any]]]]:
        """The families of `lines` judged again, each line with the rule set, configuration
        and date `judging_of(line)` names, on the evidence as known at `instant`: (rule set
        key, evidence, verdict, the family's lines judged so), a family at a time."""
        groups: dict[tuple[str, str, dt.date], dict[int, list[dict[str, Any]]]]
        groups = defaultdict(lambda: defaultdict(list))
        for line in lines:
            ruleset_key, config, as_of = judging_of(line)
            groups[(ruleset_key, _text(config), as_of)][line["family"]].append(line)
        for (ruleset_key, config, as_of), by_family in groups.items():
            judged = self.evaluation.judged(
                sorted(by_family),
                self.evaluation.ruleset(ruleset_key),
                ruleset_config_of(config),
                as_of,
                instant,
            )
            async for evidence, verdict in judged:
                yield ruleset_key, evidence, verdict, by_family[evidence.family_id]

    async def _reversals(
        self, programme_id: int, instant: dt.datetime, held_back: Counter[str]
    ) -> list[Reversal]:
        """The accepted lines whose route is not met when re-judged, at their claim's date
        with their claim's rule set, on the evidence as known at `instant`. A family that
        could not be judged again is counted in `held_back`, its lines left standing."""
        reversals: list[Reversal] = []
        rejudged = self._rejudged(
            await self._unreversed(programme_id),
            lambda line: (line["ruleset"], line["ruleset_config"], line["as_of"]),
            instant,
        )
        async for ruleset_key, evidence, verdict, lines in rejudged:
            if any(line["route"] not in payable(verdict) for line in lines):
                # A reversal line freezes the verdict: one that cannot be stored is undecided.
                ruleset = self.evaluation.ruleset(ruleset_key)
                verdict = self.evaluation.stored(ruleset, evidence, verdict)
            if verdict.undecided is not None:
                # Undecided is not "not met": reversing on it would take back a good result.
                held_back[str(verdict.undecided)] += 1
                continue
            met = payable(verdict)
            reversals.extend(
                Reversal(
                    line["id"],
                    evidence.family_id,
                    line["route"],
                    -line["amount_pence"],
                    ruleset_key,
                    line_sha256(evidence, verdict),
                    verdict,
                )
                for line in lines
                if line["route"] not in met
            )
        return reversals

    async def prepare(
        self,
        principal: Principal | None,
        actor: Actor,
        code: str,
        as_of: dt.date | None = None,
        window_id: int | None = None,
    ) -> dict[str, Any]:
        """A draft claim of every newly claimable result at `as_of` (or at the as-of date of
        an open claim window), with the near misses."""
        if (as_of is None) == (window_id is None):
            # Neither given is a date left blank, not two answers.
            both = as_of is not None
            message = (
                "Enter a date or choose a claim window, not both"
                if both
                else "Enter the date to claim results as of, or choose a claim window"
            )
            raise Invalid(
                "Give the date to claim at, or a claim window.",
                errors=[{"field": "window_id" if both else "as_of", "message": message}],
            )
        if window_id is not None:
            as_of = await self.window_as_of(principal, code, window_id)
        assert as_of is not None
        programme = await claims_programme(
            principal, code, Programme.ruleset_id, Programme.ruleset_config
        )
        ruleset = self.evaluation.ruleset(programme["ruleset_id"])
        overrides = ruleset_config_of(programme["ruleset_config"])
        prepared_at = dt.datetime.now(dt.UTC)
        families = (
            await Family.select(Family.id)
            .where(Family.programme == programme["id"])
            .order_by(Family.family_ref)
        )
        # Judged before the write transaction: a large cohort takes a while to evaluate.
        candidates: list[tuple[int, str, Verdict]] = []
        near_misses: list[dict[str, Any]] = []
        # Families a plugin failed on, by the fault: no line, no reversal, no fee for them.
        held_back: Counter[str] = Counter()
        fees = Decimal("0.00")
        judged = self.evaluation.judged(
            [row["id"] for row in families], ruleset, overrides, as_of, prepared_at
        )
        async for evidence, verdict in judged:
            if payable(verdict):
                # Its line freezes the verdict: one that cannot be stored is undecided.
                verdict = self.evaluation.stored(ruleset, evidence, verdict)
            if verdict.undecided is not None:
                held_back[str(verdict.undecided)] += 1
                continue
            fees += verdict.attachment_fee_gbp
            if payable(verdict):
                candidates.append((evidence.family_id, line_sha256(evidence, verdict), verdict))
            elif (miss := near_miss(verdict, ruleset.failing)) is not None:
                near_misses.append(miss)
        reversals = await self._reversals(programme["id"], prepared_at, held_back)
        plugins = self.evaluation.plugins
        async with write_transaction(self.engine):
            await take_turns(self.engine, f"claims:{code}")
            # Another preparation may have reversed some of these lines meanwhile.
            unreversed = {line["id"] for line in await self._unreversed(programme["id"])}
            reversals = [r for r in reversals if r.line_id in unreversed]
            # A family whose result is being reversed waits for the reversal's decision.
            waiting = await self._being_reversed(programme["id"])
            waiting.update(reversal.family_id for reversal in reversals)
            earlier = await live_claimed(programme["id"])
            before = await self._last_verdicts([family_id for family_id, *_ in candidates])
            lines = [
                (family_id, route, amount, sha256, verdict)
                for family_id, sha256, verdict in candidates
                if family_id not in waiting
                for route, amount in ruleset.claimable(verdict, earlier.get(family_id, {}))
                if amount > 0
            ]
            # Plugins' own checks hold a line back: it stays in the claim, excluded, with why.
            held = {
                (family_id, route): "; ".join(problems)
                for family_id, route, amount, _, verdict in lines
                if (
                    problems := plugins.check_claim_line(
                        ClaimLineCheck(
                            family_ref=verdict.family_ref,
                            route=route,
                            amount_pence=amount,
                            as_of=as_of,
                            ruleset=ruleset.key,
                        ),
                        verdict,
                    )
                )
            }
            if not lines and not reversals:
                raise Invalid(
                    f"No family has a newly claimable result at {as_of.isoformat()}, and no "
                    f"earlier result needs reversing; no claim was made.{_held_back(held_back)}"
                )
            number = await Claim.count().where(Claim.programme == programme["id"]) + 1
            claim_ref = f"{code}-{as_of.strftime('%Y%m%d')}-{number:03d}"
            [row] = await Claim.insert(
                Claim(
                    programme=programme["id"],
                    claim_ref=claim_ref,
                    as_of=as_of,
                    status="draft",
                    ruleset=ruleset.key,
                    ruleset_config=json.dumps(overrides),
                    near_misses=msgspec.json.encode(near_misses).decode(),
                    prepared_by=principal.user_id if principal else None,
                    prepared_at=prepared_at,
                    claim_window=window_id,
                    attachment_fees_pence=pence(fees),
                )
            ).returning(Claim.id)
            new_lines = [
                *(
                    ClaimLine(
                        claim=row["id"],
                        family=family_id,
                        route=route,
                        amount_pence=amount,
                        ruleset=ruleset.key,
                        verdict=verdict.to_json().decode(),
                        evidence_sha256=sha256,
                        is_live=(family_id, route) not in held,
                        excluded_reason=held.get((family_id, route)),
                    )
                    for family_id, route, amount, sha256, verdict in lines
                ),
                *(
                    ClaimLine(
                        claim=row["id"],
                        family=reversal.family_id,
                        route=reversal.route,
                        amount_pence=reversal.amount_pence,
                        ruleset=reversal.ruleset,
                        verdict=reversal.verdict.to_json().decode(),
                        evidence_sha256=reversal.evidence_sha256,
                        reverses=reversal.line_id,
                    )
                    for reversal in reversals
                ),
            ]
            # A statement takes at most 32,766 values on SQLite: a whole cohort's lines go in
            # batches.
            for start in range(0, len(new_lines), LINES_A_STATEMENT):
                await ClaimLine.insert(*new_lines[start : start + LINES_A_STATEMENT])
            await record(
                actor,
                "claim.prepare",
                "claim",
                row["id"],
                detail={
                    "as_of": as_of.isoformat(),
                    "lines": len(lines),
                    "held": len(held),
                    "reversals": len(reversals),
                    "undecided": sum(held_back.values()),
                },
            )
        for family_id, _, verdict in candidates:
            earlier_verdict = before.get(family_id)
            if earlier_verdict is None or _outcome(earlier_verdict) != _outcome(verdict):
                plugins.verdict_changed(verdict.family_ref, earlier_verdict, verdict)
        claim = await self.show(principal, actor, row["id"])
        claim["held_back"] = {
            "families": sum(held_back.values()),
            "because": [
                {"reason": reason, "families": count}
                for reason, count in sorted(held_back.items())
            ],
        }
        return claim

    async def _last_verdicts(self, family_ids: list[int]) -> dict[int, Verdict]:
        """Each family's verdict in its latest claim line, if it has one."""
        found: dict[int, Verdict] = {}
        for start in range(0, len(family_ids), 1_000):
            rows = (
                await ClaimLine.select(ClaimLine.family, ClaimLine.verdict)
                .where(ClaimLine.family.is_in(family_ids[start : start + 1_000]))
                .order_by(ClaimLine.id)
            )
            for row in rows:
                found[row["family"]] = Verdict.from_json(_text(row["verdict"]))
        return found

    # The lifecycle

    async def _transition(
        self,
        principal: Principal | None,
        actor: Actor,
        claim_id: int,
        allowed_from: tuple[str, ...],
        action: str,
    ) -> dict[str, Any]:
        """The claim, checked to be in one of `allowed_from`, inside the caller's transaction."""
        claim = await self._claim(principal, claim_id)
        if claim["status"] not in allowed_from:
            raise Conflict(
                f"Claim {claim['claim_ref']} is {claim['status']}; it can be {action} only when "
                f"{' or '.join(allowed_from)}."
            )
        return claim

    async def _line(self, claim_id: int, line_id: int) -> dict[str, Any]:
        line = (
            await ClaimLine.select()
            .where(ClaimLine.id == line_id, ClaimLine.claim == claim_id)
            .first()
        )
        if line is None:
            raise NotFound(f"Claim {claim_id} has no line {line_id}.")
        return dict(line)

    async def exclude_line(
        self, principal: Principal | None, actor: Actor, claim_id: int, line_id: int, reason: str
    ) -> dict[str, Any]:
        reason = _reason(reason)
        async with write_transaction(self.engine):
            await self._transition(principal, actor, claim_id, ("draft",), "changed")
            line = await self._line(claim_id, line_id)
            if not line["is_live"]:
                raise Conflict(f"Line {line_id} is already excluded.")
            await ClaimLine.update(
                {ClaimLine.is_live: False, ClaimLine.excluded_reason: reason}
            ).where(ClaimLine.id == line_id)
            await record(actor, "claim.line.exclude", "claim", claim_id, detail={"line": line_id})
        return await self.show(principal, actor, claim_id)

    async def draw_sample(
        self,
        principal: Principal | None,
        actor: Actor,
        claim_id: int,
        *,
        percent: int | None = None,
        count: int | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Mark a seeded random sample of the live lines for internal audit to sign off."""
        if (percent is None) == (count is None):
            raise Invalid(
                "Give either a percentage or a number of lines to sample.",
                errors=[
                    {
                        "field": "percent",
                        "message": "Enter a percentage or a number of lines, not both",
                    }
                ],
            )
        if percent is not None and not 1 <= percent <= 100:
            raise Invalid(
                "The sample is a percentage of the lines.",
                errors=[{"field": "percent", "message": "must be a whole number from 1 to 100"}],
            )
        if count is not None and count < 1:
            raise Invalid(
                "The sample needs at least one line.",
                errors=[{"field": "count", "message": "must be 1 or more"}],
            )
        seed = seed if seed is not None else secrets.randbelow(2**62)
        async with write_transaction(self.engine):
            await self._transition(principal, actor, claim_id, ("draft",), "sampled")
            ids = [
                row["id"]
                for row in await ClaimLine.select(ClaimLine.id)
                .where(ClaimLine.claim == claim_id, ClaimLine.is_live.eq(True))
                .order_by(ClaimLine.id)
            ]
            size = count if count is not None else math.ceil(len(ids) * (percent or 0) / 100)
            chosen = sorted(random.Random(seed).sample(ids, min(size, len(ids))))  # noqa: S311 - a reproducible audit sample, not a secret
            if not chosen:
                raise Conflict("The claim has no live lines to sample.")
            await ClaimLine.update({ClaimLine.sampled: True}).where(ClaimLine.id.is_in(chosen))
            spec = f"{percent}%" if percent is not None else str(count)
            await Claim.update(
                {
                    Claim.status: "sampled",
                    Claim.sample_seed: seed,
                    Claim.sample_spec: spec,
                    Claim.sample_drawn_at: dt.datetime.now(dt.UTC),
                }
            ).where(Claim.id == claim_id)
            await record(
                actor,
                "claim.sample",
                "claim",
                claim_id,
                detail={"spec": spec, "seed": seed, "lines": len(chosen)},
            )
        return await self.show(principal, actor, claim_id)

    async def sign_off(
        self,
        principal: Principal | None,
        actor: Actor,
        claim_id: int,
        line_id: int,
        auditor_id: int,
    ) -> dict[str, Any]:
        """An auditor signs off a sampled line; whoever prepared the claim may not, nor anyone
        while the line's query waits for the programme manager's answer."""
        async with write_transaction(self.engine):
            claim = await self._transition(principal, actor, claim_id, ("sampled",), "signed off")
            if claim["prepared_by"] == auditor_id:
                await record(
                    actor,
                    "claim.line.sign_off",
                    "claim",
                    claim_id,
                    allowed=False,
                    detail={"line": line_id, "why": "prepared the claim"},
                )
                raise Forbidden("Whoever prepared a claim cannot sign off its lines.")
            line = await self._line(claim_id, line_id)
            if not line["sampled"]:
                raise Conflict(f"Line {line_id} is not in the audit sample.")
            if line["signed_off_by"] is not None:
                raise Conflict(f"Line {line_id} is already signed off.")
            if any(query.open for query in await queries_of(claim_id, line_id)):
                raise Conflict(
                    "You cannot sign off the line until its query is answered by the "
                    "programme manager."
                )
            await ClaimLine.update(
                {
                    ClaimLine.signed_off_by: auditor_id,
                    ClaimLine.signed_off_at: dt.datetime.now(dt.UTC),
                }
            ).where(ClaimLine.id == line_id)
            await record(actor, "claim.line.sign_off", "claim", claim_id, detail={"line": line_id})
        return await self.show(principal, actor, claim_id)

    async def submit(
        self, principal: Principal | None, actor: Actor, claim_id: int
    ) -> dict[str, Any]:
        async with write_transaction(self.engine):
            await self._transition(principal, actor, claim_id, ("sampled",), "submitted")
            await refuse_open_queries(claim_id)
            waiting = await ClaimLine.count().where(
                ClaimLine.claim == claim_id,
                ClaimLine.sampled.eq(True),
                ClaimLine.signed_off_by.is_null(),
            )
            if waiting:
                raise Conflict(f"{waiting} sampled line(s) are not signed off yet.")
            await Claim.update(
                {
                    Claim.status: "submitted",
                    Claim.submitted_at: dt.datetime.now(dt.UTC),
                    Claim.submitted_by: principal.user_id if principal else None,
                }
            ).where(Claim.id == claim_id)
            await record(actor, "claim.submit", "claim", claim_id)
        return await self.show(principal, actor, claim_id)

    async def decide(
        self,
        principal: Principal | None,
        actor: Actor,
        claim_id: int,
        rejections: dict[int, str],
    ) -> dict[str, Any]:
        """Record the department's spot check: accepted, or some lines rejected with reasons.

        A rejected line leaves the live set, so its family and route can be claimed again; so
        does a line reversed by a reversal line that is not rejected.
        """
        reasons = {line_id: _reason(reason) for line_id, reason in rejections.items()}
        async with write_transaction(self.engine):
            await self._transition(principal, actor, claim_id, ("submitted",), "decided")
            for line_id, reason in reasons.items():
                line = await self._line(claim_id, line_id)
                if not line["is_live"]:
                    raise Conflict(f"Line {line_id} was not claimed (excluded).")
                await ClaimLine.update(
                    {ClaimLine.is_live: False, ClaimLine.rejected_reason: reason}
                ).where(ClaimLine.id == line_id)
            # An accepted reversal takes the line it reverses out of the live set: its family
            # and route can be claimed again.
            reversed_ids = [
                row["reverses"]
                for row in await ClaimLine.select(ClaimLine.reverses).where(
                    ClaimLine.claim == claim_id,
                    ClaimLine.is_live.eq(True),
                    ClaimLine.reverses.is_not_null(),
                )
            ]
            if reversed_ids:
                await ClaimLine.update({ClaimLine.is_live: False}).where(
                    ClaimLine.id.is_in(reversed_ids)
                )
            status = "partly_rejected" if reasons else "accepted"
            await Claim.update(
                {Claim.status: status, Claim.decided_at: dt.datetime.now(dt.UTC)}
            ).where(Claim.id == claim_id)
            await record(
                actor, f"claim.{status}", "claim", claim_id, detail={"rejected": sorted(reasons)}
            )
        return await self.show(principal, actor, claim_id)

    async def withdraw(
        self, principal: Principal | None, actor: Actor, claim_id: int, reason: str
    ) -> dict[str, Any]:
        reason = _reason(reason)
        async with write_transaction(self.engine):
            await self._transition(principal, actor, claim_id, ("draft", "sampled"), "withdrawn")
            await ClaimLine.update({ClaimLine.is_live: False}).where(ClaimLine.claim == claim_id)
            await Claim.update(
                {
                    Claim.status: "withdrawn",
                    Claim.withdrawn_at: dt.datetime.now(dt.UTC),
                    Claim.withdrawn_reason: reason,
                }
            ).where(Claim.id == claim_id)
            await record(actor, "claim.withdraw", "claim", claim_id)
        return await self.show(principal, actor, claim_id)

    # Export and re-verification

    async def export(self, principal: Principal | None, actor: Actor, claim_id: int) -> str:
        """The claim return: one row per claimed result, by family_ref then route."""
        claim = await self._claim(principal, claim_id)
        rows = [
            (
                claim["claim_ref"],
                claim["code"],
                line["ruleset"],
                line["family_ref"],
                line["route"],
                # A reversal gives back a result evaluated at its original claim's date.
                line["reverses_as_of"] or claim["as_of"],
                line["attached_on"],
                gbp(line["amount_pence"]),
                line["evidence_sha256"],
            )
            for line in await self._lines(claim_id)
            if line["excluded_reason"] is None
        ]
        await record(actor, "claim.export", "claim", claim_id)
        return csv_text(EXPORT_COLUMNS, rows)

    async def verify(
        self, principal: Principal | None, actor: Actor, claim_id: int
    ) -> list[Difference]:
        """Re-run every line from the evidence as known when the claim was prepared, with the
        stored rule set version and configuration; the lines whose verdict or evidence differ.

        A reversal line is re-run as it was made: at the date and with the rule set of the
        claim holding the line it reverses.
        """
        claim = await self._claim(principal, claim_id)
        lines = await ClaimLine.select(
            ClaimLine.id,
            ClaimLine.family,
            ClaimLine.route,
            ClaimLine.verdict,
            ClaimLine.evidence_sha256,
            ClaimLine.reverses,
            ClaimLine.family.family_ref.as_alias("family_ref"),
            _reversed_claim().as_of.as_alias("reverses_as_of"),
            _reversed_claim().ruleset.as_alias("reverses_ruleset"),
            _reversed_claim().ruleset_config.as_alias("reverses_ruleset_config"),
        ).where(ClaimLine.claim == claim_id)

        def judging_of(line: dict[str, Any]) -> tuple[str, Any, dt.date]:
            if line["reverses"] is None:
                return claim["ruleset"], claim["ruleset_config"], claim["as_of"]
            return (
                line["reverses_ruleset"],
                line["reverses_ruleset_config"],
                line["reverses_as_of"],
            )

        differences = []
        rejudged = self._rejudged(lines, judging_of, claim["prepared_at"])
        async for _, evidence, verdict, family_lines in rejudged:
            again = msgspec.json.decode(verdict.to_json())
            sha256 = line_sha256(evidence, verdict)
            met = payable(verdict)
            for line in family_lines:
                what = []
                if again != _json(line["verdict"]):
                    what.append("verdict")
                if sha256 != line["evidence_sha256"]:
                    what.append("evidence")
                if line["reverses"] is None and line["route"] not in met:
                    what.append("route no longer met")
                if line["reverses"] is not None and line["route"] in met:
                    what.append("reversed route is met")
                if what:
                    differences.append(
                        Difference(line["id"], line["family_ref"], line["route"], ", ".join(what))
                    )
        await record(
            actor, "claim.verify", "claim", claim_id, detail={"differences": len(differences)}
        )
        return differences
