"""A realistic synthetic authority, so a newcomer sees a living system.

Three programmes (one per built-in rule set), their teams, managers and key workers (whose
passwords are printed once), and families with members, assessments, needs, plans, notes and
partner evidence. Every name and reference is made up; the same seed makes the same authority
on the same day. The benchmarks use the same generator.

The two current rule sets' programmes run on the day the demo is loaded: their dates are
counted back from it, so a key worker sees assessments and reviews due in the coming weeks,
a few things overdue by days, and families turned around today. The tf2012 programme keeps
its real dates (its payments are by the financial years 2012/13 to 2014/15), and everything
in it is dated up to its last day, the day its pages judge it on (`dates.judging_day`).
Nothing is dated after a programme's judging day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
from piccolo.columns import Column
from piccolo.columns.defaults.base import Default
from piccolo.table import Table

from connecting_families.access.caller import Caller
from connecting_families.access.policy import FRONT_DOOR, Principal
from connecting_families.accounts import credentials
from connecting_families.accounts.tables import Team, User, UserProgramme, UserRole
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.audit.service import Actor, record
from connecting_families.consent.tables import Consent
from connecting_families.database.bulk import CHUNK_ROWS, Bulk
from connecting_families.database.columns import in_parts
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.domain import dates
from connecting_families.evidence.tables import (
    AntisocialBehaviour,
    Attendance,
    BenefitSpell,
    EmploymentSpell,
    Offence,
    WorkProgrammeStart,
)
from connecting_families.families.members import MemberService
from connecting_families.families.service import FamilyService
from connecting_families.families.tables import (
    Allocation,
    CaseNote,
    Family,
    FamilyStatusChange,
    Membership,
    Person,
)
from connecting_families.frontdoor.drafts import ContactDraft, NewContactPerson
from connecting_families.frontdoor.service import FrontDoorService
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.tables import ImportRun
from connecting_families.plans.tables import FamilyPlan, PlanAction, PlanGoal, PlanReview
from connecting_families.programmes.tables import ChildPopulation, Programme

GIVEN = [
    "Alex",
    "Sam",
    "Jo",
    "Charlie",
    "Robin",
    "Jamie",
    "Casey",
    "Morgan",
    "Riley",
    "Taylor",
    "Jordan",
    "Avery",
    "Quinn",
    "Rowan",
    "Sky",
    "Frankie",
    "Ash",
    "Kit",
    "Lou",
    "Remy",
]
SURNAMES = [
    "Example",
    "Sample",
    "Demo",
    "Specimen",
    "Model",
    "Pattern",
    "Instance",
    "Trial",
    "Mock",
    "Proto",
    "Fixture",
    "Dummy",
    "Placeholder",
    "Template",
    "Draft",
    "Stub",
]
WARDS = [
    "Central",
    "North",
    "East",
    "West",
    "Park",
    "Dogsthorpe",
    "Orton",
    "Bretton",
    "Werrington",
]
NOTE_TEXT = [
    "Home visit; the family agreed the plan.",
    "Phone call with school about attendance.",
    "Team around the family meeting held.",
    "Visit: rent arrears discussed with mum.",
]


@attrs.frozen
class DemoProgramme:
    code: str
    name: str
    ruleset_id: str
    starts_on: dt.date
    ends_on: dt.date


# The historic programme, as it ran.
TF2012 = DemoProgramme(
    "DEMO-TF12",
    "Connecting Families (demo, 2012)",
    "tf2012",
    dt.date(2012, 4, 1),
    dt.date(2015, 3, 31),
)
# The demo's programme codes, whatever the day.
CODES = ("DEMO-TF12", "DEMO-TF15", "DEMO-SF22")
# Plans are reviewed every six weeks; a family's latest reviews are written.
REVIEW_EVERY = dt.timedelta(days=42)
REVIEWS_KEPT = 3
# A share of the open plans whose latest review was not held, so it is overdue by days.
REVIEW_MISSED = 0.15


def _years_later(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def demo_programmes(on: dt.date) -> tuple[DemoProgramme, ...]:
    """The demo's programmes loaded on `on`: tf2012 as it was; the tf2015 programme (five
    years) in its fourth year and the sf2022 one (three years) in its third, each starting on
    1 April as the real ones did, so both are running on `on`."""
    year_start = dt.date(on.year if on.month >= 4 else on.year - 1, 4, 1)
    tf15 = _years_later(year_start, -3)
    sf22 = _years_later(year_start, -2)
    return (
        TF2012,
        DemoProgramme(
            "DEMO-TF15",
            "Connecting Families (demo, 2015 rules)",
            "tf2015",
            tf15,
            _years_later(tf15, 5) - dt.timedelta(days=1),
        ),
        DemoProgramme(
            "DEMO-SF22",
            "Supporting Families (demo, 2022 rules)",
            "sf2022",
            sf22,
            _years_later(sf22, 3) - dt.timedelta(days=1),
        ),
    )


@attrs.frozen
class Login:
    username: str
    roles: str
    password: str


@attrs.frozen
class DemoResult:
    message: str
    logins: tuple[Login, ...] = ()


async def load_demo(
    engine: AnyEngine,
    families: int = 120,
    seed: int = 2012,
    programmes: Sequence[str] | None = None,
    on: dt.date | None = None,
) -> DemoResult:
    """Load the demo authority unless it is there already, as if on `on` (today in England).

    The families are shared between the demo programmes, or only those in `programmes` (the
    benchmarks put a whole cohort into one); every programme and user is made either way.
    """
    on = on or dates.today()
    every = demo_programmes(on)
    if await Programme.exists().where(Programme.code == TF2012.code):
        return DemoResult(
            "The demo authority is already loaded; give a demo user a password with "
            "`connecting-families users set-password USERNAME`."
        )
    rng = random.Random(seed)  # noqa: S311 - repeatable made-up data, not a secret
    users = _demo_users(every)
    # Hashing is the slow part of making users: all of them, off the event loop, first.
    passwords = {u[0]: secrets.token_urlsafe(12) for u in users}
    hashes = await asyncio.gather(
        *(asyncio.to_thread(credentials.hash_password, passwords[u[0]]) for u in users)
    )
    async with write_transaction(engine) as transaction:
        builder = _Builder(rng, Bulk(transaction), every, on)
        user_ids = await builder.programmes_and_users(
            users, dict(zip(passwords, hashes, strict=True))
        )
        chosen = [p for p in every if programmes is None or p.code in programmes]
        per_programme = [families // len(chosen)] * len(chosen)
        per_programme[0] += families - sum(per_programme)
        for programme, count in zip(chosen, per_programme, strict=True):
            await builder.families(programme, count, user_ids)
        await builder.flush()
        await record(
            Actor.operator("demo"),
            "demo.load",
            "programme",
            None,
            detail={
                "families": families,
                "seed": seed,
                "programmes": [p.code for p in chosen],
                "on": on.isoformat(),
            },
        )
    for programme in chosen:
        if programme.ends_on >= on:  # a running programme's front door has contacts waiting
            await _contacts(engine, programme.code, user_ids, on)
    logins = tuple(Login(u[0], ",".join(u[1]), passwords[u[0]]) for u in users)
    return DemoResult(
        f"Loaded the demo authority: {families} families in "
        f"{len(chosen)} programmes, {len(users)} users.",
        logins,
    )


# Contacts waiting at a running programme's front door: (hours before now it came, source,
# what it said, the people it names as (given name, family name, age, role)).
DEMO_CONTACTS = (
    (
        2,
        "school",
        "Attendance has dropped to 70% this term; the family has asked for help.",
        (("Robin", "Achterberg", 38, "adult"), ("Kai", "Achterberg", 11, "child")),
    ),
    (
        20,
        "police",
        "Officers attended a disturbance at the home overnight; no arrests.",
        (("Sasha", "Mbeki-Lund", 34, "adult"), ("Noor", "Mbeki-Lund", 8, "child")),
    ),
    (
        30,
        "health",
        "The health visitor is worried about the baby's weight and the housing.",
        (("Morgan", "Quaresma", 26, "adult"), ("Ivy", "Quaresma", 1, "child")),
    ),
    (
        190,
        "family",
        "A parent asked for support with their son's behaviour at home.",
        (("Jules", "Thorvaldsen", 42, "adult"), ("Ezra", "Thorvaldsen", 13, "child")),
    ),
)


async def _contacts(engine: AnyEngine, code: str, user_ids: dict[str, int], on: dt.date) -> None:
    """The demo contacts at `code`'s front door, recorded through the service as its front
    door would record them (audited as that user); the oldest is late already."""
    programme = await Programme.select(Programme.id).where(Programme.code == code).first()
    assert programme is not None
    username = f"fd.{code.split('-')[1].lower()}"
    principal = Principal(
        user_id=user_ids[username],
        username=username,
        roles=frozenset({FRONT_DOOR}),
        team_id=None,
        programme_ids=frozenset({programme["id"]}),
    )
    caller = Caller.signed_in(principal, "demo")
    service = FrontDoorService(engine, PluginHost(), FamilyService(engine), MemberService(engine))
    now = dt.datetime.combine(on, dt.datetime.now(dt.UTC).time(), dt.UTC)
    for hours, source, summary, people in DEMO_CONTACTS:
        await service.record_contact(
            caller,
            ContactDraft(
                programme=code,
                received_at=now - dt.timedelta(hours=hours),
                channel="phone" if source != "family" else "in_person",
                source=source,
                summary=summary,
                consent_to_share="yes" if source in {"school", "family"} else "not_known",
                people=tuple(
                    NewContactPerson(
                        given, family, dt.date(on.year - age, 1, 1), role, create_anyway=True
                    )
                    for given, family, age, role in people
                ),
            ),
        )


def _demo_users(
    programmes: Sequence[DemoProgramme],
) -> list[tuple[str, tuple[str, ...], str | None, tuple[str, ...]]]:
    """(username, roles, team, programme codes) for every demo user."""
    users: list[tuple[str, tuple[str, ...], str | None, tuple[str, ...]]] = [
        ("demo.admin", ("admin",), None, ()),
        ("demo.auditor", ("auditor",), None, tuple(p.code for p in programmes)),
    ]
    for programme in programmes:
        short = programme.code.split("-")[1].lower()
        users.append((f"pm.{short}", ("programme_manager",), None, (programme.code,)))
        users.append((f"fd.{short}", ("front_door",), None, (programme.code,)))
        for team in ("north", "south"):
            team_name = f"{programme.code} {team} team"
            users.append((f"tm.{short}.{team}", ("team_manager",), team_name, (programme.code,)))
            for number in (1, 2, 3):
                users.append(
                    (f"kw.{short}.{team}{number}", ("key_worker",), team_name, (programme.code,))
                )
    return users


async def _in_parts(ids: list[int], select: Callable[[list[int]], Any]) -> list[dict[str, Any]]:
    """The rows of `select(part)` for each part of `ids` (see `in_parts`)."""
    rows: list[dict[str, Any]] = []
    for part in in_parts(ids):
        rows += await select(list(part))
    return rows


def _default(column: Column) -> Any:
    default = column.get_default_value()
    return default.python() if isinstance(default, Default) else default


def _row(table: type[Table], **values: Any) -> tuple[type[Table], dict[str, Any]]:
    """A row of `table` to write; cheaper than a Piccolo row object by far."""
    return table, values


class _Builder:
    """Collects rows and writes them in batches; assigns ids it needs up front by query.

    Rows are plain dicts written through the driver (`Bulk`): the benchmarks build 100,000
    families, millions of rows, which Piccolo's row objects would take a quarter of an hour
    to write.
    """

    def __init__(
        self,
        rng: random.Random,
        bulk: Bulk,
        programmes: Sequence[DemoProgramme],
        on: dt.date,
    ) -> None:
        self.rng = rng
        self.bulk = bulk
        self.programmes = programmes
        self.on = on
        # The programme being built's judging day: nothing is dated after it.
        self.until = on
        plugins = PluginHost()
        self.headlines = {p.ruleset_id: plugins.headlines(p.ruleset_id) for p in programmes}
        # Each programme held to the version that judges it now (`programmes.ruleset_versions`).
        self.held = {p.ruleset_id: p.ruleset_id for p in programmes} | {
            p.ruleset_id: ruleset.key
            for p in programmes
            if (ruleset := plugins.ruleset(p.ruleset_id)) is not None
        }
        self.pending: dict[type[Table], list[dict[str, Any]]] = {}
        self.programme_ids: dict[str, int] = {}
        self.team_ids: dict[str, int] = {}
        self.import_runs: dict[str, int] = {}
        self.now = dt.datetime.now(dt.UTC)
        # (family id, attached, closed, key worker, headlines) of families to give a plan.
        self._plans: list[tuple[int, dt.date, dt.date | None, int, list[str]]] = []

    def add(self, rows: Iterable[tuple[type[Table], dict[str, Any]]]) -> None:
        for table, values in rows:
            self.pending.setdefault(table, []).append(values)

    async def flush(self, tables: Sequence[type[Table]] | None = None) -> None:
        """Write the pending rows of `tables` (all by default); a value a row does not give
        is its column's default, as Piccolo would have written it."""
        for table in list(tables or self.pending):
            rows = self.pending.pop(table, [])
            if not rows:
                continue
            columns = [c for c in table._meta.columns if not c._meta.primary_key]
            defaults = {c._meta.name: _default(c) for c in columns}
            names = tuple(defaults)
            instant = self.bulk.instant
            values = [
                tuple(
                    instant(v) if isinstance(v, dt.datetime) else v
                    for v in (row.get(name, defaults[name]) for name in names)
                )
                for row in rows
            ]
            for start in range(0, len(values), CHUNK_ROWS):
                await self.bulk.insert(
                    table._meta.tablename, names, values[start : start + CHUNK_ROWS]
                )

    async def programmes_and_users(
        self,
        users: list[tuple[str, tuple[str, ...], str | None, tuple[str, ...]]],
        hashes: dict[str, str],
    ) -> dict[str, int]:
        for programme in self.programmes:
            row = await Programme.insert(
                Programme(
                    code=programme.code,
                    name=programme.name,
                    local_authority="Demo City Council",
                    ruleset_id=self.held[programme.ruleset_id],
                    starts_on=programme.starts_on,
                    ends_on=programme.ends_on,
                    target_families=400,
                )
            ).returning(Programme.id)
            self.programme_ids[programme.code] = row[0]["id"]
            self.add(
                _row(ChildPopulation, programme=row[0]["id"], year=year, children=45_000)
                for year in range(programme.starts_on.year, programme.ends_on.year + 1)
            )
            run = await ImportRun.insert(
                ImportRun(
                    programme=row[0]["id"],
                    kind="demo",
                    file_name="demo",
                    sha256=hashlib.sha256(programme.code.encode()).hexdigest(),
                    status="completed",
                    finished_at=self.now,
                    operator="demo",
                )
            ).returning(ImportRun.id)
            self.import_runs[programme.code] = run[0]["id"]
        user_ids: dict[str, int] = {}
        for username, roles, team, codes in users:
            if team and team not in self.team_ids:
                code = team.split(" ")[0]
                row = await Team.insert(
                    Team(name=team, programme=self.programme_ids[code])
                ).returning(Team.id)
                self.team_ids[team] = row[0]["id"]
            row = await User.insert(
                User(
                    username=username,
                    display_name=username.replace(".", " ").title(),
                    password_hash=hashes[username],
                    team=self.team_ids.get(team or ""),
                )
            ).returning(User.id)
            user_ids[username] = row[0]["id"]
            self.add(_row(UserRole, user=row[0]["id"], role=role) for role in roles)
            self.add(
                _row(UserProgramme, user=row[0]["id"], programme=self.programme_ids[code])
                for code in codes
            )
        await self.flush()
        return user_ids

    async def families(self, programme: DemoProgramme, count: int, users: dict[str, int]) -> None:
        rng = self.rng
        programme_id = self.programme_ids[programme.code]
        short = programme.code.split("-")[1].lower()
        workers = [
            (users[name], self.team_ids[f"{programme.code} {team} team"])
            for team in ("north", "south")
            for name in (f"kw.{short}.{team}{n}" for n in (1, 2, 3))
        ]
        self.until = until = dates.judging_day(programme.ends_on, self.on)
        running = until == self.on
        # An ended programme had stopped taking families a year before its end, so that their
        # results could show by then; a running one is still taking them, a fifth of them in
        # the last three months, whose assessments and first reviews are due soon.
        span = (until - programme.starts_on).days - (30 if running else 400)
        drafts = []
        for number in range(1, count + 1):
            identified = programme.starts_on + dt.timedelta(days=rng.randrange(0, max(span, 30)))
            if running and rng.random() < 0.2:
                identified = until - dt.timedelta(days=rng.randrange(8, 100))
            attached: dt.date | None = identified + dt.timedelta(days=rng.randrange(7, 60))
            if rng.random() >= 0.85 or (attached and attached > until):
                attached = None
            closed = (
                attached + dt.timedelta(days=rng.randrange(200, 420))
                if attached and rng.random() < 0.3
                else None
            )
            if closed and closed > until:
                closed = None
            drafts.append((f"{programme.code}-F{number:05d}", identified, attached, closed))
        self.add(
            _row(
                Family,
                programme=programme_id,
                family_ref=ref,
                identified_on=identified,
                attached_on=attached,
                closed_on=closed,
                status="closed" if closed else "attached" if attached else "identified",
                closure_reason="outcomes_met" if closed else None,
                ward=rng.choice(WARDS),
                postcode=f"ZZ{rng.randrange(1, 9)} {rng.randrange(1, 9)}X{rng.choice('ABDEFG')}",
                local_filter=rng.random() < 0.3,
                expectant_parent=rng.random() < 0.05,
                import_run=self.import_runs[programme.code],
            )
            for ref, identified, attached, closed in drafts
        )
        await self.flush([Family])
        family_ids = {
            r["family_ref"]: r["id"]
            for r in await Family.select(Family.id, Family.family_ref).where(
                Family.programme == programme_id
            )
        }
        provenance = {
            "programme": programme_id,
            "import_run": self.import_runs[programme.code],
            "recorded_at": self.now,
        }
        people: list[tuple[int, str, bool, dt.date]] = []
        # (family id, the first adult's ref, given on, recorded by) of the consents to record.
        consents: list[tuple[int, str, dt.date, int]] = []
        for ref, identified, attached, closed in drafts:
            family_id = family_ids[ref]
            start = attached or identified
            worker, team = workers[rng.randrange(len(workers))]
            surname = rng.choice(SURNAMES)
            adults = 1 + (rng.random() < 0.45)
            for index in range(adults + rng.randrange(1, 5)):
                is_adult = index < adults
                age = rng.randrange(22, 50) if is_adult else rng.randrange(1, 17)
                person_ref = f"{ref}-P{index + 1}"
                self.add(
                    [
                        _row(
                            Person,
                            programme=programme_id,
                            person_ref=person_ref,
                            given_name=rng.choice(GIVEN),
                            family_name=surname,
                            sex=rng.choice(["female", "male"]),
                            date_of_birth=start
                            - dt.timedelta(days=365 * age + rng.randrange(0, 365)),
                        )
                    ]
                )
                people.append((family_id, person_ref, is_adult, start))
            self.add(
                [
                    _row(
                        FamilyStatusChange,
                        family=family_id,
                        status="identified",
                        changed_on=identified,
                        changed_by=users["demo.admin"],
                    )
                ]
            )
            # Nine in ten attached families gave consent when they joined; the tenth shows
            # the pages' warning. Chosen by id, not by `rng`, so the rest of the demo is as it was.
            if attached and family_id % 10 != 7:
                consents.append((family_id, f"{ref}-P1", attached, worker))
            if attached:
                self.add(
                    [
                        _row(
                            FamilyStatusChange,
                            family=family_id,
                            status="attached",
                            changed_on=attached,
                            changed_by=worker,
                        ),
                        _row(
                            Allocation,
                            family=family_id,
                            key_worker=worker,
                            team=team,
                            started_at=dt.datetime.combine(attached, dt.time(9), dt.UTC),
                        ),
                    ]
                )
                self._casework(programme, family_id, ref, attached, closed, worker, provenance)
                if closed:
                    self.add(
                        [
                            _row(
                                FamilyStatusChange,
                                family=family_id,
                                status="closed",
                                changed_on=closed,
                                reason="outcomes_met",
                                changed_by=worker,
                            )
                        ]
                    )
        await self.flush([Person])
        person_ids = {
            r["person_ref"]: r["id"]
            for r in await Person.select(Person.id, Person.person_ref).where(
                Person.programme == programme_id
            )
        }
        for family_id, person_ref, is_adult, start in people:
            self._evidence(person_ids[person_ref], family_id, is_adult, start, provenance)
        self.add(
            _row(
                Consent,
                family=family_id,
                given_by=person_ids[person_ref],
                given_on=given_on,
                method="in_person",
                agencies="school,health,police,housing",
                recorded_by=worker,
                recorded_at=self.now,
            )
            for family_id, person_ref, given_on, worker in consents
        )
        await self.flush()
        await self._write_plans(until)

    async def _write_plans(self, until: dt.date) -> None:
        """Plans, then their goals, then actions and reviews: each level needs the ids above.

        A plan is agreed two weeks after attachment and reviewed every six weeks up to
        `until` (or its closure); an open plan's next review is due within six weeks, or,
        for a few whose latest review was not held, overdue by days. An open plan's actions
        are done, due in the coming weeks, or overdue by days.
        """
        rng, plans, self._plans = self.rng, self._plans, []
        if not plans:
            return
        schedules = {
            family_id: self._reviews(min(attached + dt.timedelta(days=14), until), closed, until)
            for family_id, attached, closed, _, _ in plans
        }
        self.add(
            _row(
                FamilyPlan,
                family=family_id,
                status="closed" if closed else "active",
                agreed_on=schedules[family_id][0],
                created_by=worker,
                next_review_on=schedules[family_id][2],
            )
            for family_id, _attached, closed, worker, _ in plans
        )
        await self.flush([FamilyPlan])
        plan_ids = {
            r["family"]: r["id"]
            for r in await _in_parts(
                [p[0] for p in plans],
                lambda part: FamilyPlan.select(FamilyPlan.id, FamilyPlan.family).where(
                    FamilyPlan.family.is_in(part)
                ),
            )
        }
        for family_id, _attached, closed, _, headlines in plans:
            self.add(
                _row(
                    PlanGoal,
                    plan=plan_ids[family_id],
                    headline=headline,
                    need_ref=f"N{n + 1}",
                    description=f"Progress on {headline.replace('_', ' ')}",
                    status="achieved" if closed else "open",
                    achieved_on=closed,
                )
                for n, headline in enumerate(headlines)
            )
        await self.flush([PlanGoal])
        goals = await _in_parts(
            list(plan_ids.values()),
            lambda part: PlanGoal.select(PlanGoal.id, PlanGoal.plan).where(
                PlanGoal.plan.is_in(part)
            ),
        )
        by_plan = {plan_id: family_id for family_id, plan_id in plan_ids.items()}
        facts = {p[0]: p for p in plans}
        for goal in goals:
            family_id = by_plan[goal["plan"]]
            _, _attached, closed, worker, _ = facts[family_id]
            agreed = schedules[family_id][0]
            self.add(
                _row(
                    PlanAction,
                    goal=goal["id"],
                    description=rng.choice(
                        [
                            "Meet the school",
                            "Book a housing appointment",
                            "Go to the GP together",
                            "Set up a budget plan",
                            "Referral to the youth service",
                        ]
                    ),
                    owner=worker,
                    **self._action_dates(agreed, closed, until),
                )
                for _ in range(rng.randrange(1, 3))
            )
        for family_id, _attached, _closed, worker, _ in plans:
            _, held, next_review = schedules[family_id]
            self.add(
                _row(
                    PlanReview,
                    plan=plan_ids[family_id],
                    reviewed_on=day,
                    reviewed_by=worker,
                    summary="Plan reviewed with the family; steady progress.",
                    next_review_on=held[n + 1] if n + 1 < len(held) else next_review,
                )
                for n, day in enumerate(held)
            )
        await self.flush()

    def _reviews(
        self, agreed: dt.date, closed: dt.date | None, until: dt.date
    ) -> tuple[dt.date, list[dt.date], dt.date | None]:
        """(agreed on, the latest reviews held, the next review due or None once closed)."""
        last = closed or until
        due = [agreed + REVIEW_EVERY * n for n in range(1, (last - agreed) // REVIEW_EVERY + 1)]
        if closed:
            return agreed, due[-REVIEWS_KEPT:], None
        upcoming = agreed + REVIEW_EVERY * (len(due) + 1)
        if due and self.rng.random() < REVIEW_MISSED:
            # The latest review was not held: it is the one due, overdue by under six weeks.
            return agreed, due[:-1][-REVIEWS_KEPT:], due[-1]
        return agreed, due[-REVIEWS_KEPT:], upcoming

    def _action_dates(
        self, agreed: dt.date, closed: dt.date | None, until: dt.date
    ) -> dict[str, dt.date | None]:
        """An action's due date and completion: done by a closed plan's end; in an open plan,
        done, due in the next six weeks, or overdue by under three weeks."""
        rng = self.rng
        due = agreed + dt.timedelta(days=rng.randrange(14, 120))
        if closed:
            due = min(due, closed)
            return {"due_on": due, "completed_on": closed}
        chance = rng.random()
        if chance < 0.45:
            due = min(due, until)
            done = min(max(due - dt.timedelta(days=rng.randrange(-7, 14)), agreed), until)
            return {"due_on": due, "completed_on": done}
        if chance < 0.8:
            return {
                "due_on": until + dt.timedelta(days=rng.randrange(1, 43)),
                "completed_on": None,
            }
        overdue = max(until - dt.timedelta(days=rng.randrange(1, 21)), agreed)
        return {"due_on": overdue, "completed_on": None}

    def _casework(
        self,
        programme: DemoProgramme,
        family_id: int,
        ref: str,
        attached: dt.date,
        closed: dt.date | None,
        worker: int,
        provenance: dict[str, Any],
    ) -> None:
        rng = self.rng
        headlines = self.headlines[programme.ruleset_id]
        chosen = rng.sample(headlines, min(len(headlines), rng.randrange(2, 5)))
        completed: dt.date | None = attached + dt.timedelta(days=rng.randrange(10, 70))
        if completed and completed > self.until:
            completed = None  # still being done: due soon, or a few days late
        self.add(
            [
                _row(
                    Assessment,
                    family=family_id,
                    assessment_ref=f"{ref}-EHA",
                    started_on=attached,
                    completed_on=completed,
                    agency="Family support",
                    late_reason="Family unavailable over the holidays"
                    if completed and (completed - attached).days > 60
                    else None,
                    recorded_by=worker,
                    **provenance,
                )
            ]
        )
        self.add(
            _row(
                Need,
                family=family_id,
                need_ref=f"{ref}-N{n + 1}",
                headline=headline,
                identified_on=attached,
                outcome="achieved" if closed else None,
                outcome_on=closed,
                recorded_by=worker,
                **provenance,
            )
            for n, headline in enumerate(chosen)
        )
        self.add(
            _row(
                CaseNote,
                family=family_id,
                author=worker,
                kind=rng.choice(["visit", "phone", "taf_meeting"]),
                occurred_on=day,
                body=rng.choice(NOTE_TEXT),
            )
            for day in (attached + dt.timedelta(days=14 * n) for n in range(rng.randrange(1, 4)))
            if day <= self.until
        )
        self._plans.append((family_id, attached, closed, worker, chosen))

    def _evidence(
        self,
        person_id: int,
        family_id: int,
        is_adult: bool,
        start: dt.date,
        provenance: dict[str, Any],
    ) -> None:
        rng = self.rng
        self.add(
            [
                _row(
                    Membership,
                    person=person_id,
                    family=family_id,
                    role="adult" if is_adult else "child",
                    **provenance,
                )
            ]
        )
        if is_adult:
            benefit_start = start - dt.timedelta(days=rng.randrange(60, 900))
            self.add(
                [
                    _row(
                        BenefitSpell,
                        person=person_id,
                        benefit=rng.choice(["JSA", "ESA", "IS"]),
                        start_date=benefit_start,
                        **provenance,
                    )
                ]
            )
            employment = start + dt.timedelta(days=rng.randrange(30, 300))
            if rng.random() < 0.35 and employment <= self.until:
                self.add(
                    [
                        _row(
                            EmploymentSpell,
                            person=person_id,
                            start_date=employment,
                            hours_per_week=float(rng.choice([16, 24, 37])),
                            **provenance,
                        )
                    ]
                )
            work_programme = start + dt.timedelta(days=rng.randrange(10, 200))
            if rng.random() < 0.2 and work_programme <= self.until:
                self.add(
                    [
                        _row(
                            WorkProgrammeStart,
                            person=person_id,
                            provision=rng.choice(["work_programme", "esf"]),
                            start_date=work_programme,
                            **provenance,
                        )
                    ]
                )
            return
        improving = rng.random() < 0.6
        for term in range(-3, 4):
            period_start = start + dt.timedelta(days=122 * term)
            unauthorised = (
                rng.randrange(15, 35) if term < 0 or not improving else rng.randrange(0, 12)
            )
            authorised = rng.randrange(0, 8)
            if period_start + dt.timedelta(days=100) > self.until:
                continue  # a term not over yet has no attendance figures
            self.add(
                [
                    _row(
                        Attendance,
                        person=person_id,
                        period_start=period_start,
                        period_end=period_start + dt.timedelta(days=100),
                        possible_sessions=120,
                        authorised_absence_sessions=authorised,
                        unauthorised_absence_sessions=unauthorised,
                        **provenance,
                    )
                ]
            )
        if rng.random() < 0.25:
            self.add(
                [
                    _row(
                        Offence,
                        person=person_id,
                        offence_ref=f"OFF-{person_id}",
                        offence_date=start - dt.timedelta(days=rng.randrange(10, 170)),
                        category=rng.choice(["theft", "criminal_damage", "violence"]),
                        **provenance,
                    )
                ]
            )
        if rng.random() < 0.2:
            self.add(
                [
                    _row(
                        AntisocialBehaviour,
                        person=person_id,
                        asb_ref=f"ASB-{person_id}",
                        kind="incident",
                        incident_date=start - dt.timedelta(days=rng.randrange(10, 170)),
                        **provenance,
                    )
                ]
            )
