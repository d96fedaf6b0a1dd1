"""Programmes: an authority's run of a rule set, its targets and its child population."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from connecting_families.access.policy import ADMIN, Principal
from connecting_families.audit.service import Actor, record
from connecting_families.database.columns import next_version_values
from connecting_families.database.engine import AnyEngine, take_turns, write_transaction
from connecting_families.domain.refs import CODE_MAX_LENGTH, ref_problem
from connecting_families.errors import Conflict, NotFound, check_version, field_error, refuse_if
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.tables import ChildPopulation, Programme


@attrs.frozen
class ProgrammeRecord:
    code: str
    name: str
    local_authority: str
    ruleset_id: str
    ruleset_config: dict[str, Any]
    starts_on: dt.date | None
    ends_on: dt.date | None
    target_families: int | None
    assessment_timescale_days: int
    assessment_rate_target: float | None
    child_population: dict[str, int]
    version: int
    assessment_without_consent: bool = False
    contact_decision_days: int = 1


@attrs.frozen
class ProgrammeDraft:
    code: str
    name: str
    local_authority: str
    ruleset_id: str
    ruleset_config: dict[str, Any] = attrs.Factory(dict)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    target_families: int | None = None
    assessment_timescale_days: int = 45
    assessment_rate_target: Decimal | None = None
    child_population: dict[str, int] = attrs.Factory(dict)
    assessment_without_consent: bool = False
    contact_decision_days: int = 1


def _problems(values: dict[str, Any]) -> list[dict[str, str]]:
    problems = []
    code = values.get("code")
    if code is not None and (problem := ref_problem(code, CODE_MAX_LENGTH)):
        problems.append(field_error("code", problem))
    for field, limit in (("name", 200), ("local_authority", 200)):
        if field in values and not 1 <= len(values[field].strip()) <= limit:
            problems.append(field_error(field, f"1-{limit} characters"))
    if (
        values.get("starts_on")
        and values.get("ends_on")
        and values["ends_on"] < values["starts_on"]
    ):
        problems.append(field_error("ends_on", "before starts_on"))
    if (values.get("target_families") or 0) < 0:
        problems.append(field_error("target_families", "must not be negative"))
    if (
        "assessment_timescale_days" in values
        and not 1 <= values["assessment_timescale_days"] <= 365
    ):
        problems.append(field_error("assessment_timescale_days", "1-365 working days"))
    if "contact_decision_days" in values and not 1 <= values["contact_decision_days"] <= 30:
        problems.append(field_error("contact_decision_days", "1-30 working days"))
    for year, children in (values.get("child_population") or {}).items():
        if not (re.fullmatch(r"[0-9]{4}", str(year)) and 1990 <= int(year) <= 2100):
            problems.append(
                field_error(f"child_population.{year}", "must be a year from 1990 to 2100")
            )
        elif children < 0:
            problems.append(field_error(f"child_population.{year}", "must be 0 or more"))
    return problems


def _changed_names(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The overrides that differ between two configurations, by name."""
    return sorted(name for name in {*before, *after} if before.get(name) != after.get(name))


def rate_target(value: float | Decimal | None) -> Decimal | None:
    """A target rate per 10,000 children, to one decimal place."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


class ProgrammeService:
    def __init__(self, engine: AnyEngine, plugins: PluginHost) -> None:
        self.engine = engine
        self.plugins = plugins

    async def _record(self, code: str) -> ProgrammeRecord:
        row = await Programme.select().where(Programme.code == code).first()
        if row is None:
            raise NotFound(f"There is no programme {code!r}, or it is not yours.")
        population = (
            await ChildPopulation.select(ChildPopulation.year, ChildPopulation.children)
            .where(ChildPopulation.programme == row["id"])
            .order_by(ChildPopulation.year)
        )
        config = row["ruleset_config"]
        return ProgrammeRecord(
            code=row["code"],
            name=row["name"],
            local_authority=row["local_authority"],
            ruleset_id=row["ruleset_id"],
            ruleset_config=config if isinstance(config, dict) else _json(config),
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            target_families=row["target_families"],
            assessment_timescale_days=row["assessment_timescale_days"],
            assessment_rate_target=None
            if row["assessment_rate_target"] is None
            else float(row["assessment_rate_target"]),
            child_population={str(p["year"]): p["children"] for p in population},
            version=row["version"],
            assessment_without_consent=bool(row["assessment_without_consent"]),
            contact_decision_days=row["contact_decision_days"],
        )

    async def _visible_codes(self, principal: Principal | None) -> set[str] | None:
        """Codes the caller may see; None means all (an admin or the local operator)."""
        if principal is None or ADMIN in principal.roles:
            return None
        rows = await Programme.select(Programme.code).where(
            Programme.id.is_in(list(principal.programme_ids) or [0])
        )
        return {row["code"] for row in rows}

    async def list_programmes(self, principal: Principal | None) -> list[ProgrammeRecord]:
        visible = await self._visible_codes(principal)
        codes = [
            r["code"] for r in await Programme.select(Programme.code).order_by(Programme.code)
        ]
        return [await self._record(c) for c in codes if visible is None or c in visible]

    async def get_programme(self, principal: Principal | None, code: str) -> ProgrammeRecord:
        visible = await self._visible_codes(principal)
        if visible is not None and code not in visible:
            raise NotFound(f"There is no programme {code!r}, or it is not yours.")
        return await self._record(code)

    def _ruleset_problems(self, values: dict[str, Any]) -> list[dict[str, str]]:
        """The rule set must be installed, and the configuration valid for it."""
        ruleset = self.plugins.ruleset(values["ruleset_id"])
        if ruleset is None:
            installed = ", ".join(self.plugins.ruleset_ids()) or "none"
            return [field_error("ruleset_id", f"is not an installed rule set ({installed})")]
        config = values.get("ruleset_config") or {}
        if not isinstance(config, dict):
            return [field_error("ruleset_config", "must be a JSON object")]
        return [
            field_error(f"ruleset_config.{field}", message)
            for field, message in ruleset.config_problems(config, self.plugins.context())
        ]

    async def create_programme(self, actor: Actor, draft: ProgrammeDraft) -> ProgrammeRecord:
        values = attrs.asdict(draft)
        refuse_if(_problems(values) + self._ruleset_problems(values), "The programme")
        # Held to the version it is created on (`programmes.ruleset_versions`).
        ruleset = self.plugins.ruleset(draft.ruleset_id)
        assert ruleset is not None  # refused above otherwise
        async with write_transaction(self.engine):
            if await Programme.exists().where(Programme.code == draft.code):
                raise Conflict(
                    f"A programme with the code {draft.code!r} exists already.",
                    errors=[field_error("code", "already used")],
                )
            inserted = await Programme.insert(
                Programme(
                    code=draft.code,
                    name=draft.name.strip(),
                    local_authority=draft.local_authority.strip(),
                    ruleset_id=ruleset.key,
                    ruleset_config=draft.ruleset_config,
                    starts_on=draft.starts_on,
                    ends_on=draft.ends_on,
                    target_families=draft.target_families,
                    assessment_timescale_days=draft.assessment_timescale_days,
                    assessment_rate_target=draft.assessment_rate_target,
                    assessment_without_consent=draft.assessment_without_consent,
                    contact_decision_days=draft.contact_decision_days,
                )
            ).returning(Programme.id)
            await self._set_population(inserted[0]["id"], draft.child_population)
            await record(actor, "programme.create", "programme", draft.code)
        return await self._record(draft.code)

    async def _set_population(self, programme_id: int, population: dict[str, int]) -> None:
        for year, children in population.items():
            await ChildPopulation.delete().where(
                ChildPopulation.programme == programme_id, ChildPopulation.year == int(year)
            )
            await ChildPopulation.insert(
                ChildPopulation(programme=programme_id, year=int(year), children=children)
            )

    async def check_change(
        self, principal: Principal | None, code: str, changes: dict[str, Any]
    ) -> ProgrammeRecord:
        """The programme as it is, once `changes` are found right for it; otherwise `Invalid`
        naming every field that is wrong. Nothing is saved: a page asks before it confirms."""
        current = await self.get_programme(principal, code)
        merged = {**attrs.asdict(current), **changes}
        merged.pop("code")
        refuse_if(_problems(merged) + self._ruleset_problems(merged), "The change")
        return current

    async def update_programme(
        self, principal: Principal, actor: Actor, code: str, version: int, changes: dict[str, Any]
    ) -> ProgrammeRecord:
        await self.check_change(principal, code, changes)
        async with write_transaction(self.engine):
            await take_turns(self.engine, f"programme:{code}")
            current = await self._record(code)
            check_version(version, current.version, current, "The programme")
            population = changes.pop("child_population", None)
            if "assessment_rate_target" in changes:
                changes["assessment_rate_target"] = rate_target(changes["assessment_rate_target"])
            values = next_version_values(Programme, changes, current.version)
            # Totals judge families again under the new configuration.
            values[Programme.evidence_version] = Programme.evidence_version + 1
            await Programme.update(values).where(Programme.code == code)
            if population:
                row = await Programme.select(Programme.id).where(Programme.code == code).first()
                assert row is not None
                await self._set_population(row["id"], population)
            detail: dict[str, Any] = {
                "fields": sorted([*changes, *(["child_population"] if population else [])])
            }
            if "ruleset_config" in changes:
                # Which of the rule set's settings changed: their names, never their values.
                detail["settings"] = _changed_names(
                    current.ruleset_config, changes["ruleset_config"]
                )
            await record(actor, "programme.update", "programme", code, detail=detail)
        return await self._record(code)


async def visible_programme(
    principal: Principal | None, code: str, *columns: Any
) -> dict[str, Any]:
    """The programme's `columns` (and id) if the caller works in it (or is an admin or the
    local operator); otherwise `NotFound`, the same for a programme that does not exist."""
    row = await Programme.select(Programme.id, *columns).where(Programme.code == code).first()
    visible = (
        principal is None
        or ADMIN in principal.roles
        or (row is not None and row["id"] in principal.programme_ids)
    )
    if row is None or not visible:
        raise NotFound(f"There is no programme {code!r}, or it is not yours.")
    return dict(row)


async def worked_programme(
    principal: Principal | None, code: str, *columns: Any
) -> dict[str, Any]:
    """As `visible_programme`, for a programme's family data (imports, evaluations, claims):
    only a programme the caller works in, since being an administrator opens no family data
    (`access.policy`), whatever other roles the administrator has."""
    if principal is not None:
        principal = attrs.evolve(principal, roles=principal.roles - {ADMIN})
    return await visible_programme(principal, code, *columns)


async def programme_ends(codes: Iterable[str]) -> dict[str, dt.date | None]:
    """Each programme's last day (None for none), by code, unchecked: for pages that judge
    families the caller has already been shown on their programme's judging day
    (`dates.judging_day`)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await Programme.select(Programme.code, Programme.ends_on).where(
        Programme.code.is_in(wanted)
    )
    return {row["code"]: row["ends_on"] for row in rows}


def ruleset_config_of(value: Any) -> dict[str, Any]:
    """A stored `ruleset_config` as a dict (SQLite hands JSON back as text)."""
    if isinstance(value, dict):
        return value
    return _json(value)


def _json(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str) and value else {}
    return loaded if isinstance(loaded, dict) else {}
