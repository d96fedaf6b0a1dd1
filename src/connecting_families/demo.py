"""Demonstration data: one fictional programme, so a newcomer sees the service with records in it.

Every name, reference and postcode is made up; the generator is seeded, so every load makes
the same families.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from piccolo.table import Table

from connecting_families.accounts.tables import Team, User, UserProgramme, UserRole
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.evidence.tables import (
    AntisocialBehaviour,
    Attendance,
    BenefitSpell,
    EmploymentSpell,
    Offence,
)
from connecting_families.families.tables import (
    Allocation,
    CaseNote,
    Family,
    Membership,
    Person,
)
from connecting_families.imports.tables import ImportRun
from connecting_families.programmes.tables import ChildPopulation, Programme

DEMO_CODE = "DEMO"
FAMILY_COUNT = 40
GIVEN = ["Alex", "Sam", "Jo", "Charlie", "Robin", "Jamie", "Casey", "Morgan", "Riley", "Taylor"]
SURNAMES = ["Example", "Sample", "Demo", "Specimen", "Model", "Pattern", "Instance", "Trial"]
WARDS = ["Central", "North", "East", "West", "Park", "Dogsthorpe", "Orton"]
HEADLINES = ["crime", "education", "domestic_abuse", "health", "financial_stability"]


async def load_demo(engine: AnyEngine) -> str:
    """Load the demo programme unless it is there already; say what was done."""
    if await Programme.exists().where(Programme.code == DEMO_CODE):
        return f"The demo programme {DEMO_CODE} is already loaded."
    rng = random.Random(2012)  # noqa: S311 - repeatable made-up data, not a secret
    now = dt.datetime.now(dt.UTC)
    async with write_transaction(engine):
        programme = await _insert_one(
            Programme(
                code=DEMO_CODE,
                name="Demo Connecting Families",
                local_authority="Demo City Council",
                ruleset_id="tf2012",
                starts_on=dt.date(2012, 4, 1),
                ends_on=dt.date(2015, 3, 31),
                target_families=300,
            )
        )
        await ChildPopulation.insert(
            *[
                ChildPopulation(programme=programme, year=y, children=45_000)
                for y in range(2012, 2016)
            ]
        )
        team = await _insert_one(Team(name="Demo family support team", programme=programme))
        workers = []
        for username, name, role in [
            ("demo.manager", "Demo Team Manager", "team_manager"),
            ("demo.pm", "Demo Programme Manager", "programme_manager"),
            ("kw.alex", "Alex Keyworker", "key_worker"),
            ("kw.sam", "Sam Keyworker", "key_worker"),
            ("kw.jo", "Jo Keyworker", "key_worker"),
        ]:
            # No passwords: demo accounts are set up with `users set-password` if wanted.
            user = await _insert_one(User(username=username, display_name=name, team=team))
            await UserRole.insert(UserRole(user=user, role=role))
            await UserProgramme.insert(UserProgramme(user=user, programme=programme))
            if role == "key_worker":
                workers.append(user)
        run = await _insert_one(
            ImportRun(
                programme=programme,
                kind="demo",
                file_name="demo",
                sha256=hashlib.sha256(b"demo").hexdigest(),
                status="succeeded",
                finished_at=now,
                operator="demo",
            )
        )
        provenance = {"programme": programme, "import_run": run, "recorded_at": now}
        for number in range(1, FAMILY_COUNT + 1):
            await _demo_family(rng, number, programme, workers, provenance)
    return f"Loaded the demo programme {DEMO_CODE} with {FAMILY_COUNT} families."


async def _insert_one(row: Table) -> int:
    result = await type(row).insert(row).returning(type(row)._meta.primary_key)
    return int(result[0]["id"])


async def _demo_family(
    rng: random.Random,
    number: int,
    programme: int,
    workers: list[int],
    provenance: dict[str, Any],
) -> None:
    identified = dt.date(2012, 4, 1) + dt.timedelta(days=rng.randrange(0, 540))
    attached = identified + dt.timedelta(days=rng.randrange(14, 90)) if number % 4 else None
    closed = attached + dt.timedelta(days=400) if attached and number % 5 == 0 else None
    surname = rng.choice(SURNAMES)
    family = await _insert_one(
        Family(
            programme=programme,
            family_ref=f"DEMO-F{number:04d}",
            status="closed" if closed else "attached" if attached else "identified",
            ward=rng.choice(WARDS),
            postcode=f"ZZ{rng.randrange(1, 9)} {rng.randrange(1, 9)}XX",
            identified_on=identified,
            attached_on=attached,
            closed_on=closed,
            closure_reason="outcomes_met" if closed else None,
            local_filter=number % 3 == 0,
            import_run=provenance["import_run"],
        )
    )
    start = attached or identified
    rows: list[Table] = []
    for index in range(rng.randrange(1, 3) + rng.randrange(1, 5)):
        is_adult = index < 1 + (number % 2)
        age = rng.randrange(25, 50) if is_adult else rng.randrange(5, 17)
        person = await _insert_one(
            Person(
                programme=programme,
                person_ref=f"DEMO-P{number:04d}-{index + 1}",
                given_name=rng.choice(GIVEN),
                family_name=surname,
                date_of_birth=start - dt.timedelta(days=365 * age + rng.randrange(0, 365)),
                sex=rng.choice(["female", "male"]),
            )
        )
        role = "adult" if is_adult else "child"
        rows.append(Membership(person=person, family=family, role=role, **provenance))
        if is_adult:
            rows.append(
                BenefitSpell(
                    person=person,
                    benefit=rng.choice(["JSA", "ESA", "IS"]),
                    start_date=start - dt.timedelta(days=rng.randrange(60, 700)),
                    **provenance,
                )
            )
            if rng.random() < 0.4:
                rows.append(
                    EmploymentSpell(
                        person=person,
                        start_date=start + dt.timedelta(days=rng.randrange(30, 200)),
                        hours_per_week=float(rng.choice([16, 24, 37])),
                        **provenance,
                    )
                )
            continue
        for term in range(-3, 3):
            period_start = start + dt.timedelta(days=122 * term)
            possible = 120
            rows.append(
                Attendance(
                    person=person,
                    period_start=period_start,
                    period_end=period_start + dt.timedelta(days=100),
                    possible_sessions=possible,
                    authorised_absence_sessions=rng.randrange(0, 8),
                    unauthorised_absence_sessions=rng.randrange(10, 30 if term < 0 else 15),
                    **provenance,
                )
            )
        if age >= 12 and rng.random() < 0.5:
            rows.append(
                Offence(
                    person=person,
                    offence_ref=f"DEMO-O{number:04d}-{index + 1}",
                    offence_date=start - dt.timedelta(days=rng.randrange(10, 170)),
                    category=rng.choice(["theft", "criminal_damage", "violence"]),
                    **provenance,
                )
            )
    if rng.random() < 0.5:
        rows.append(
            AntisocialBehaviour(
                family=family,
                asb_ref=f"DEMO-A{number:04d}",
                incident_date=start - dt.timedelta(days=rng.randrange(10, 170)),
                kind="incident",
                **provenance,
            )
        )
    if attached:
        worker = workers[number % len(workers)]
        rows.append(
            Allocation(
                family=family,
                key_worker=worker,
                started_at=dt.datetime.combine(attached, dt.time(9), dt.UTC),
            )
        )
        rows.append(
            Assessment(
                family=family,
                assessment_ref=f"DEMO-EHA{number:04d}",
                started_on=identified,
                completed_on=identified + dt.timedelta(days=rng.randrange(10, 50)),
                agency="Demo family support",
                **provenance,
            )
        )
        for headline_number, headline in enumerate(rng.sample(HEADLINES, 3)):
            rows.append(
                Need(
                    family=family,
                    need_ref=f"DEMO-N{number:04d}-{headline_number + 1}",
                    headline=headline,
                    identified_on=identified,
                    outcome="achieved" if closed else None,
                    outcome_on=closed,
                    **provenance,
                )
            )
        rows.append(
            CaseNote(
                family=family,
                author=worker,
                kind="visit",
                occurred_on=attached,
                body="First home visit; the family agreed to work with us.",
            )
        )
    for row in rows:
        await type(row).insert(row)
