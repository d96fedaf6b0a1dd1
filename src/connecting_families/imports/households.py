"""Importing `families.csv` and `people.csv`: the households everything else refers to.

Families and people are records the service keeps up to date (with a version), not
append-and-supersede evidence: a changed row updates them. A person's membership of a
household is append-and-supersede, like evidence. These files are a council's caseload
(thousands of rows, not millions), so they are written through Piccolo.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connecting_families.access.policy import KEY_WORKER
from connecting_families.accounts.tables import User, UserProgramme, UserRole
from connecting_families.families.service import postcode_of
from connecting_families.families.tables import (
    Allocation,
    Family,
    FamilyStatusChange,
    Membership,
    Person,
)
from connecting_families.imports.cells import (
    CellError,
    one_of,
    parse_boolean,
    parse_date,
    parse_ni_number,
    parse_ref,
    parse_upn,
    text_up_to,
)
from connecting_families.imports.counts import Counts
from connecting_families.imports.reader import Column, CsvFile
from connecting_families.imports.references import References

Validated = list[tuple[int, dict[str, Any]]]


def parse_postcode(text: str) -> str | None:
    """A postcode as it is stored (upper case, single spaces), at most 16 characters then:
    upper case can make a word longer ("ß" is "SS")."""
    value = postcode_of(text)
    if value is not None and len(value) > 16:
        raise CellError("is longer than 16 characters")
    return value or None


COLUMNS: dict[str, tuple[Column, ...]] = {
    "families": (
        Column("family_ref", parse_ref, required=True),
        Column("programme", text_up_to(32), required=True),
        Column("postcode", parse_postcode),
        Column("ward", text_up_to(100)),
        Column("key_worker", text_up_to(64)),
        Column("identified_on", parse_date, required=True),
        Column("attached_on", parse_date),
        Column("closed_on", parse_date),
        Column("closure_reason", text_up_to(64)),
        Column("local_filter", parse_boolean),
        Column("expectant_parent", parse_boolean),
    ),
    "people": (
        Column("person_ref", parse_ref, required=True),
        Column("family_ref", parse_ref, required=True),
        Column("given_name", text_up_to(100), required=True),
        Column("family_name", text_up_to(100), required=True),
        Column("date_of_birth", parse_date, required=True),
        Column("sex", one_of("female", "male", "other", "unknown")),
        Column("role", one_of("adult", "child"), required=True),
        Column("upn", parse_upn),
        Column("ni_number", parse_ni_number),
        Column("joined_on", parse_date),
        Column("left_on", parse_date),
    ),
}

FAMILY_FIELDS = (
    "postcode",
    "ward",
    "identified_on",
    "attached_on",
    "closed_on",
    "closure_reason",
    "local_filter",
    "expectant_parent",
    "status",
)
PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "upn", "ni_number")
MEMBERSHIP_FIELDS = ("role", "joined_on", "left_on")


async def _key_workers(programme_id: int) -> dict[str, tuple[int, int | None]]:
    """Active key workers of the programme: username → (user id, team)."""
    rows = await User.select(User.id, User.username, User.team).where(
        User.is_active.eq(True),
        User.id.is_in(UserRole.select(UserRole.user).where(UserRole.role == KEY_WORKER)),
        User.id.is_in(
            UserProgramme.select(UserProgramme.user).where(UserProgramme.programme == programme_id)
        ),
    )
    return {row["username"]: (row["id"], row["team"]) for row in rows}


async def validate_families(csv_file: CsvFile, refs: References) -> Validated:
    key_workers = await _key_workers(refs.programme_id)
    validated: Validated = []
    first_line: dict[str, int] = {}
    for row in csv_file.rows():
        v = row.values
        good = refs.in_order(row, "identified_on", "attached_on", "closed_on")
        good = refs.not_future(row, "identified_on", "attached_on", "closed_on") and good
        if v["programme"] != refs.programme_code:
            refs.problems.add(
                row.line, "programme", f"is not {refs.programme_code}, the programme imported into"
            )
            good = False
        if v["closure_reason"] is not None and v["closed_on"] is None:
            refs.problems.add(row.line, "closure_reason", "is given but closed_on is empty")
            good = False
        key_worker = None
        if v["key_worker"] is not None:
            key_worker = key_workers.get(v["key_worker"])
            if key_worker is None:
                refs.problems.add(
                    row.line,
                    "key_worker",
                    f"is not the username of an active key worker of {refs.programme_code}",
                )
                good = False
        earlier = first_line.setdefault(v["family_ref"], row.line)
        if earlier != row.line:
            refs.problems.add(row.line, "family_ref", f"repeats line {earlier}")
            good = False
        if not good:
            continue
        status = "closed" if v["closed_on"] else "attached" if v["attached_on"] else "identified"
        validated.append(
            (
                row.line,
                {
                    "family_ref": v["family_ref"],
                    "postcode": postcode_of(v["postcode"]),
                    "ward": v["ward"],
                    "identified_on": v["identified_on"],
                    "attached_on": v["attached_on"],
                    "closed_on": v["closed_on"],
                    "closure_reason": v["closure_reason"],
                    "local_filter": bool(v["local_filter"]),
                    "expectant_parent": bool(v["expectant_parent"]),
                    "status": status,
                    "key_worker": key_worker,
                },
            )
        )
    return validated


async def apply_families(
    refs: References, validated: Validated, run_id: int | None, *, write: bool
) -> Counts:
    existing = {
        row["family_ref"]: row
        for row in await Family.select(
            Family.id,
            Family.family_ref,
            Family.version,
            *[getattr(Family, name) for name in FAMILY_FIELDS],
        ).where(Family.programme == refs.programme_id)
    }
    allocated = {
        row["family"]: row
        for row in await Allocation.select(Allocation.id, Allocation.family, Allocation.key_worker)
        .where(Allocation.ended_at.is_null())
        .where(Allocation.family.is_in([row["id"] for row in existing.values()] or [0]))
    }
    counts = Counts()
    now = dt.datetime.now(dt.UTC)
    for _, values in validated:
        current = existing.get(values["family_ref"])
        fields = {name: values[name] for name in FAMILY_FIELDS}
        key_worker = values["key_worker"]
        if current is None:
            counts.inserted += 1
            if write:
                inserted = await Family.insert(
                    Family(
                        programme=refs.programme_id,
                        family_ref=values["family_ref"],
                        import_run=run_id,
                        created_at=now,
                        updated_at=now,
                        **fields,
                    )
                ).returning(Family.id)
                family_id = inserted[0]["id"]
                await _record_status(family_id, values, now)
                await _allocate(family_id, key_worker, None, now)
            continue
        allocation = allocated.get(current["id"])
        reallocate = key_worker is not None and (
            allocation is None or allocation["key_worker"] != key_worker[0]
        )
        changed = {name: value for name, value in fields.items() if current[name] != value}
        if not changed and not reallocate:
            counts.unchanged += 1
            continue
        counts.superseded += 1
        if not write:
            continue
        if changed:
            changes: dict[Any, Any] = {
                **changed,
                "import_run": run_id,
                "updated_at": now,
                "version": current["version"] + 1,
            }
            await Family.update(changes).where(Family.id == current["id"])
        if "status" in changed:
            await _record_status(current["id"], values, now)
        if reallocate:
            await _allocate(current["id"], key_worker, allocation, now)
    return counts


async def _record_status(family_id: int, values: dict[str, Any], now: dt.datetime) -> None:
    status = values["status"]
    changed_on = values[
        {"identified": "identified_on", "attached": "attached_on"}.get(status, "closed_on")
    ]
    await FamilyStatusChange.insert(
        FamilyStatusChange(
            family=family_id,
            status=status,
            changed_on=changed_on,
            reason=values["closure_reason"] if status == "closed" else None,
            changed_at=now,
        )
    )


async def _allocate(
    family_id: int,
    key_worker: tuple[int, int | None] | None,
    current: dict[str, Any] | None,
    now: dt.datetime,
) -> None:
    if key_worker is None:
        return
    if current is not None:
        await Allocation.update({Allocation.ended_at: now}).where(Allocation.id == current["id"])
    await Allocation.insert(
        Allocation(
            family=family_id,
            key_worker=key_worker[0],
            team=key_worker[1],
            started_at=now,
            reason="import",
        )
    )


async def validate_people(csv_file: CsvFile, refs: References) -> Validated:
    validated: Validated = []
    first_line: dict[tuple[str, str], int] = {}
    person_line: dict[str, tuple[int, tuple[Any, ...]]] = {}
    identifier_owner: dict[tuple[str, str], str] = {}
    for row in csv_file.rows():
        v = row.values
        family = refs.family(row)
        good = family is not None
        good = refs.in_order(row, "joined_on", "left_on") and good
        good = refs.not_future(row, "date_of_birth", "joined_on") and good
        if v["left_on"] is not None and v["joined_on"] == v["left_on"]:
            refs.problems.add(row.line, "left_on", "must be after joined_on")
            good = False
        details = tuple(v[name] for name in PERSON_FIELDS)
        earlier = first_line.setdefault((v["person_ref"], v["family_ref"]), row.line)
        if earlier != row.line:
            refs.problems.add(row.line, "person_ref", f"repeats line {earlier} (same family_ref)")
            good = False
        seen = person_line.setdefault(v["person_ref"], (row.line, details))
        if seen[1] != details:
            refs.problems.add(row.line, "person_ref", f"has different details from line {seen[0]}")
            good = False
        for column, lookup in (("upn", refs.by_upn), ("ni_number", refs.by_ni_number)):
            value = v[column]
            if value is None:
                continue
            owner = identifier_owner.setdefault((column, value), v["person_ref"])
            others = [p for p in lookup.get(value, []) if p != refs.people.get(v["person_ref"])]
            if owner != v["person_ref"] or others:
                refs.problems.add(row.line, column, "is already another person's")
                good = False
        if good:
            validated.append((row.line, {**v, "family": family}))
    return validated


async def apply_people(
    refs: References, validated: Validated, run_id: int | None, *, write: bool
) -> Counts:
    people = {
        row["person_ref"]: row
        for row in await Person.select(
            Person.id,
            Person.person_ref,
            Person.version,
            *[getattr(Person, name) for name in PERSON_FIELDS],
        ).where(Person.programme == refs.programme_id)
    }
    memberships = {
        (row["person"], row["family"]): row
        for row in await Membership.select().where(
            Membership.programme == refs.programme_id, Membership.superseded_at.is_null()
        )
    }
    counts = Counts()
    now = dt.datetime.now(dt.UTC)
    done_people: dict[str, int] = {}
    for _, values in validated:
        person = people.get(values["person_ref"])
        details = {name: values[name] for name in PERSON_FIELDS}
        person_changed = person is not None and any(
            person[name] != value for name, value in details.items()
        )
        person_id: int | None = done_people.get(values["person_ref"]) or (
            person["id"] if person is not None else None
        )
        if write and person_id is None:
            inserted = await Person.insert(
                Person(
                    programme=refs.programme_id,
                    person_ref=values["person_ref"],
                    import_run=run_id,
                    created_at=now,
                    updated_at=now,
                    **details,
                )
            ).returning(Person.id)
            person_id = inserted[0]["id"]
        elif write and person_changed and values["person_ref"] not in done_people:
            assert person is not None
            changes: dict[Any, Any] = {
                **details,
                "import_run": run_id,
                "updated_at": now,
                "version": person["version"] + 1,
            }
            await Person.update(changes).where(Person.id == person["id"])
        if person_id is not None:
            done_people[values["person_ref"]] = person_id
        membership = {name: values[name] for name in MEMBERSHIP_FIELDS}
        current = memberships.get((person_id, values["family"])) if person_id else None
        member_changed = current is None or any(
            current[name] != value for name, value in membership.items()
        )
        if person is None:
            counts.inserted += 1
        elif person_changed or member_changed:
            counts.superseded += 1
        else:
            counts.unchanged += 1
        if not (write and member_changed):
            continue
        if current is not None:
            await Membership.update({Membership.superseded_at: now}).where(
                Membership.id == current["id"]
            )
        await Membership.insert(
            Membership(
                programme=refs.programme_id,
                person=person_id,
                family=values["family"],
                recorded_at=now,
                import_run=run_id,
                version=1 if current is None else current["version"] + 1,
                **membership,
            )
        )
    return counts
