"""People and their household memberships. A person can move between households.

Memberships are append-and-supersede: a change (someone leaving) supersedes the old row with
a new version, so "who was in the household on that date, as we knew it then" can be asked.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Collection
from typing import Any

import attrs
from piccolo.columns.combination import Or, WhereRaw
from piccolo.querystring import QueryString

from connecting_families.access.policy import Principal, family_scope
from connecting_families.audit.service import Actor, record
from connecting_families.database.columns import next_version_values, placeholders
from connecting_families.database.engine import AnyEngine, read_by_key
from connecting_families.domain import dates
from connecting_families.errors import (
    Conflict,
    Invalid,
    NotFound,
    check_version,
    field_error,
    refuse_if,
)
from connecting_families.families.existence import (
    AuditedRefusal,
    Probe,
    audited_refusals,
    households,
    probes_of,
    readable,
    refuse_taken_ref,
)
from connecting_families.families.scope import require_family, writing_family
from connecting_families.families.service import not_in_future, validate_ref
from connecting_families.families.tables import Family, Membership, Person

UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
NI_NUMBER = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")
SEXES = ("female", "male", "other", "unknown")
ROLES = ("adult", "child")
EARLIEST_BIRTH = dt.date(1900, 1, 1)


@attrs.frozen
class PersonDraft:
    given_name: str
    family_name: str
    date_of_birth: dt.date
    person_ref: str | None = None
    sex: str | None = None
    upn: str | None = None
    ni_number: str | None = None


@attrs.frozen
class Member:
    """A person as a member of one household."""

    membership_id: int
    person_id: int
    person_ref: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str | None
    upn: str | None
    ni_number: str | None
    role: str
    joined_on: dt.date | None
    left_on: dt.date | None
    current: bool
    membership_version: int
    person_version: int

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def age(self) -> int:
        """Their age in whole years today."""
        return age_on(self.date_of_birth, dates.today())


def age_on(born: dt.date, on: dt.date) -> int:
    """Age in whole years on `on` of someone born on `born`."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@attrs.frozen
class PossibleMatch:
    """An existing person the new one may be; the caller already typed what matched."""

    person_id: int
    person_ref: str
    matched_on: tuple[str, ...]


@attrs.frozen
class DuplicateCheck:
    """What `MemberService.duplicate_check` found: the matches in the caller's scope, whether
    anyone outside it matched too (never who), and the audit entries the check makes."""

    offered: tuple[PossibleMatch, ...] = ()
    known_elsewhere: bool = False
    probes: tuple[Probe, ...] = ()


@attrs.frozen
class KnownPerson:
    """A possible match in a family the caller may read, as a page names it."""

    person_id: int
    person_ref: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    family_refs: tuple[str, ...]
    matched_on: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@attrs.frozen
class Screening:
    """A duplicate check as a page shows it: the people in scope it may be, by name, and
    whether it may be someone outside the caller's scope (the fixed words, no name)."""

    known: tuple[KnownPerson, ...] = ()
    known_elsewhere: bool = False

    @property
    def clear(self) -> bool:
        return not self.known and not self.known_elsewhere


# The API's answer to a match outside the caller's scope; pages say KNOWN_ELSEWHERE.
KNOWN_ELSEWHERE_API = (
    "This person may already be known to the programme: ask a team manager "
    "before adding them, or send create_anyway: true if they are someone else."
)
KNOWN_ELSEWHERE = (
    "This person may already be known to the programme. Ask a team manager before adding "
    "them, or confirm that they are someone else."
)


async def known_people(
    principal: Principal, matches: Collection[PossibleMatch]
) -> tuple[KnownPerson, ...]:
    """The matches (people in the caller's scope: the caller has checked) by name, with the
    refs of those of their households the caller may read, in a few queries whatever their
    number."""
    if not matches:
        return ()
    ids = sorted({m.person_id for m in matches})
    people = {
        row["id"]: row
        for row in await Person.select(
            Person.id,
            Person.person_ref,
            Person.given_name,
            Person.family_name,
            Person.date_of_birth,
        ).where(Person.id.is_in(ids))
    }
    homes = await Membership.select(
        Membership.person, Membership.family, Membership.family.family_ref.as_alias("ref")
    ).where(Membership.person.is_in(ids), Membership.superseded_at.is_null())
    visible = await readable(principal, {row["family"] for row in homes})
    refs: dict[int, set[str]] = {person_id: set() for person_id in ids}
    for row in homes:
        if row["family"] in visible:
            refs[row["person"]].add(row["ref"])
    return tuple(
        KnownPerson(
            person_id=m.person_id,
            person_ref=people[m.person_id]["person_ref"],
            given_name=people[m.person_id]["given_name"],
            family_name=people[m.person_id]["family_name"],
            date_of_birth=people[m.person_id]["date_of_birth"],
            family_refs=tuple(sorted(refs[m.person_id])),
            matched_on=m.matched_on,
        )
        for m in matches
    )


def person_problems(draft: PersonDraft) -> list[dict[str, str]]:
    problems = []
    for field in ("given_name", "family_name"):
        value = getattr(draft, field).strip()
        if not 1 <= len(value) <= 100:
            problems.append(field_error(field, "must be 1-100 characters"))
    problems += not_in_future("date_of_birth", draft.date_of_birth)
    if draft.date_of_birth < EARLIEST_BIRTH:
        problems.append(field_error("date_of_birth", "must be after 1900"))
    if draft.person_ref is not None:
        problems += validate_ref("person_ref", draft.person_ref)
    if draft.sex is not None and draft.sex not in SEXES:
        problems.append(field_error("sex", f"must be one of {', '.join(SEXES)}"))
    if draft.upn is not None and not UPN.match(draft.upn):
        problems.append(field_error("upn", "must be 13 characters, a letter then digits"))
    if draft.ni_number is not None and not NI_NUMBER.match(draft.ni_number):
        problems.append(field_error("ni_number", "must look like AB123456C"))
    return problems


# A plain statement: the family read asks it every time.
_MEMBER_SQL = """
SELECT m.id, m.family, m.person, m.role, m.joined_on, m.left_on, m.version, p.person_ref,
       p.given_name, p.family_name, p.date_of_birth, p.sex, p.upn, p.ni_number,
       p.version AS person_version
FROM membership m JOIN person p ON p.id = m.person
WHERE {}
ORDER BY m.id
"""


async def _member_rows(where: QueryString) -> list[dict[str, Any]]:
    return await read_by_key(QueryString(_MEMBER_SQL, where))


def _member(row: dict[str, Any]) -> Member:
    return Member(
        membership_id=row["id"],
        person_id=row["person"],
        person_ref=row["person_ref"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        upn=row["upn"],
        ni_number=row["ni_number"],
        role=row["role"],
        joined_on=row["joined_on"],
        left_on=row["left_on"],
        current=row["left_on"] is None or row["left_on"] > dates.today(),
        membership_version=row["version"],
        person_version=row["person_version"],
    )


async def current_members_of(family_ids: Collection[int]) -> dict[int, list[Member]]:
    """Family id -> its current members (not those who have left), oldest first, for many
    families in one query; unchecked and unaudited, for a caller whose list of families is
    already scoped and audited."""
    found: dict[int, list[Member]] = {family_id: [] for family_id in family_ids}
    if not found:
        return found
    ids = sorted(found)
    rows = await _member_rows(
        QueryString(
            f"m.family IN ({placeholders(ids)}) AND m.superseded_at IS NULL",
            *ids,
        )
    )
    for row in rows:
        member = _member(row)
        if member.current:
            found[row["family"]].append(member)
    for members in found.values():
        members.sort(key=lambda m: (m.date_of_birth, m.membership_id))
    return found


class MemberService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_members(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[Member]:
        await require_family(principal, actor, family_id, "read")
        await record(actor, "family.members.read", "family", family_id)
        return await self.members_of(family_id)

    async def members_of(self, family_id: int) -> list[Member]:
        """The household's members, past and present, unchecked and unaudited: for a caller
        that has checked and audited its read of the family already."""
        return [
            _member(row)
            for row in await _member_rows(
                QueryString("m.family = {} AND m.superseded_at IS NULL", family_id)
            )
        ]

    async def members_of_families(self, family_ids: Collection[int]) -> dict[int, list[Member]]:
        """Family id -> its current members, for many families in one query (a list of
        families showing names), unchecked and unaudited like `members_of`."""
        return await current_members_of(family_ids)

    async def _member(self, membership_id: int) -> Member:
        [row] = await _member_rows(QueryString("m.id = {}", membership_id))
        return _member(row)

    async def possible_matches(self, programme_id: int, draft: PersonDraft) -> list[PossibleMatch]:
        """People already known to the programme who may be the one described."""
        # lower() on both sides: Piccolo's ilike is not supported on SQLite.
        same_person = WhereRaw(
            "(lower(person.given_name) = {} AND lower(person.family_name) = {}"
            " AND person.date_of_birth = {})",
            draft.given_name.strip().lower(),
            draft.family_name.strip().lower(),
            draft.date_of_birth,
        )
        condition: Any = same_person
        if draft.upn:
            condition = Or(condition, Person.upn == draft.upn)
        if draft.ni_number:
            condition = Or(condition, Person.ni_number == draft.ni_number)
        rows = await Person.select(
            Person.id,
            Person.person_ref,
            Person.given_name,
            Person.family_name,
            Person.date_of_birth,
            Person.upn,
            Person.ni_number,
        ).where(Person.programme == programme_id, condition)
        matches = []
        for row in rows:
            matched = []
            if (
                row["given_name"].lower() == draft.given_name.strip().lower()
                and row["family_name"].lower() == draft.family_name.strip().lower()
                and row["date_of_birth"] == draft.date_of_birth
            ):
                matched.append("name_and_date_of_birth")
            if draft.upn and row["upn"] == draft.upn:
                matched.append("upn")
            if draft.ni_number and row["ni_number"] == draft.ni_number:
                matched.append("ni_number")
            matches.append(PossibleMatch(row["id"], row["person_ref"], tuple(matched)))
        return matches

    async def add_member(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        *,
        role: str,
        joined_on: dt.date | None,
        person_id: int | None = None,
        person: PersonDraft | None = None,
        create_anyway: bool = False,
    ) -> Member:
        """Add an existing person (`person_id`) or a new one (`person`) to the household.

        A new person who matches someone already known is refused (409) unless
        `create_anyway` is set: the matches in families the caller may read are offered
        instead; matches elsewhere only make the answer say that the person may be known
        (see `_refuse_if_known`).
        """
        problems = []
        if role not in ROLES:
            problems.append(field_error("role", "must be adult or child"))
        if (person_id is None) == (person is None):
            problems.append(field_error("person", "give either person_id or person, not both"))
        if person is not None:
            problems += person_problems(person)
        refuse_if(problems, "The member")
        async with (
            audited_refusals(actor),
            writing_family(self.engine, principal, actor, family_id) as family,
        ):
            programme_id = family["programme"]
            if person is not None:
                if not create_anyway:
                    await self._refuse_if_known(principal, family_id, programme_id, person)
                person_id = await self.create_person(principal, family_id, programme_id, person)
            else:
                assert person_id is not None
                await self.refuse_unless_bringable(principal, family_id, programme_id, person_id)
            membership_id = await self.insert_membership(
                principal, actor, programme_id, family_id, person_id, role, joined_on
            )
        return await self._member(membership_id)

    async def insert_membership(
        self,
        principal: Principal,
        actor: Actor,
        programme_id: int,
        family_id: int,
        person_id: int,
        role: str,
        joined_on: dt.date | None,
    ) -> int:
        """Inside the caller's write transaction: `person_id` joins the household, audited;
        the new membership's id. A person already in it is refused."""
        already = await Membership.exists().where(
            Membership.family == family_id,
            Membership.person == person_id,
            Membership.superseded_at.is_null(),
        )
        if already:
            raise Conflict("That person is already recorded in this household.")
        inserted = await Membership.insert(
            Membership(
                programme=programme_id,
                person=person_id,
                family=family_id,
                role=role,
                joined_on=joined_on,
                recorded_by=principal.user_id,
            )
        ).returning(Membership.id)
        await record(
            actor, "family.member.add", "family", family_id, detail={"person_id": person_id}
        )
        return int(inserted[0]["id"])

    async def refuse_unless_bringable(
        self, principal: Principal, family_id: int, programme_id: int, person_id: int
    ) -> None:
        """A known person joins a household only from ones the caller may write, or from
        none: otherwise adding them would reveal another caseload's records. Refused, they
        are not found, as a person who does not exist is, and the probe is audited against
        their other households."""
        refused = NotFound(f"There is no person {person_id} you may add to this household.")
        if not await Person.exists().where(
            Person.id == person_id, Person.programme == programme_id
        ):
            raise refused
        homes = (await households([person_id]))[person_id]
        writable = await Family.select(Family.id).where(
            Family.id.is_in(sorted(homes) or [0]), family_scope(principal, "write")
        )
        elsewhere = homes - {row["id"] for row in writable}
        if elsewhere:
            detail = {"from_family": family_id}
            probes = [Probe("person.add_probe", ("family", f), detail=detail) for f in elsewhere]
            raise AuditedRefusal(refused, probes)

    async def duplicate_check(
        self,
        principal: Principal,
        programme_id: int,
        draft: PersonDraft,
        *,
        from_family: int | None,
    ) -> DuplicateCheck:
        """Whom the programme knows that `draft` may be, split by the caller's scope.

        The people of families the caller may read are offered by id and ref, so that the
        existing person can be used; anyone else only makes the answer say that the person
        may be known, the same answer whatever and whoever matched, with a probe of their
        families for the audit log (`from_family`: the household being added to, if any).
        """
        matches = await self.possible_matches(programme_id, draft)
        if not matches:
            return DuplicateCheck()
        homes = await households([m.person_id for m in matches])
        visible = await readable(principal, set().union(*homes.values()))
        offered = [m for m in matches if homes[m.person_id] & visible]
        probes = [
            probe
            for m in matches
            if not homes[m.person_id] & visible
            for probe in probes_of(
                "person.duplicate_probe",
                sorted(homes[m.person_id]),
                person_id=m.person_id,
                detail={"from_family": from_family, "matched_on": list(m.matched_on)},
            )
        ]
        if offered:
            shown = (
                [from_family]
                if from_family is not None
                else sorted(set().union(*(homes[m.person_id] & visible for m in offered)))
            )
            probes += [
                Probe("person.match", ("family", f), True, {"matches": len(offered)})
                for f in shown
            ]
        return DuplicateCheck(tuple(offered), len(offered) < len(matches), tuple(probes))

    async def screen_person(
        self,
        principal: Principal,
        actor: Actor,
        programme_id: int,
        draft: PersonDraft,
        *,
        from_family: int | None,
    ) -> Screening:
        """`duplicate_check` for a page that asks before it writes: its probes are audited
        now, and the people in the caller's scope come with their names and households."""
        check = await self.duplicate_check(principal, programme_id, draft, from_family=from_family)
        for probe in check.probes:
            kind, resource_id = probe.resource
            await record(
                actor, probe.action, kind, resource_id, allowed=probe.allowed, detail=probe.detail
            )
        return Screening(await known_people(principal, check.offered), check.known_elsewhere)

    async def _refuse_if_known(
        self, principal: Principal, family_id: int, programme_id: int, draft: PersonDraft
    ) -> None:
        """Refuse a new person who may be someone the programme knows already
        (`duplicate_check` says how the answer depends on the caller's scope)."""
        check = await self.duplicate_check(principal, programme_id, draft, from_family=family_id)
        if check.offered:
            raise AuditedRefusal(
                Conflict(
                    "This person may already be known; add the existing person by "
                    "person_id, or send create_anyway: true if they are someone else.",
                    extra={"matches": [attrs.asdict(m) for m in check.offered]},
                ),
                check.probes,
            )
        if check.known_elsewhere:
            raise AuditedRefusal(Conflict(KNOWN_ELSEWHERE_API), check.probes)

    async def create_person(
        self, principal: Principal, family_id: int | None, programme_id: int, draft: PersonDraft
    ) -> int:
        """Inside the caller's write transaction: the new person's id. A `person_ref` the
        programme has already is refused as `refuse_taken_ref` says; `family_id` is the
        household they join (None for a family being created, which the audit entry of such
        a refusal would otherwise name after its rollback)."""
        person_ref = draft.person_ref or f"CF-{secrets.token_hex(5).upper()}"
        holder = (
            await Person.select(Person.id)
            .where(Person.programme == programme_id, Person.person_ref == person_ref)
            .first()
        )
        if holder is not None:
            homes = await households([holder["id"]])
            await refuse_taken_ref(
                principal,
                "person_ref",
                sorted(homes[holder["id"]]),
                from_family=family_id,
                person_id=holder["id"],
            )
        inserted = await Person.insert(
            Person(
                programme=programme_id,
                person_ref=person_ref,
                given_name=draft.given_name.strip(),
                family_name=draft.family_name.strip(),
                date_of_birth=draft.date_of_birth,
                sex=draft.sex,
                upn=draft.upn,
                ni_number=draft.ni_number,
            )
        ).returning(Person.id)
        return int(inserted[0]["id"])

    async def end_membership(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        membership_id: int,
        *,
        version: int,
        left_on: dt.date,
    ) -> Member:
        """Record that a member left the household (superseding the membership row)."""
        async with writing_family(self.engine, principal, actor, family_id):
            row = (
                await Membership.select()
                .where(
                    Membership.id == membership_id,
                    Membership.family == family_id,
                    Membership.superseded_at.is_null(),
                )
                .first()
            )
            if row is None:
                raise NotFound(f"There is no current membership {membership_id} in this family.")
            check_version(
                version, row["version"], await self._member(membership_id), "The membership"
            )
            if row["left_on"] is not None:
                raise Conflict("That member has already left the household.")
            if row["joined_on"] is not None and left_on <= row["joined_on"]:
                raise Invalid(
                    "left_on: must be after joined_on",
                    errors=[field_error("left_on", "not after joined_on")],
                )
            now = dt.datetime.now(dt.UTC)
            await Membership.update({Membership.superseded_at: now}).where(
                Membership.id == membership_id
            )
            inserted = await Membership.insert(
                Membership(
                    programme=row["programme"],
                    person=row["person"],
                    family=family_id,
                    role=row["role"],
                    joined_on=row["joined_on"],
                    left_on=left_on,
                    recorded_at=now,
                    recorded_by=principal.user_id,
                    version=row["version"] + 1,
                )
            ).returning(Membership.id)
            await record(
                actor,
                "family.member.leave",
                "family",
                family_id,
                detail={"person_id": row["person"]},
            )
        return await self._member(inserted[0]["id"])

    async def update_person(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        person_id: int,
        version: int,
        changes: dict[str, Any],
    ) -> Member:
        """Correct a member's details (names, date of birth, identifiers)."""
        async with writing_family(self.engine, principal, actor, family_id):
            membership = (
                await Membership.select(Membership.id)
                .where(
                    Membership.family == family_id,
                    Membership.person == person_id,
                    Membership.superseded_at.is_null(),
                )
                .first()
            )
            if membership is None:
                raise NotFound(f"There is no person {person_id} in this family.")
            found = await Person.select().where(Person.id == person_id).first()
            assert found is not None
            current: dict[str, Any] = dict(found)
            merged = PersonDraft(
                given_name=changes.get("given_name", current["given_name"]),
                family_name=changes.get("family_name", current["family_name"]),
                date_of_birth=changes.get("date_of_birth", current["date_of_birth"]),
                sex=changes.get("sex", current["sex"]),
                upn=changes.get("upn", current["upn"]),
                ni_number=changes.get("ni_number", current["ni_number"]),
            )
            refuse_if(person_problems(merged), "The change")
            member = await self._member(membership["id"])
            check_version(version, current["version"], member, "The person")
            values = next_version_values(Person, changes, current["version"])
            await Person.update(values).where(Person.id == person_id)
            await record(
                actor, "person.update", "person", person_id, detail={"fields": sorted(changes)}
            )
        return await self._member(membership["id"])
