"""Migrations: forwards and backwards on both databases, and the natural keys they create."""

import datetime as dt

import pytest
from piccolo.apps.migrations.tables import Migration

from connecting_families.claims.tables import Claim, ClaimLine
from connecting_families.database.engine import (
    AnyEngine,
    close_database,
    create_engine,
    open_database,
    use_engine,
    write_transaction,
)
from connecting_families.database.migrations import migrate, migration_status, rollback
from connecting_families.database.registry import TABLES
from connecting_families.evidence.tables import Attendance
from connecting_families.families.tables import Family, Person
from connecting_families.programmes.tables import Programme
from connecting_families.settings import DatabaseUrl


async def _table_names(engine: AnyEngine) -> set[str]:
    if engine.engine_type == "sqlite":
        rows = await engine.run_ddl("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row["name"] for row in rows}
    rows = await engine.run_ddl(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    return {row["name"] for row in rows}


@pytest.fixture
async def empty_engine(empty_database_url: str):
    engine = create_engine(DatabaseUrl.parse(empty_database_url))
    use_engine(engine)
    await open_database(engine)
    yield engine
    await close_database(engine)


async def test_forwards_then_backwards_then_forwards(empty_engine: AnyEngine) -> None:
    """Every migration applies, reverses to an empty schema, and applies again."""
    expected = {table._meta.tablename for table in TABLES}

    applied = await migrate(empty_engine)
    assert applied == sorted(applied)
    assert len(applied) >= 2
    assert expected <= await _table_names(empty_engine)
    assert all(state.applied for state in await migration_status())

    reversed_ids = await rollback(empty_engine)
    assert reversed_ids == list(reversed(applied))
    assert not expected & await _table_names(empty_engine)
    assert not any(state.applied for state in await migration_status())

    assert await migrate(empty_engine) == applied


async def test_migrating_a_current_database_applies_nothing(empty_engine: AnyEngine) -> None:
    """A second `migrate` finds nothing to do and records nothing twice."""
    applied = await migrate(empty_engine)
    assert await migrate(empty_engine) == []
    assert await Migration.count() == len(applied)


async def test_every_table_matches_its_model(engine: AnyEngine) -> None:
    """Every column a model declares exists in the migrated database."""
    for table in TABLES:
        assert await table.select().limit(1) == []


async def _programme_with_pupil(engine: AnyEngine) -> tuple[int, int]:
    async with write_transaction(engine):
        programme = await Programme.insert(
            Programme(code="T1", name="Test", local_authority="Test LA", ruleset_id="tf2012")
        ).returning(Programme.id)
        person = await Person.insert(
            Person(
                programme=programme[0]["id"],
                person_ref="P1",
                given_name="A",
                family_name="B",
                date_of_birth=dt.date(2005, 1, 1),
            )
        ).returning(Person.id)
    return programme[0]["id"], person[0]["id"]


def _attendance(programme: int, person: int, **changes: object) -> Attendance:
    values: dict[str, object] = {
        "programme": programme,
        "person": person,
        "period_start": dt.date(2013, 1, 1),
        "period_end": dt.date(2013, 3, 31),
        "possible_sessions": 100,
        "unauthorised_absence_sessions": 20,
    }
    values.update(changes)
    return Attendance(**values)


async def test_natural_key_is_unique_among_live_rows(engine: AnyEngine) -> None:
    """Two live rows for one pupil and period are refused; a superseded one may stay."""
    programme, person = await _programme_with_pupil(engine)
    await Attendance.insert(_attendance(programme, person))

    with pytest.raises(Exception, match=r"(?i)unique"):
        await Attendance.insert(_attendance(programme, person, unauthorised_absence_sessions=5))

    await Attendance.update({Attendance.superseded_at: dt.datetime.now(dt.UTC)}).where(
        Attendance.person == person
    )
    await Attendance.insert(_attendance(programme, person, unauthorised_absence_sessions=5))
    assert await Attendance.count().where(Attendance.person == person) == 2


async def test_family_ref_is_unique_within_a_programme(engine: AnyEngine) -> None:
    """The same family_ref cannot be loaded twice into one programme."""
    programme, _ = await _programme_with_pupil(engine)
    family = Family(programme=programme, family_ref="F1", identified_on=dt.date(2013, 1, 1))
    await Family.insert(family)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await Family.insert(
            Family(programme=programme, family_ref="F1", identified_on=dt.date(2013, 1, 1))
        )


async def test_failed_write_transaction_leaves_nothing(engine: AnyEngine) -> None:
    """A write transaction that fails half-way writes nothing at all."""
    programme, _ = await _programme_with_pupil(engine)

    async def insert_then_fail() -> None:
        async with write_transaction(engine):
            await Family.insert(
                Family(programme=programme, family_ref="F9", identified_on=dt.date(2013, 1, 1))
            )
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        await insert_then_fail()
    assert await Family.count() == 0


async def test_database_refuses_a_second_live_claim_line(engine: AnyEngine) -> None:
    """No family and route can be live in two claims, nor a line reversed twice; a withdrawn
    line does not count."""
    programme, _ = await _programme_with_pupil(engine)
    family = await Family.insert(
        Family(programme=programme, family_ref="F1", identified_on=dt.date(2013, 1, 1))
    ).returning(Family.id)
    claims = [
        (
            await Claim.insert(
                Claim(
                    programme=programme,
                    claim_ref=ref,
                    as_of=dt.date(2014, 1, 1),
                    ruleset="tf2012@1",
                )
            ).returning(Claim.id)
        )[0]["id"]
        for ref in ("C1", "C2", "C3")
    ]

    def line(claim: int, *, reverses: int | None = None) -> ClaimLine:
        return ClaimLine(
            claim=claim,
            family=family[0]["id"],
            route="crime_asb_education",
            amount_pence=70_000 if reverses is None else -70_000,
            ruleset="tf2012@1",
            verdict={},
            evidence_sha256="0" * 64,
            reverses=reverses,
        )

    [first] = await ClaimLine.insert(line(claims[0])).returning(ClaimLine.id)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await ClaimLine.insert(line(claims[1]))
    # A reversal is live beside the line it reverses, but only one at a time.
    await ClaimLine.insert(line(claims[1], reverses=first["id"]))
    with pytest.raises(Exception, match=r"(?i)unique"):
        await ClaimLine.insert(line(claims[2], reverses=first["id"]))
    await ClaimLine.update({ClaimLine.is_live: False}).where(ClaimLine.claim == claims[0])
    await ClaimLine.insert(line(claims[2]))
    assert await ClaimLine.count().where(ClaimLine.is_live == True) == 2  # noqa: E712


async def test_a_claim_line_never_changes_what_it_claims(engine: AnyEngine) -> None:
    """The database refuses to change a line's amount or verdict, or to delete a claim; the
    lifecycle columns still move."""
    programme, _ = await _programme_with_pupil(engine)
    family = await Family.insert(
        Family(programme=programme, family_ref="F1", identified_on=dt.date(2013, 1, 1))
    ).returning(Family.id)
    claim = await Claim.insert(
        Claim(programme=programme, claim_ref="C1", as_of=dt.date(2014, 1, 1), ruleset="tf2012@1")
    ).returning(Claim.id)
    claim_id = claim[0]["id"]
    [line] = await ClaimLine.insert(
        ClaimLine(
            claim=claim_id,
            family=family[0]["id"],
            route="crime_asb_education",
            amount_pence=70_000,
            ruleset="tf2012@1",
            verdict={"met": True},
            evidence_sha256="0" * 64,
        )
    ).returning(ClaimLine.id)
    for change in (
        ClaimLine.update({ClaimLine.amount_pence: 1}).where(ClaimLine.claim == claim_id),
        ClaimLine.update({ClaimLine.reverses: line["id"]}).where(ClaimLine.claim == claim_id),
        ClaimLine.update({ClaimLine.verdict: {"met": False}}).where(ClaimLine.claim == claim_id),
        Claim.update({Claim.as_of: dt.date(2015, 1, 1)}).where(Claim.id == claim_id),
        ClaimLine.delete().where(ClaimLine.claim == claim_id),
        Claim.delete().where(Claim.id == claim_id),
    ):
        with pytest.raises(Exception, match="never changes what it claims"):
            await change
    await ClaimLine.update(
        {ClaimLine.is_live: False, ClaimLine.rejected_reason: "spot check"}
    ).where(ClaimLine.claim == claim_id)
    await Claim.update({Claim.status: "partly_rejected"}).where(Claim.id == claim_id)
    after = await ClaimLine.select(ClaimLine.amount_pence, ClaimLine.is_live).first()
    assert after == {"amount_pence": 70_000, "is_live": False}
