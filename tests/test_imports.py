"""Imports of every data-exchange file: clean files, bad rows, re-imports, corrections, and
reading back as known at an instant. On SQLite and PostgreSQL, below the HTTP layer."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.database.engine import AnyEngine
from connecting_families.errors import Invalid, TooLarge
from connecting_families.evidence.service import EvidenceService
from connecting_families.families.tables import Allocation, Family, Membership, Person
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.kinds import KINDS
from connecting_families.imports.reader import MAX_PROBLEMS_LISTED
from connecting_families.imports.service import ImportRequest, ImportResult, ImportService
from connecting_families.imports.tables import ImportRun

from access_world import World, build_world
from import_cases import CASES, FAMILIES, PEOPLE, CouncilMeasures

OPERATOR = Actor.operator("tests")
# A work programme row is all natural key: it can be added, never corrected.
CORRECTABLE = sorted(kind for kind in CASES if KINDS[kind].values)


@pytest.fixture
async def world(app: Litestar, client: httpx.AsyncClient) -> World:
    """The access world, in the app's database (the client runs the app's lifespan)."""
    return await build_world(app.state.accounts)


@pytest.fixture
def engine(app: Litestar) -> AnyEngine:
    """The app's engine: Piccolo's tables are bound to the engine the app installed."""
    engine: AnyEngine = app.state.engine
    return engine


@pytest.fixture
def service(engine: AnyEngine) -> ImportService:
    plugins = PluginHost()
    plugins.register(CouncilMeasures(), "council-measures")
    return ImportService(engine, 1_000_000, plugins)


async def run(
    service: ImportService, kind: str, text: str | bytes, **options: Any
) -> ImportResult:
    data = text.encode() if isinstance(text, str) else text
    request = ImportRequest(
        kind=kind, programme_code="P1", data=data, file_name=f"{kind}.csv", **options
    )
    return await service.run(None, OPERATOR, request)


async def problems(
    service: ImportService, kind: str, text: str | bytes, **options: Any
) -> list[str]:
    with pytest.raises(Invalid) as refused:
        await run(service, kind, text, **options)
    return [problem["text"] for problem in refused.value.errors]


@pytest.fixture
async def household(world: World, service: ImportService) -> int:
    """FAM-1 and FAM-2 with their people, imported; the id of FAM-1."""
    await run(service, "families", FAMILIES)
    await run(service, "people", PEOPLE)
    row = await Family.select(Family.id).where(Family.family_ref == "FAM-1").first()
    assert row is not None
    return int(row["id"])


async def table_rows(table: str) -> list[dict[str, Any]]:
    from connecting_families.database.registry import TABLES

    found = next(t for t in TABLES if t._meta.tablename == table)
    return list(await found.select().order_by(found._meta.primary_key))


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_clean_file_imports_every_row(
    service: ImportService, household: int, kind: str
) -> None:
    """Every row of a clean file is imported, linked to its import run."""
    case = CASES[kind]
    result = await run(service, kind, case.text())
    assert (result.rows, result.inserted, result.superseded, result.unchanged) == (
        len(case.rows),
        len(case.rows),
        0,
        0,
    )
    rows = await table_rows(case.table)
    assert len(rows) == len(case.rows)
    assert {row["import_run"] for row in rows} == {result.import_run}
    assert all(row["superseded_at"] is None and row["version"] == 1 for row in rows)
    run_row = await ImportRun.select().where(ImportRun.id == result.import_run).first()
    assert run_row is not None
    assert (run_row["status"], run_row["rows_inserted"], run_row["sha256"]) == (
        "completed",
        len(case.rows),
        result.sha256,
    )


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_every_bad_row_is_reported_and_nothing_is_written(
    service: ImportService, household: int, kind: str
) -> None:
    """Each bad row is named by line and column; the good rows beside them are not written."""
    case = CASES[kind]
    rows = case.rows + tuple(row for row, _ in case.bad)
    found = await problems(service, kind, case.text(rows))
    first_bad_line = len(case.rows) + 2
    for offset, (_, expected) in enumerate(case.bad):
        line = f"line {first_bad_line + offset}"
        assert any(p.startswith((f"{line}, ", f"{line}: ")) and expected in p for p in found), (
            line,
            expected,
            found,
        )
    assert await table_rows(case.table) == []
    [run] = await ImportRun.select(ImportRun.status, ImportRun.problems).where(
        ImportRun.kind == kind
    )
    assert (run["status"], run["problems"]) == ("refused", len(found))
    refusal = await AuditEvent.select().where(AuditEvent.action == f"import.{kind}").first()
    assert refusal is not None
    assert refusal["allowed"] is False


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_importing_the_same_file_again_changes_nothing(
    service: ImportService, household: int, kind: str
) -> None:
    """The second import of a file says every row is unchanged and writes no row."""
    case = CASES[kind]
    await run(service, kind, case.text())
    before = await table_rows(case.table)
    again = await run(service, kind, case.text())
    assert (again.inserted, again.superseded, again.unchanged) == (0, 0, len(case.rows))
    assert await table_rows(case.table) == before


@pytest.mark.parametrize("kind", CORRECTABLE)
async def test_a_corrected_row_supersedes_its_earlier_version(
    service: ImportService, household: int, kind: str
) -> None:
    """The changed row gets a new version; the old one stays, marked superseded."""
    case = CASES[kind]
    first = await run(service, kind, case.text())
    second = await run(service, kind, case.corrected())
    assert (second.inserted, second.superseded, second.unchanged) == (0, 1, len(case.rows) - 1)
    rows = await table_rows(case.table)
    assert len(rows) == len(case.rows) + 1
    old = [row for row in rows if row["superseded_at"] is not None]
    new = [row for row in rows if row["version"] == 2]
    assert len(old) == 1
    assert len(new) == 1
    assert old[0]["import_run"] == first.import_run
    assert new[0]["import_run"] == second.import_run
    assert new[0]["superseded_at"] is None


@pytest.mark.parametrize("kind", CORRECTABLE)
async def test_reading_as_known_at_shows_what_was_known_then(
    engine: AnyEngine, service: ImportService, household: int, kind: str
) -> None:
    """Before the correction, the old version; after it, the new; before both, nothing."""
    case = CASES[kind]
    evidence = EvidenceService(engine)
    before_any = dt.datetime.now(dt.UTC)
    await asyncio.sleep(0.01)
    await run(service, kind, case.text())
    await asyncio.sleep(0.01)
    between = dt.datetime.now(dt.UTC)
    await asyncio.sleep(0.01)
    await run(service, kind, case.corrected())

    async def versions(instant: dt.datetime | None) -> list[tuple[int, int]]:
        records = await evidence.records(household, instant, (kind,))
        return sorted((row["id"], row["version"]) for row in records[kind])

    family_rows = len(await versions(None))
    assert family_rows >= 1
    assert await versions(before_any) == []
    then = await versions(between)
    now = await versions(None)
    assert len(then) == len(now)
    assert [v for _, v in then].count(2) == 0
    assert [v for _, v in now].count(2) in (0, 1)  # the corrected row may be FAM-2's
    all_versions = {row["version"] for row in await table_rows(case.table)}
    assert all_versions == {1, 2}


async def test_families_import_sets_status_postcode_and_key_worker(
    world: World, service: ImportService, household: int
) -> None:
    """Status follows the dates, postcodes are tidied, and the key worker is allocated."""
    family = await Family.select().where(Family.id == household).first()
    assert family is not None
    assert (family["status"], family["postcode"], family["local_filter"]) == (
        "attached",
        "PE1 1AA",
        True,
    )
    allocation = await Allocation.select().where(Allocation.family == household).first()
    assert allocation is not None
    assert allocation["key_worker"] == world.users["kw_own"]
    closed = FAMILIES.replace(
        "2013-02-01,,,yes,no", "2013-02-01,2014-03-01,outcomes_met,yes,no"
    ).replace("kw_own", "kw_spare")
    result = await run(service, "families", closed)
    assert (result.superseded, result.unchanged) == (1, 1)
    family = await Family.select().where(Family.id == household).first()
    assert family is not None
    assert (family["status"], family["version"]) == ("closed", 2)
    current = await Allocation.select().where(
        Allocation.family == household, Allocation.ended_at.is_null()
    )
    assert [row["key_worker"] for row in current] == [world.users["kw_spare"]]


async def test_families_import_refuses_bad_rows(world: World, service: ImportService) -> None:
    """Another programme, unknown key workers, dates out of order and repeats are named."""
    header = FAMILIES.splitlines()[0]
    text = "\n".join(
        [
            header,
            "F-A,P2,,,,2013-01-10,,,,,",
            "F-B,P1,,,nobody,2013-01-10,,,,,",
            "F-C,P1,,,,2013-01-10,2012-01-01,,,,",
            "F-D,P1,,,,2013-01-10,,,moved_away,,",
            "F-D,P1,,,,2013-01-10,,,,maybe,",
        ]
    )
    found = await problems(service, "families", text)
    assert found == [
        "line 2, column programme: is not P1, the programme imported into",
        "line 3, column key_worker: is not the username of an active key worker of P1",
        "line 4, column attached_on: is before identified_on",
        "line 5, column closure_reason: is given but closed_on is empty",
        "line 6, column local_filter: is not one of true/false/yes/no/1/0/y/n",
    ]


async def test_people_import_updates_people_and_moves_memberships(
    service: ImportService, household: int
) -> None:
    """A corrected name updates the person; leaving a household supersedes the membership."""
    changed = PEOPLE.replace("Ben,Smith", "Benjamin,Smith").replace(
        "A1,FAM-1,Cara,Smith,1980-02-02,female,adult,,AB123456C,,",
        "A1,FAM-1,Cara,Smith,1980-02-02,female,adult,,AB123456C,,2014-01-01",
    )
    result = await run(service, "people", changed)
    assert (result.inserted, result.superseded, result.unchanged) == (0, 2, 2)
    ben = await Person.select().where(Person.person_ref == "C2").first()
    assert ben is not None
    assert (ben["given_name"], ben["version"]) == ("Benjamin", 2)
    memberships = await Membership.select().where(Membership.family == household)
    assert len(memberships) == 4
    left = [m for m in memberships if m["left_on"] is not None]
    assert len(left) == 1
    assert left[0]["superseded_at"] is None
    assert left[0]["version"] == 2


async def test_people_import_refuses_clashing_identifiers(
    service: ImportService, household: int
) -> None:
    """A UPN already another person's, different details for one person, a bad role."""
    header = PEOPLE.splitlines()[0]
    text = "\n".join(
        [
            header,
            "E1,FAM-2,Eve,Jones,2010-01-01,,child,A123456789012,,,",
            "E2,FAM-2,Fay,Jones,2011-01-01,,child,,,,",
            "E2,FAM-1,Fay,Jonas,2011-01-01,,child,,,,",
            "E3,FAM-2,Gil,Jones,2011-01-01,,parent,,,,",
            "E4,FAM-2,Hal,Jones,2031-01-01,,child,,,,",
        ]
    )
    assert await problems(service, "people", text) == [
        "line 2, column upn: is already another person's",
        "line 4, column person_ref: has different details from line 3",
        "line 5, column role: is 'parent', not one of adult, child",
        "line 6, column date_of_birth: is in the future",
    ]


async def test_an_ambiguous_upn_is_refused(service: ImportService, household: int) -> None:
    """Two people sharing a UPN (entered by hand) cannot be told apart: a row error."""
    await Person.update({Person.upn: "A123456789012"}).where(Person.person_ref == "C2")
    text = "upn,period_start,period_end,possible_sessions,unauthorised_absence_sessions\n"
    text += "A123456789012,2013-09-02,2013-12-20,140,10\n"
    assert await problems(service, "attendance", text) == [
        "line 2, column upn: matches more than one person; give person_ref instead"
    ]


async def test_header_problems_are_reported_on_line_one(
    service: ImportService, household: int
) -> None:
    """Unknown, repeated and missing columns, each named."""
    text = "person_ref,Period_Start,period_start,possible_sesions,unauthorised_absence_sessions\n"
    assert await problems(service, "attendance", text) == [
        "line 1, column period_start: appears twice in the header",
        "line 1, column possible_sesions: is not a column of this file (check its spelling, "
        "or ask to ignore unknown columns)",
        "line 1, column period_end: is required but missing from the header",
        "line 1, column possible_sessions: is required but missing from the header",
    ]


async def test_unknown_columns_can_be_ignored_when_asked(
    service: ImportService, household: int
) -> None:
    """With ignore_unknown_columns, an extra column is skipped and the file imports."""
    text = CASES["offences"].text().replace("category", "category,officer", 1)
    text = text.replace(",theft", ",theft,PC 1").replace(",violence", ",violence,PC 2")
    assert any("officer" in p for p in await problems(service, "offences", text))
    result = await run(service, "offences", text, ignore_unknown_columns=True)
    assert result.inserted == 2


async def test_the_common_csv_rules(service: ImportService, household: int) -> None:
    """A BOM, spaced capitalised headers, CRLF, quoting, blank lines and Excel's empty rows."""
    text = (
        "\ufeff Person_Ref ,OFFENCE_REF,offence_date,outcome_date,category\r\n"
        'C1,OF-1,2012-06-01,,"theft, from a shop"\r\n'
        "\r\n"
        ",,,,\r\n"
        '"A1","OF-2","2012-07-01","",""\r\n'
    )
    result = await run(service, "offences", text)
    assert result.inserted == 2
    rows = await table_rows("offence")
    assert [row["category"] for row in rows] == ["theft, from a shop", None]


async def test_line_numbers_count_physical_lines(service: ImportService, household: int) -> None:
    """A quoted cell spanning lines moves the line numbers of the rows after it."""
    text = (
        "need_ref,family_ref,headline,identified_on,evidence\n"
        'N-1,FAM-1,education,2013-02-01,"one\ntwo\nthree"\n'
        "N-2,FAM-1,education,2013-13-01,\n"
    )
    assert await problems(service, "needs", text) == [
        "line 5, column identified_on: is not a real date"
    ]


async def test_files_that_are_not_csv_text(service: ImportService, household: int) -> None:
    """Not UTF-8, empty, ragged rows and an unclosed quote are each reported."""
    latin1 = "person_ref,offence_ref,offence_date\nC1,OF-1,2012-06-01\nC\xe9,OF-2,2012-06-01\n"
    assert await problems(service, "offences", latin1.encode("latin-1")) == [
        "line 3: is not UTF-8 text (save the file as CSV UTF-8)"
    ]
    assert await problems(service, "offences", "") == [
        "line 1: the file is empty; it needs a header row"
    ]
    ragged = "person_ref,offence_ref,offence_date\nC1,OF-1,2012-06-01,extra\n"
    assert await problems(service, "offences", ragged) == [
        "line 2: has 4 cells but the header has 3 columns"
    ]
    unclosed = 'person_ref,offence_ref,offence_date\nC1,"OF-1,2012-06-01\n'
    found = await problems(service, "offences", unclosed)
    assert len(found) == 1
    assert found[0].startswith("line 2: is not valid CSV")


async def test_a_dry_run_counts_and_writes_nothing(service: ImportService, household: int) -> None:
    """A dry run reports what would change, and leaves no rows and no import run."""
    case = CASES["attendance"]
    result = await run(service, "attendance", case.text(), dry_run=True)
    assert (result.dry_run, result.inserted, result.import_run) == (True, 3, None)
    assert await table_rows("attendance") == []
    assert "would be imported" in result.summary


async def test_a_file_over_the_limit_is_refused(engine: AnyEngine, household: int) -> None:
    """The size limit is checked before anything is read, with the setting named."""
    small = ImportService(engine, 100, PluginHost())
    with pytest.raises(TooLarge, match="CF_MAX_IMPORT_BYTES"):
        await small.run(
            None,
            OPERATOR,
            ImportRequest(kind="offences", programme_code="P1", data=b"x" * 101, file_name="f"),
        )


async def test_a_huge_bad_file_lists_the_first_problems_and_counts_all(
    service: ImportService, household: int
) -> None:
    """Thousands of bad rows: the first are listed in line order, the total is given."""
    rows = [f"C1,OF-{n},not-a-date" for n in range(MAX_PROBLEMS_LISTED + 500)]
    text = "person_ref,offence_ref,offence_date\n" + "\n".join(rows)
    with pytest.raises(Invalid) as refused:
        await run(service, "offences", text)
    assert refused.value.extra["problems_total"] == MAX_PROBLEMS_LISTED + 500
    lines = [problem["line"] for problem in refused.value.errors]
    assert lines == list(range(2, MAX_PROBLEMS_LISTED + 2))
    assert "the first 1000 are listed" in refused.value.detail


async def test_an_unknown_kind_or_programme_is_not_found(
    service: ImportService, household: int
) -> None:
    """Neither an unknown file kind nor another programme is imported into."""
    from connecting_families.errors import NotFound

    with pytest.raises(NotFound, match="the kinds are families, people"):
        await run(service, "schools", "a\n1\n")
    with pytest.raises(NotFound):
        await service.run(
            None,
            OPERATOR,
            ImportRequest(kind="offences", programme_code="NOPE", data=b"a\n", file_name="f"),
        )


async def test_work_programme_rows_are_their_own_key(
    service: ImportService, household: int
) -> None:
    """A work programme row is all key: a changed start date is a new start, not a correction."""
    case = CASES["work_programme"]
    await run(service, "work_programme", case.text())
    moved = case.text().replace("2013-05-01", "2013-05-02")
    result = await run(service, "work_programme", moved)
    assert (result.inserted, result.superseded, result.unchanged) == (1, 0, 1)
