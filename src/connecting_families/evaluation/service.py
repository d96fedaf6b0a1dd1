"""Evaluating one family, or a whole programme, at a date as known at an instant."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import attrs
from piccolo.querystring import QueryString

from connecting_families.access.policy import Principal, family_scope
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine, database_url_of, read_by_key
from connecting_families.domain.claims import gbp, worth
from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.domain.rules import RuleContext, RuleSet
from connecting_families.domain.verdict import Verdict
from connecting_families.errors import Invalid, NotFound, Unavailable
from connecting_families.evaluation.judging import (
    DEFAULT_BUDGET_MS,
    ContainedJudge,
    guarded_context,
    log_undecided,
    owner,
    stored,
)
from connecting_families.evaluation.kept import Result, Stamp, keep, kept_results
from connecting_families.evaluation.loader import load_evidence
from connecting_families.evaluation.processes import evaluate_in_processes
from connecting_families.families.scope import require_family
from connecting_families.families.tables import Family
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.service import ruleset_config_of, worked_programme
from connecting_families.programmes.tables import Programme
from connecting_families.spreadsheets import Columns, csv_text

# Families loaded and judged together: memory stays bounded whatever the cohort.
CHUNK_FAMILIES = 1_000
CSV_COLUMNS: Columns = (
    ("family_ref", "text"),
    ("evaluated", "flag"),
    ("eligible", "flag"),
    ("turned_around", "flag"),
    ("routes_met", "text"),
    ("amount_gbp", "number"),
    ("reason", "text"),
)


@attrs.frozen
class ProgrammeEvaluation:
    programme: str
    ruleset: str
    as_of: dt.date
    known_at: dt.datetime | None
    families: int
    evaluated: int
    eligible: int
    turned_around: int
    routes: dict[str, int]
    # By route, what the claim rules would pay for the results met (`domain.claims.worth`).
    amounts_gbp: dict[str, Decimal]
    # Families no verdict could be given for, because a plugin failed: counted apart from
    # the others, and by the fault (`Undecided` in words: the plugin, what failed, how).
    undecided: int = 0
    undecided_by: dict[str, int] = attrs.Factory(dict)
    rows: tuple[tuple[Any, ...], ...] = attrs.field(repr=False, default=())

    def csv(self) -> str:
        """One line per family, in family_ref order."""
        return csv_text(CSV_COLUMNS, self.rows)

    @property
    def amount_gbp(self) -> Decimal:
        """What the claim rules would pay for every result met, with no earlier claim."""
        return sum(self.amounts_gbp.values(), Decimal("0.00"))


# The family's rule set and its programme's configuration of it: one plain statement, asked
# by every page that shows a verdict (a read by key runs at once, `read_by_key`).
_RULESET_SQL = """
SELECT programme.ruleset_id, programme.ruleset_config
FROM family JOIN programme ON programme.id = family.programme
WHERE family.id = {}
"""


# What a family's kept result is judged on (`evaluation.kept.Stamp`), with its rule set.
_STAMP_COLUMNS = (
    Family.id,
    Family.version,
    Family.programme.ruleset_id.as_alias("ruleset_id"),
    Family.programme.ruleset_config.as_alias("ruleset_config"),
    Family.programme.evidence_version.as_alias("evidence_version"),
)


def _judge_all(
    judge: ContainedJudge, families: list[FamilyEvidence], as_of: dt.date
) -> list[Verdict]:
    return [judge(evidence, as_of) for evidence in families]


class EvaluationService:
    def __init__(
        self, engine: AnyEngine, plugins: PluginHost, budget_ms: float = DEFAULT_BUDGET_MS
    ) -> None:
        self.engine = engine
        self.plugins = plugins
        # A family taking longer than this to judge is logged (`evaluation.judging`).
        self.budget_ms = budget_ms
        # The plugins' context with each criterion guarded, made again when the host's
        # criteria change (a test registering a plugin): (the criteria it was made of, it).
        self._guarded: tuple[object, RuleContext] | None = None

    def _context(self) -> RuleContext:
        context = self.plugins.context()
        if self._guarded is None or self._guarded[0] is not context.criteria:
            owners = {
                name: owner(self.plugins, "cf_register_criteria", name)
                for name in context.criteria
            }
            self._guarded = (context.criteria, guarded_context(context, owners))
        return self._guarded[1]

    def ruleset(self, ruleset_id: str) -> RuleSet:
        ruleset = self.plugins.ruleset(ruleset_id)
        if ruleset is None:
            raise Unavailable(
                f"The rule set {ruleset_id!r} is not installed (or its plugin is disabled)."
            )
        return ruleset

    def _judge_with(self, ruleset: RuleSet, overrides: dict[str, Any]) -> ContainedJudge:
        """A function judging families by `ruleset` configured with `overrides`, a plugin's
        failure leaving the family it happened on undecided (`evaluation.judging`).

        The configuration is checked once, here: a bad one refuses the whole evaluation.
        """
        context = self._context()
        problems = ruleset.config_problems(overrides, context)
        if problems:
            raise Invalid(
                f"The programme's configuration of {ruleset.key} is not valid.",
                errors=[{"field": f"ruleset_config.{f}", "message": m} for f, m in problems],
            )
        return ContainedJudge(
            ruleset,
            ruleset.configuration(overrides),
            context,
            plugin=owner(self.plugins, "cf_register_rulesets", ruleset.key),
            budget_ms=self.budget_ms,
        )

    def stored(self, ruleset: RuleSet, evidence: FamilyEvidence, verdict: Verdict) -> Verdict:
        """`verdict` if it can be stored (a claim line freezes it), else the family undecided:
        checked only where a verdict is stored, since encoding costs a tenth of the judging."""
        plugin = owner(self.plugins, "cf_register_rulesets", ruleset.key)
        return stored(plugin, ruleset, evidence, verdict)

    async def family_verdict(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        as_of: dt.date,
        instant: dt.datetime | None,
    ) -> Verdict:
        await require_family(principal, actor, family_id, "read")
        await record(
            actor,
            "family.verdict.read",
            "family",
            family_id,
            detail={
                "as_of": as_of.isoformat(),
                "known_at": instant.isoformat() if instant else None,
            },
        )
        return await self.verdict_of(family_id, as_of, instant)

    async def verdict_of(
        self, family_id: int, as_of: dt.date, instant: dt.datetime | None = None
    ) -> Verdict:
        """The family's verdict at `as_of` as known at `instant` (None: now). Unchecked and
        unaudited: for a caller that has checked and audited its read of the family (a
        service method, or `FamilyPageServices.open` for a page)."""
        rows = await read_by_key(QueryString(_RULESET_SQL, family_id))
        if not rows:
            raise NotFound(f"There is no family {family_id}.")
        family = rows[0]
        judge = self._judge_with(
            self.ruleset(family["ruleset_id"]), ruleset_config_of(family["ruleset_config"])
        )
        [evidence] = await load_evidence([family_id], instant)
        # Off the event loop: a slow plugin must not hold up every other request.
        verdict = await asyncio.to_thread(judge, evidence, as_of)
        # One family's verdict is sent whole (the API, the result page): it must encode.
        return judge.stored(evidence, verdict)

    async def caseload_verdicts(
        self, principal: Principal, actor: Actor, family_ids: list[int], as_of: dt.date
    ) -> dict[int, Result]:
        """The result at `as_of` of each family in `family_ids` the caller may read, kept or
        judged now where the kept one is stale (`evaluation.kept`): one audit entry for the
        lot, however many families a caseload page shows."""
        rows = await Family.select(*_STAMP_COLUMNS).where(
            Family.id.is_in(family_ids or [0]), family_scope(principal, "read")
        )
        await record(
            actor,
            "family.verdict.read",
            "family",
            None,
            detail={"as_of": as_of.isoformat(), "families": sorted(r["id"] for r in rows)},
        )
        return await self._results(rows, as_of)

    async def result_of(self, family_id: int, as_of: dt.date) -> Result:
        """The family's result at `as_of` (as known now), kept or judged now. Unchecked and
        unaudited, as `verdict_of` is."""
        rows = await Family.select(*_STAMP_COLUMNS).where(Family.id == family_id)
        if not rows:
            raise NotFound(f"There is no family {family_id}.")
        return (await self._results(rows, as_of))[family_id]

    async def _results(self, rows: list[dict[str, Any]], as_of: dt.date) -> dict[int, Result]:
        """Each family's kept result where it is current, the others judged now and kept.

        `rows` (their stamps) are read before any evidence: see `evaluation.kept`."""
        rulesets = {row["ruleset_id"]: self.ruleset(row["ruleset_id"]) for row in rows}
        stamps = {
            row["id"]: Stamp(
                as_of,
                int(row["evidence_version"]),
                int(row["version"]),
                rulesets[row["ruleset_id"]].key,
            )
            for row in rows
        }
        found = await kept_results(stamps)
        stale = [row for row in rows if row["id"] not in found]
        if not stale:
            return found
        judges = {
            row["id"]: self._judge_with(
                rulesets[row["ruleset_id"]], ruleset_config_of(row["ruleset_config"])
            )
            for row in stale
        }
        evidence = await load_evidence(list(judges), None)
        judged = await asyncio.to_thread(
            lambda: {e.family_id: Result.of(judges[e.family_id](e, as_of)) for e in evidence}
        )
        # An undecided result is not kept: it is judged again (and logged again) until the
        # plugin is mended or the evidence changes, never read back as a result.
        await keep(
            self.engine,
            {f: (stamps[f], result) for f, result in judged.items() if not result.undecided},
        )
        return found | judged

    async def judged(
        self,
        family_ids: list[int],
        ruleset: RuleSet,
        overrides: dict[str, Any],
        as_of: dt.date,
        instant: dt.datetime | None,
    ) -> AsyncIterator[tuple[FamilyEvidence, Verdict]]:
        """Each family's evidence as known at `instant` with its verdict, a chunk at a time."""
        judge = self._judge_with(ruleset, overrides)
        for start in range(0, len(family_ids), CHUNK_FAMILIES):
            chunk = await load_evidence(family_ids[start : start + CHUNK_FAMILIES], instant)
            # Off the event loop, a chunk at a time: pages and health checks go on meanwhile.
            verdicts = await asyncio.to_thread(_judge_all, judge, chunk, as_of)
            for evidence, verdict in zip(chunk, verdicts, strict=True):
                yield evidence, verdict

    async def verdicts(
        self,
        programme_id: int,
        ruleset: RuleSet,
        overrides: dict[str, Any],
        as_of: dt.date,
        instant: dt.datetime | None,
        workers: int = 0,
    ) -> AsyncIterator[Verdict]:
        """Every family's verdict, in family_ref order, a chunk of families at a time.

        With `workers`, that many worker processes load and judge the chunks; with none,
        this process does.
        """
        rows = (
            await Family.select(Family.id)
            .where(Family.programme == programme_id)
            .order_by(Family.family_ref)
        )
        ids = [row["id"] for row in rows]
        if workers <= 0:
            async for _, verdict in self.judged(ids, ruleset, overrides, as_of, instant):
                yield verdict
            return
        self._judge_with(ruleset, overrides)  # a bad configuration refuses before any work
        chunks = [
            ids[start : start + CHUNK_FAMILIES] for start in range(0, len(ids), CHUNK_FAMILIES)
        ]
        judged = evaluate_in_processes(
            workers,
            database_url_of(self.engine),
            self.plugins.disabled,
            chunks,
            instant,
            ruleset.key,
            ruleset.configuration(overrides),
            as_of,
            self.budget_ms,
        )
        async for verdicts in judged:
            for family_id, verdict in verdicts:
                # The workers leave their failures for this process to log, where logging is
                # set up.
                if verdict.undecided is not None:
                    log_undecided(family_id, ruleset.key, verdict.undecided)
                yield verdict

    async def evaluate_programme(
        self,
        principal: Principal | None,
        actor: Actor,
        code: str,
        as_of: dt.date,
        instant: dt.datetime | None,
        workers: int = 0,
    ) -> ProgrammeEvaluation:
        programme = await worked_programme(
            principal, code, Programme.ruleset_id, Programme.ruleset_config
        )
        ruleset = self.ruleset(programme["ruleset_id"])
        config = ruleset_config_of(programme["ruleset_config"])
        routes: Counter[str] = Counter()
        amounts: dict[str, Decimal] = {route: Decimal("0.00") for route in ruleset.routes}
        counts: Counter[str] = Counter()
        undecided: Counter[str] = Counter()
        rows = []
        verdicts = self.verdicts(programme["id"], ruleset, config, as_of, instant, workers)
        async for verdict in verdicts:
            counts["families"] += 1
            counts["evaluated"] += verdict.evaluated
            counts["eligible"] += verdict.eligible
            counts["turned_around"] += verdict.turned_around
            if verdict.undecided is not None:
                undecided[str(verdict.undecided)] += 1
            met = [r for r in verdict.routes if r.met and r.amount_gbp > 0]
            # A family's worth is what the claim rules would pay for it, not the sum of its
            # routes' amounts: tf2015 pays a family meeting both routes once.
            paid = worth(verdict, ruleset.claimable)
            for route in met:
                routes[route.route] += 1
            for name, amount in paid.items():
                amounts[name] += Decimal(amount) / 100
            rows.append(
                (
                    verdict.family_ref,
                    verdict.evaluated,
                    verdict.eligible,
                    verdict.turned_around,
                    " ".join(r.route for r in met),
                    gbp(sum(paid.values())),
                    verdict.reason,
                )
            )
        await record(
            actor,
            "programme.evaluate",
            "programme",
            code,
            detail={"as_of": as_of.isoformat(), "families": counts["families"]},
        )
        return ProgrammeEvaluation(
            programme=code,
            ruleset=ruleset.key,
            as_of=as_of,
            known_at=instant,
            families=counts["families"],
            evaluated=counts["evaluated"],
            eligible=counts["eligible"],
            turned_around=counts["turned_around"],
            routes={route: routes[route] for route in ruleset.routes},
            amounts_gbp=amounts,
            undecided=sum(undecided.values()),
            undecided_by=dict(sorted(undecided.items())),
            rows=tuple(rows),
        )
