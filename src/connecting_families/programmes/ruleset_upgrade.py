"""Moving a programme on to another version of its rule set, once its verdicts are compared.

A new version of a rule set changes who is turned around, and so what a claim may hold. A
programme manager first sees which families' results change (a dry run writes nothing), then
moves the programme; the move is audited, and totals judge every family again under the new
version. Only a programme's own rule set may be moved between its versions: another rule set
is another programme.
"""

from __future__ import annotations

import datetime as dt

import attrs

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import take_turns, write_transaction
from connecting_families.domain.dates import judging_day
from connecting_families.domain.rules import RuleSet
from connecting_families.domain.verdict import Verdict
from connecting_families.errors import Conflict, Invalid, field_error
from connecting_families.evaluation.service import EvaluationService
from connecting_families.programmes.service import ruleset_config_of, worked_programme
from connecting_families.programmes.tables import Programme

UNDECIDED = "could not be decided"


def outcome(verdict: Verdict) -> str:
    """A verdict's result in words, for comparing two versions' verdicts of a family."""
    if verdict.undecided is not None:
        return f"{UNDECIDED} ({verdict.undecided})"
    if not verdict.evaluated:
        return "not evaluated"
    if verdict.turned_around:
        return f"turned around ({', '.join(verdict.routes_met)})"
    if verdict.routes_met:
        return f"routes met ({', '.join(verdict.routes_met)})"
    return "eligible" if verdict.eligible else "not eligible"


@attrs.frozen
class FamilyChange:
    family_ref: str
    before: str
    after: str


@attrs.frozen
class RulesetUpgrade:
    """What moving `programme` from one version to another changes, and whether it moved."""

    programme: str
    before: str
    after: str
    as_of: dt.date
    families: int
    changes: tuple[FamilyChange, ...]
    moved: bool
    # Families the version asked for could not decide (a plugin failed): such a version is
    # compared, never moved to, since it would hold those families back from every claim.
    undecided: int = 0


def _counts(
    held: str, target: RuleSet, on: dt.date, families: int, changed: int, undecided: int = 0
) -> dict[str, object]:
    """What the audit log keeps of a comparison or a move: versions, the date and counts,
    never a family."""
    counts: dict[str, object] = {
        "from": held,
        "to": target.key,
        "as_of": on.isoformat(),
        "families": families,
        "changed": changed,
    }
    if undecided:
        counts["undecided"] = undecided
    return counts


class RulesetUpgrades:
    def __init__(self, evaluation: EvaluationService) -> None:
        self.evaluation = evaluation

    def _target(self, held: str, current: RuleSet, version: int) -> RuleSet:
        """The version asked for, of the programme's own rule set; refused clearly if it is
        not installed or is the one the programme is held to already (a programme on a bare
        id may be held to the version that judges it now)."""
        installed = sorted(
            r.version for r in self.evaluation.plugins.rulesets().values() if r.id == current.id
        )
        key = f"{current.id}@{version}"
        if version not in installed:
            versions = ", ".join(f"{current.id}@{v}" for v in installed)
            raise Invalid(
                f"There is no rule set {key} installed.",
                errors=[field_error("to", f"installed versions: {versions}")],
            )
        if key == held:
            raise Invalid(
                f"The programme is on {key} already.",
                errors=[field_error("to", "choose another version")],
            )
        target = self.evaluation.plugins.ruleset(key)
        assert target is not None
        return target

    async def upgrade(
        self,
        principal: Principal | None,
        actor: Actor,
        code: str,
        version: int,
        as_of: dt.date | None = None,
        *,
        dry_run: bool,
    ) -> RulesetUpgrade:
        """Every family's verdict at `as_of` (default: the programme's judging day today)
        under the programme's version and under `version`; then, unless `dry_run`, the
        programme moved to `version`."""
        programme = await worked_programme(
            principal, code, Programme.ruleset_id, Programme.ruleset_config, Programme.ends_on
        )
        held = programme["ruleset_id"]
        current = self.evaluation.ruleset(held)
        target = self._target(held, current, version)
        on = as_of or judging_day(programme["ends_on"], dt.datetime.now(dt.UTC).date())
        config = ruleset_config_of(programme["ruleset_config"])
        before = {
            verdict.family_ref: outcome(verdict)
            async for verdict in self.evaluation.verdicts(
                programme["id"], current, config, on, None
            )
        }
        after = {
            verdict.family_ref: outcome(verdict)
            async for verdict in self.evaluation.verdicts(
                programme["id"], target, config, on, None
            )
        }
        changes = tuple(
            FamilyChange(ref, before[ref], after[ref])
            for ref in sorted(before)
            if before[ref] != after.get(ref)
        )
        undecided = sum(1 for result in after.values() if result.startswith(UNDECIDED))
        if dry_run:
            # Every family's records were read to compare them: an auditor sees who did.
            await record(
                actor,
                "programme.ruleset.compare",
                "programme",
                code,
                detail=_counts(held, target, on, len(before), len(changes), undecided),
            )
        elif undecided:
            raise Invalid(
                f"{target.key} could not decide {undecided} of the programme's families, so "
                "the programme was not moved; run it with --dry-run to see which.",
                errors=[field_error("to", "a plugin failed while judging under this version")],
            )
        else:
            await self._move(actor, code, held, target, on, len(before), len(changes))
        return RulesetUpgrade(
            programme=code,
            before=current.key,
            after=target.key,
            as_of=on,
            families=len(before),
            changes=changes,
            moved=not dry_run,
            undecided=undecided,
        )

    async def _move(
        self,
        actor: Actor,
        code: str,
        held: str,
        target: RuleSet,
        on: dt.date,
        families: int,
        changed: int,
    ) -> None:
        async with write_transaction(self.evaluation.engine):
            await take_turns(self.evaluation.engine, f"programme:{code}")
            row = (
                await Programme.select(Programme.ruleset_id).where(Programme.code == code).first()
            )
            if row is None or row["ruleset_id"] != held:
                # Someone moved it while the verdicts were compared: compare again.
                raise Conflict(f"The programme's rule set changed from {held}; run it again.")
            await Programme.update(
                {
                    Programme.ruleset_id: target.key,
                    Programme.version: Programme.version + 1,
                    # Totals and kept verdicts judge every family again.
                    Programme.evidence_version: Programme.evidence_version + 1,
                }
            ).where(Programme.code == code)
            await record(
                actor,
                "programme.ruleset.upgrade",
                "programme",
                code,
                detail=_counts(held, target, on, families, changed),
            )
