"""The programme's verdicts at a date, judged once per evidence version and kept for totals.

See `reports.tables`. A run is made by judging every family of the programme (as known now)
and writing what totals count in bulk; an older evidence version's runs are dropped then, and
at most `KEEP_RUNS` runs are kept per programme.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connecting_families.database.bulk import Bulk
from connecting_families.database.engine import AnyEngine, take_turns, write_transaction
from connecting_families.domain.claims import payable, pence, worth
from connecting_families.evaluation.service import EvaluationService
from connecting_families.families.tables import Family
from connecting_families.programmes.service import ruleset_config_of
from connecting_families.reports.tables import VerdictFact, VerdictFamily, VerdictRun

KEEP_RUNS = 8


async def _existing(programme: dict[str, Any], as_of: dt.date, ruleset: str) -> int | None:
    row = (
        await VerdictRun.select(VerdictRun.id)
        .where(
            VerdictRun.programme == programme["id"],
            VerdictRun.as_of == as_of,
            VerdictRun.evidence_version == programme["evidence_version"],
            VerdictRun.ruleset == ruleset,
        )
        .first()
    )
    return None if row is None else int(row["id"])


async def _drop(run_ids: list[int]) -> None:
    if run_ids:
        await VerdictFact.delete().where(VerdictFact.run.is_in(run_ids))
        await VerdictFamily.delete().where(VerdictFamily.run.is_in(run_ids))
        await VerdictRun.delete().where(VerdictRun.id.is_in(run_ids))


async def verdict_run(
    engine: AnyEngine, evaluation: EvaluationService, programme: dict[str, Any], as_of: dt.date
) -> int:
    """The id of the run of `programme`'s verdicts at `as_of` for its current evidence.

    `programme` needs id, ruleset_id, ruleset_config and evidence_version.
    """
    ruleset = evaluation.ruleset(programme["ruleset_id"])
    found = await _existing(programme, as_of, ruleset.key)
    if found is not None:
        return found
    ids = [
        row["id"]
        for row in await Family.select(Family.id).where(Family.programme == programme["id"])
    ]
    families: list[tuple[Any, ...]] = []
    facts: list[tuple[Any, ...]] = []
    judged = evaluation.judged(
        ids, ruleset, ruleset_config_of(programme["ruleset_config"]), as_of, None
    )
    async for evidence, verdict in judged:
        family_id = evidence.family_id
        families.append(
            (family_id, verdict.eligible, verdict.turned_around, pence(verdict.attachment_fee_gbp))
        )
        # Each route met with a payment, with what the claim rules would pay for it (0 for
        # a route paid in another's stead): totals sum these, so a family meeting both of
        # tf2015's routes counts £800 once, as its claim would.
        paid = worth(verdict, ruleset.claimable)
        facts.extend((family_id, "route", route, paid.get(route, 0)) for route in payable(verdict))
        facts.extend(
            (family_id, "headline", headline, 0)
            for headline, flagged in verdict.flags.items()
            if flagged
        )
        if verdict.undecided is not None:
            # Totals count these apart, by the plugin that failed (`reports.totals.UNDECIDED`).
            facts.append((family_id, "undecided", verdict.undecided.plugin[:64], 0))
    async with write_transaction(engine) as transaction:
        await take_turns(engine, f"verdicts:{programme['id']}")
        found = await _existing(programme, as_of, ruleset.key)
        if found is not None:  # another request made it meanwhile
            return found
        older = await VerdictRun.select(VerdictRun.id).where(
            VerdictRun.programme == programme["id"],
            VerdictRun.evidence_version < programme["evidence_version"],
        )
        newest_first = (
            await VerdictRun.select(VerdictRun.id)
            .where(VerdictRun.programme == programme["id"])
            .order_by(VerdictRun.id, ascending=False)
        )
        await _drop(sorted({row["id"] for row in [*older, *newest_first[KEEP_RUNS - 1 :]]}))
        [run] = await VerdictRun.insert(
            VerdictRun(
                programme=programme["id"],
                as_of=as_of,
                evidence_version=programme["evidence_version"],
                ruleset=ruleset.key,
                made_at=dt.datetime.now(dt.UTC),
            )
        ).returning(VerdictRun.id)
        bulk = Bulk(transaction)
        run_id = int(run["id"])
        await bulk.insert(
            "verdict_family",
            ("run", "family", "eligible", "turned_around", "attachment_fee_pence"),
            [(run_id, *row) for row in families],
        )
        await bulk.insert(
            "verdict_fact",
            ("run", "family", "kind", "name", "amount_pence"),
            [(run_id, *row) for row in facts],
        )
    return run_id
