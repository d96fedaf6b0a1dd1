"""Families: create, read, update, list and the status lifecycle.

Every method goes through the access policy (`family_scope`, `require_family`) and writes an
audit entry; every update names the version it was made against.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta
from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from connecting_families.access.policy import (
    FAMILY_WRITERS,
    KEY_WORKER,
    PROGRAMME_MANAGER,
    TEAM_MANAGER,
    Principal,
    family_scope,
)
from connecting_families.audit.service import Actor, record
from connecting_families.database.columns import next_version_values, placeholders
from connecting_families.database.engine import AnyEngine, read_by_key, write_transaction
from connecting_families.domain import dates
from connecting_families.domain.refs import ref_problem
from connecting_families.errors import (
    Conflict,
    Forbidden,
    Invalid,
    check_version,
    field_error,
    refuse_if,
)
from connecting_families.families.existence import audited_refusals, refuse_taken_ref
from connecting_families.families.scope import family_row, require_family, writing_family
from connecting_families.families.tables import Allocation, Family, FamilyStatusChange
from connecting_families.http_params import MAX_ID
from connecting_families.plans.closing import close_plans_with
from connecting_families.programmes.tables import Programme
from connecting_families.programmes.versions import evidence_changed

MAX_PAGE = 200
POSTCODE_LENGTH = 16  # Family.postcode
CLOSURE_REASONS = (
    "outcomes_met",
    "moved_away",
    "stepped_up",
    "disengaged",
    "declined",
    "transferred",
    "other",
)
RE_REFERRAL_WINDOW = relativedelta(months=12)
SORTS = {
    "id": ("id", True),
    "family_ref": ("family_ref", True),
    "-family_ref": ("family_ref", False),
    "identified_on": ("identified_on", True),
    "-identified_on": ("identified_on", False),
}


@attrs.frozen
class FamilySummary:
    """A family as lists show it."""

    id: int
    family_ref: str
    programme: str
    status: str
    ward: str | None
    postcode: str | None
    identified_on: dt.date
    key_worker: str | None


@attrs.frozen
class FamilyRecord:
    """One family with its current key worker."""

    id: int
    family_ref: str
    programme: str
    status: str
    postcode: str | None
    ward: str | None
    identified_on: dt.date
    attached_on: dt.date | None
    closed_on: dt.date | None
    closure_reason: str | None
    local_filter: bool
    expectant_parent: bool
    key_worker: str | None
    team: str | None
    version: int

    @classmethod
    def from_row(
        cls, row: dict[str, Any], key_worker: str | None, team: str | None
    ) -> FamilyRecord:
        return cls(
            id=row["id"],
            family_ref=row["family_ref"],
            programme=row["programme_code"],
            status=row["status"],
            postcode=row["postcode"],
            ward=row["ward"],
            identified_on=row["identified_on"],
            attached_on=row["attached_on"],
            closed_on=row["closed_on"],
            closure_reason=row["closure_reason"],
            local_filter=bool(row["local_filter"]),
            expectant_parent=bool(row["expectant_parent"]),
            key_worker=key_worker,
            team=team,
            version=row["version"],
        )


@attrs.frozen
class FamilyFilters:
    """What a family list may be narrowed by; every filter is optional."""

    programme: str | None = None
    key_worker: str | None = None
    team_id: int | None = None
    status: str | None = None
    ward: str | None = None
    postcode: str | None = None
    text: str | None = None
    # Only the families nobody is allocated to now.
    unallocated: bool = False
    sort: str = "id"
    cursor: str | None = None
    limit: int = 50


@attrs.frozen
class FamilyPage:
    families: tuple[FamilySummary, ...]
    next_cursor: str | None


@attrs.frozen
class FamilyDraft:
    programme: str
    family_ref: str
    identified_on: dt.date
    postcode: str | None = None
    ward: str | None = None
    local_filter: bool = False
    expectant_parent: bool = False


@attrs.frozen
class StatusChange:
    version: int
    status: str  # 'attached', 'closed' or 'reopened'
    on: dt.date
    reason: str | None = None


def validate_ref(field: str, value: str) -> list[dict[str, str]]:
    problem = ref_problem(value)
    return [field_error(field, problem)] if problem else []


EARLIEST_DATE = dt.date(1900, 1, 1)


def not_in_future(field: str, value: dt.date | None) -> list[dict[str, str]]:
    """A date that has happened: not in the future, and not before 1900."""
    if value is not None and value > dates.today():
        return [field_error(field, "must not be in the future")]
    if value is not None and value < EARLIEST_DATE:
        return [field_error(field, "must not be before 1900")]
    return []


def _encode_cursor(value: Any, row_id: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, dt.date) else value, row_id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str, column: str) -> tuple[Any, int]:
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if column == "identified_on":
            value = dt.date.fromisoformat(value)
        expected: type = {"id": int, "family_ref": str, "identified_on": dt.date}[column]
        if not isinstance(value, expected) or not isinstance(row_id, int):
            raise ValueError
        if not 0 <= row_id <= MAX_ID or (isinstance(value, int) and not 0 <= value <= MAX_ID):
            raise ValueError
        if isinstance(value, str) and len(value) > 64:
            raise ValueError
        return value, row_id
    except (ValueError, TypeError, binascii.Error) as exc:
        raise Invalid(
            "cursor: not a cursor this list gave out", errors=[field_error("cursor", "invalid")]
        ) from exc


async def current_allocations(family_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Family id -> (key worker's username, their team's name) for current allocations."""
    if not family_ids:
        return {}
    # A plain statement: every family read and list asks it. Only "{}" placeholders are
    # formatted in; the ids go as parameters.
    sql = (
        "SELECT a.family, u.username, t.name AS team FROM allocation a"  # noqa: S608
        " JOIN app_user u ON u.id = a.key_worker LEFT JOIN team t ON t.id = a.team"
        f" WHERE a.ended_at IS NULL AND a.family IN ({placeholders(family_ids)})"
    )
    rows = await read_by_key(QueryString(sql, *family_ids))
    return {row["family"]: (row["username"], row["team"]) for row in rows}


async def record_listed(actor: Actor, page: Sequence[dict[str, Any]]) -> None:
    """Audit a page of the family list: which families were listed, an entry per programme
    (so that each programme's auditors see the listing of its own families only)."""
    listed: dict[int | None, list[int]] = {}
    for row in page:
        listed.setdefault(row["programme_id"], []).append(row["id"])
    if not listed:
        listed[None] = []  # an empty page, about no programme
    for programme, ids in listed.items():
        detail = {"returned": len(ids), "families": ids}
        await record(actor, "family.list", "family", None, detail=detail, programme=programme)


class FamilyService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_families(
        self, principal: Principal, actor: Actor, filters: FamilyFilters
    ) -> FamilyPage:
        """The families in the caller's scope that match `filters`, one page at a time."""
        if filters.sort not in SORTS:
            raise Invalid(
                f"sort: must be one of {', '.join(SORTS)}",
                errors=[field_error("sort", "unknown sort")],
            )
        column_name, ascending = SORTS[filters.sort]
        column = getattr(Family, column_name)
        select = Family.select(
            Family.id,
            Family.family_ref,
            Family.programme.code.as_alias("programme_code"),
            Family.programme.as_alias("programme_id"),
            Family.status,
            Family.ward,
            Family.postcode,
            Family.identified_on,
        ).where(family_scope(principal, "read"))
        for condition in self.filter_conditions(filters):
            select = select.where(condition)
        if filters.cursor:
            value, last_id = _decode_cursor(filters.cursor, column_name)
            beyond = ">" if ascending else "<"
            select = select.where(
                WhereRaw(
                    f"(family.{column_name} {beyond} {{}}"
                    f" OR (family.{column_name} = {{}} AND family.id > {{}}))",
                    value,
                    value,
                    last_id,
                )
            )
        limit = min(max(filters.limit, 1), MAX_PAGE)
        rows = (
            await select.order_by(column, ascending=ascending).order_by(Family.id).limit(limit + 1)
        )
        page, more = rows[:limit], len(rows) > limit
        allocated = await current_allocations([row["id"] for row in page])
        await record_listed(actor, page)
        families = tuple(
            FamilySummary(
                id=row["id"],
                family_ref=row["family_ref"],
                programme=row["programme_code"],
                status=row["status"],
                ward=row["ward"],
                postcode=row["postcode"],
                identified_on=row["identified_on"],
                key_worker=allocated.get(row["id"], (None, None))[0],
            )
            for row in page
        )
        next_cursor = _encode_cursor(page[-1][column_name], page[-1]["id"]) if more else None
        return FamilyPage(families=families, next_cursor=next_cursor)

    @staticmethod
    def filter_conditions(filters: FamilyFilters) -> list[Any]:
        """Where clauses for the filters set (the caller adds the access scope)."""
        conditions: list[Any] = []
        if filters.programme:
            conditions.append(Family.programme.code == filters.programme)
        if filters.status:
            conditions.append(Family.status == filters.status)
        if filters.ward:
            conditions.append(Family.ward == filters.ward)
        if filters.postcode:
            prefix = filters.postcode.upper().replace("%", "").replace("_", "")
            conditions.append(Family.postcode.like(f"{prefix}%"))
        if filters.key_worker:
            conditions.append(
                WhereRaw(
                    "(family.id IN (SELECT a.family FROM allocation a JOIN app_user u"
                    " ON u.id = a.key_worker WHERE a.ended_at IS NULL AND u.username = {}))",
                    filters.key_worker,
                )
            )
        if filters.team_id is not None:
            conditions.append(
                WhereRaw(
                    "(family.id IN (SELECT a.family FROM allocation a JOIN app_user u"
                    " ON u.id = a.key_worker WHERE a.ended_at IS NULL AND u.team = {}))",
                    filters.team_id,
                )
            )
        if filters.unallocated:
            conditions.append(
                WhereRaw(
                    "(family.id NOT IN (SELECT a.family FROM allocation a"
                    " WHERE a.ended_at IS NULL))"
                )
            )
        if filters.text:
            needle = "%" + filters.text.lower().replace("%", "").replace("_", "") + "%"
            conditions.append(
                WhereRaw(
                    "(lower(family.family_ref) LIKE {} OR family.id IN (SELECT m.family"
                    " FROM membership m JOIN person p ON p.id = m.person"
                    " WHERE m.superseded_at IS NULL AND (lower(p.given_name) LIKE {}"
                    " OR lower(p.family_name) LIKE {})))",
                    needle,
                    needle,
                    needle,
                )
            )
        return conditions

    async def get_family(self, principal: Principal, actor: Actor, family_id: int) -> FamilyRecord:
        row = await require_family(principal, actor, family_id, "read")
        await record(actor, "family.read", "family", family_id)
        return await self.record_of(row)

    async def record_of(self, row: dict[str, Any]) -> FamilyRecord:
        """The family of a row `require_family` or `family_row` gave, with its key worker."""
        key_worker, team = (await current_allocations([row["id"]])).get(row["id"], (None, None))
        return FamilyRecord.from_row(row, key_worker, team)

    async def create_family(
        self, principal: Principal, actor: Actor, draft: FamilyDraft
    ) -> FamilyRecord:
        """Record a new family. A key worker who records one becomes its key worker.

        A `family_ref` the programme has already is named only if its family is in the
        caller's scope (see `families.existence`).
        """
        programme_id = await self.checked_programme(principal, draft)
        async with audited_refusals(actor), write_transaction(self.engine):
            family_id = await self.insert_family(principal, actor, programme_id, draft)
        row = await family_row(family_id)
        assert row is not None
        return await self.record_of(dict(row))

    @staticmethod
    async def checked_programme(principal: Principal, draft: FamilyDraft) -> int:
        """The id of the draft's programme, once the draft and the caller's right to record
        a family in it are checked (before any write)."""
        problems = validate_ref("family_ref", draft.family_ref)
        problems += not_in_future("identified_on", draft.identified_on)
        refuse_if(problems, "The family")
        programme = (
            await Programme.select(Programme.id).where(Programme.code == draft.programme).first()
        )
        if programme is None or programme["id"] not in principal.programme_ids:
            raise Invalid(
                "programme: not a programme you work in",
                errors=[field_error("programme", "unknown or not yours")],
            )
        if not principal.has_any(FAMILY_WRITERS):
            raise Forbidden("Your role does not allow recording families.")
        return int(programme["id"])

    @staticmethod
    async def insert_family(
        principal: Principal, actor: Actor, programme_id: int, draft: FamilyDraft
    ) -> int:
        """Inside the caller's write transaction (and `audited_refusals`): the family, its
        first status and, for a key worker, its allocation to them, audited; its id."""
        await evidence_changed(programme_id)  # first: see families.scope
        holder = (
            await Family.select(Family.id)
            .where(Family.programme == programme_id, Family.family_ref == draft.family_ref)
            .first()
        )
        if holder is not None:
            await refuse_taken_ref(principal, "family_ref", [holder["id"]], from_family=None)
        inserted = await Family.insert(
            Family(
                programme=programme_id,
                family_ref=draft.family_ref,
                identified_on=draft.identified_on,
                postcode=checked_postcode(draft.postcode),
                ward=draft.ward,
                local_filter=draft.local_filter,
                expectant_parent=draft.expectant_parent,
            )
        ).returning(Family.id)
        family_id = int(inserted[0]["id"])
        await FamilyStatusChange.insert(
            FamilyStatusChange(
                family=family_id,
                status="identified",
                changed_on=draft.identified_on,
                changed_by=principal.user_id,
            )
        )
        if KEY_WORKER in principal.roles and not principal.roles & {
            TEAM_MANAGER,
            PROGRAMME_MANAGER,
        }:
            await Allocation.insert(
                Allocation(
                    family=family_id,
                    key_worker=principal.user_id,
                    team=principal.team_id,
                    allocated_by=principal.user_id,
                )
            )
        await record(actor, "family.create", "family", family_id)
        return family_id

    async def update_family(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        version: int,
        changes: dict[str, Any],
    ) -> FamilyRecord:
        """Change the family's details; `changes` holds only the fields the caller sent."""
        problems = not_in_future("identified_on", changes.get("identified_on"))
        if "postcode" in changes:
            changes["postcode"] = checked_postcode(changes["postcode"])
        refuse_if(problems, "The change")
        # A correction of who and where the family is (its ref, postcode, dates) is data
        # quality, not casework: claims are checked against it after the case has closed.
        async with writing_family(
            self.engine, principal, actor, family_id, even_if_closed=True
        ) as row:
            check_version(version, row["version"], await self.record_of(row), "The family")
            identified_on = changes.get("identified_on", row["identified_on"])
            later = row["attached_on"] or row["closed_on"]
            if later and identified_on > later:
                raise Invalid(
                    "identified_on: must be on or before the attachment and closure dates",
                    errors=[field_error("identified_on", "after attached_on or closed_on")],
                )
            values = next_version_values(Family, changes, row["version"])
            await Family.update(values).where(Family.id == family_id)
            await record(
                actor, "family.update", "family", family_id, detail={"fields": sorted(changes)}
            )
            updated = await family_row(family_id)
        assert updated is not None
        return await self.record_of(dict(updated))

    async def change_status(
        self, principal: Principal, actor: Actor, family_id: int, change: StatusChange
    ) -> FamilyRecord:
        """Attach, close (with a reason) or reopen; a reopening within 12 months of closing
        is recorded as a re-referral."""
        refuse_if(not_in_future("on", change.on), "The status change")
        async with writing_family(
            self.engine, principal, actor, family_id, even_if_closed=True
        ) as row:
            check_version(change.version, row["version"], await self.record_of(row), "The family")
            changes, history = _transition(row, change)
            values = next_version_values(Family, changes, row["version"])
            await Family.update(values).where(Family.id == family_id)
            inserted = await FamilyStatusChange.insert(
                FamilyStatusChange(family=family_id, changed_by=principal.user_id, **history)
            )
            if change.status == "closed":
                await close_plans_with(family_id, inserted[0]["id"])
            await record(
                actor,
                f"family.{change.status}",
                "family",
                family_id,
                detail={"re_referral": history["is_re_referral"]},
            )
            updated = await family_row(family_id)
        assert updated is not None
        return await self.record_of(dict(updated))

    @staticmethod
    async def admit(principal: Principal, actor: Actor, row: dict[str, Any], on: dt.date) -> str:
        """Inside the caller's write transaction: the family (its fresh `family_row`) joins
        family help on `on`, as the front door decided; what changed (`attached`, `reopened`,
        or `none` for a family already open).

        The caller is the front door, which reads the programme's families but writes none
        of their casework: it checked its own scope, so this asks for no write scope. A
        reopening within 12 months of closing is a re-referral, as `change_status` says.
        """
        if row["status"] == "attached" or (row["status"] != "closed" and row["attached_on"]):
            return "none"
        status = "reopened" if row["status"] == "closed" else "attached"
        changes, history = _transition(row, StatusChange(row["version"], status, on))
        if status == "reopened" and not row["attached_on"]:
            changes |= {"status": "attached", "attached_on": on}
        await Family.update(next_version_values(Family, changes, row["version"])).where(
            Family.id == row["id"]
        )
        await FamilyStatusChange.insert(
            FamilyStatusChange(family=row["id"], changed_by=principal.user_id, **history)
        )
        await record(
            actor,
            f"family.{status}",
            "family",
            row["id"],
            detail={"re_referral": history["is_re_referral"], "by": "front_door"},
        )
        return status


def _transition(
    row: dict[str, Any], change: StatusChange
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The column values and the history row for a status change, or why it is refused."""
    status, on = row["status"], change.on
    history: dict[str, Any] = {
        "status": change.status,
        "changed_on": on,
        "reason": change.reason,
        "is_re_referral": False,
    }
    if change.status == "attached":
        if status != "identified" or row["attached_on"] is not None:
            raise Conflict(f"A family that is {status} cannot be attached.")
        if on < row["identified_on"]:
            raise Invalid(
                "on: attachment cannot be before identification",
                errors=[field_error("on", "before identified_on")],
            )
        return {"status": "attached", "attached_on": on}, history
    if change.status == "closed":
        if status == "closed":
            raise Conflict("The family is already closed.")
        if change.reason not in CLOSURE_REASONS:
            raise Invalid(
                f"reason: must be one of {', '.join(CLOSURE_REASONS)}",
                errors=[field_error("reason", f"must be one of {', '.join(CLOSURE_REASONS)}")],
            )
        start = row["attached_on"] or row["identified_on"]
        since = "the family was attached" if row["attached_on"] else "it was identified"
        if on < start:
            raise Invalid(
                "on: a closure cannot be before the family was attached or identified",
                errors=[field_error("on", f"must be on or after {_day(start)}, when {since}")],
            )
        return {
            "status": "closed",
            "closed_on": on,
            "closure_reason": change.reason,
        }, history
    if change.status == "reopened":
        if status != "closed":
            raise Conflict(f"Only a closed family can be reopened; this one is {status}.")
        if on < row["closed_on"]:
            raise Invalid(
                "on: a reopening cannot be before the closure",
                errors=[
                    field_error(
                        "on", f"must be on or after {_day(row['closed_on'])}, when it was closed"
                    )
                ],
            )
        history["is_re_referral"] = on < row["closed_on"] + RE_REFERRAL_WINDOW
        return {
            "status": "attached" if row["attached_on"] else "identified",
            "closed_on": None,
            "closure_reason": None,
        }, history
    raise Invalid(
        "status: must be attached, closed or reopened",
        errors=[field_error("status", "unknown status")],
    )


def _day(value: dt.date) -> str:
    """A date as a message says it: 5 March 2026."""
    return f"{value.day} {value:%B %Y}"


def postcode_of(value: str | None) -> str | None:
    return " ".join(value.upper().split()) if value else None


def checked_postcode(value: str | None) -> str | None:
    """`postcode_of`, refused when upper case made it longer than its column ("ß" is "SS")."""
    postcode = postcode_of(value)
    if postcode is not None and len(postcode) > POSTCODE_LENGTH:
        raise Invalid(
            "The postcode was refused; see errors.",
            errors=[field_error("postcode", f"is longer than {POSTCODE_LENGTH} characters")],
        )
    return postcode
