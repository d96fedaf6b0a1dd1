"""Kept verdicts (`evaluation.tables.KeptVerdict`): what a page shows of each family's result,
judged once and read back while nothing it was judged on has changed.

The rule: a kept verdict is current for a family when it was judged on the same day, at the
programme's current evidence version, at the family's current row version and by the same rule
set (key and version). Anything else is stale, and is judged again before the page shows it, so
a page never shows a stale result as current. The stamp is read before the evidence is loaded:
a write committed in between leaves the new verdict kept under the older stamp, which the next
read finds stale and judges again, never the other way round.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import attrs

from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.domain.verdict import Verdict
from connecting_families.evaluation.tables import KeptVerdict


@attrs.frozen
class Result:
    """What a page shows of a verdict: the result badge's three facts."""

    evaluated: bool
    eligible: bool
    turned_around: bool
    # A plugin failed while judging the family (`Verdict.undecided`): never kept, so a kept
    # result is always a decided one.
    undecided: bool = False

    @classmethod
    def of(cls, verdict: Verdict) -> Result:
        return cls(
            verdict.evaluated,
            verdict.eligible,
            verdict.turned_around,
            undecided=verdict.undecided is not None,
        )


@attrs.frozen
class Stamp:
    """What a family's verdict is judged on; a kept verdict is current while it is the same."""

    as_of: dt.date
    evidence_version: int
    family_version: int
    ruleset: str


async def kept_results(stamps: dict[int, Stamp]) -> dict[int, Result]:
    """The kept result of each family in `stamps` whose kept stamp is the one given."""
    if not stamps:
        return {}
    rows = await KeptVerdict.select(
        KeptVerdict.family,
        KeptVerdict.as_of,
        KeptVerdict.evidence_version,
        KeptVerdict.family_version,
        KeptVerdict.ruleset,
        KeptVerdict.evaluated,
        KeptVerdict.eligible,
        KeptVerdict.turned_around,
    ).where(
        KeptVerdict.family.is_in(list(stamps)),
        KeptVerdict.as_of.is_in(sorted({stamp.as_of for stamp in stamps.values()})),
    )
    found: dict[int, Result] = {}
    for row in rows:
        kept = Stamp(
            row["as_of"], int(row["evidence_version"]), int(row["family_version"]), row["ruleset"]
        )
        if stamps[row["family"]] == kept:
            found[row["family"]] = Result(
                bool(row["evaluated"]), bool(row["eligible"]), bool(row["turned_around"])
            )
    return found


async def keep(engine: AnyEngine, judged: dict[int, tuple[Stamp, Result]]) -> None:
    """Keep each family's new result under its stamp (one row per family and day), and drop
    the family's rows judged at an older evidence version: they can never be current again."""
    if not judged:
        return
    now = dt.datetime.now(dt.UTC)
    rows = [
        KeptVerdict(
            family=family_id,
            as_of=stamp.as_of,
            evidence_version=stamp.evidence_version,
            family_version=stamp.family_version,
            ruleset=stamp.ruleset,
            evaluated=result.evaluated,
            eligible=result.eligible,
            turned_around=result.turned_around,
            made_at=now,
        )
        for family_id, (stamp, result) in sorted(judged.items())
    ]
    by_version: dict[int, list[int]] = defaultdict(list)
    for family_id, (stamp, _) in judged.items():
        by_version[stamp.evidence_version].append(family_id)
    async with write_transaction(engine):
        await KeptVerdict.insert(*rows).on_conflict(
            target=(KeptVerdict.family, KeptVerdict.as_of),
            action="DO UPDATE",
            values=[
                KeptVerdict.evidence_version,
                KeptVerdict.family_version,
                KeptVerdict.ruleset,
                KeptVerdict.evaluated,
                KeptVerdict.eligible,
                KeptVerdict.turned_around,
                KeptVerdict.made_at,
            ],
        )
        for version, family_ids in sorted(by_version.items()):
            await KeptVerdict.delete().where(
                KeptVerdict.family.is_in(sorted(family_ids)),
                KeptVerdict.evidence_version < version,
            )
