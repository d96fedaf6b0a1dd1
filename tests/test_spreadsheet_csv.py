"""Every CSV the service writes is safe to open in a spreadsheet: a text cell that would start a
formula is prefixed with `'` (OWASP, CSV injection); numbers, dates and flags stay as they are.

The formula-like values are stored directly, as rows written before the ref grammar held:
the grammar now refuses them at every door.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from connecting_families.families.tables import Family
from connecting_families.programmes.tables import Programme
from connecting_families.spreadsheets import csv_text

from access_world import World, build_world
from test_claims import (
    CORRECTED_OFFENCES,
    SECOND,
    decide,
    load,
    load_households,
    prepare,
    sample_sign_submit,
)

FORMULAS = ['=HYPERLINK("http://x","y")', "+SUM(1)", "-2+3", "@cmd", "\tTAB", "\rCR"]
NUMBER = r"-?[0-9]+(\.[0-9]+)?"


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_text_is_neutralised_and_numbers_dates_and_flags_are_not() -> None:
    """Each formula start in a text column gets `'`; `-1000.00` in an amount column stays."""
    columns = (("ref", "text"), ("amount", "number"), ("on", "date"), ("flag", "flag"))
    rows = [(text, "-1000.00", dt.date(2014, 3, 1), True) for text in FORMULAS]
    rows.append(("plain", Decimal("-5.50"), "2014-03", False))
    # A number column holding something that is not a number is written as text.
    rows.append(("x", "-2+3", "=1+1", "@flag"))
    read = list(csv.reader(io.StringIO(csv_text(columns, rows), newline="")))
    assert read[0] == ["ref", "amount", "on", "flag"]
    assert [row[0] for row in read[1:7]] == ["'" + text for text in FORMULAS]
    assert {tuple(row[1:]) for row in read[1:7]} == {("-1000.00", "2014-03-01", "True")}
    assert read[7] == ["plain", "-5.50", "2014-03", "False"]
    assert read[8] == ["x", "'-2+3", "'=1+1", "'@flag"]


def test_cells_are_quoted_by_rfc_4180() -> None:
    """A cell with a comma, a quote or a line break (CR too) is quoted, its quotes doubled, so
    a carriage return inside a ward cannot start a row of its own with a formula."""
    text = csv_text(
        (("a", "text"), ("b", "text"), ("c", "text")), [('say "hi", then', "two\nlines", "x\r=1")]
    )
    assert text == 'a,b,c\n"say ""hi"", then","two\nlines","x\r=1"\n'
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == [
        'say "hi", then',
        "two\nlines",
        "x\r=1",
    ]


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


async def _families(world: World, **column_values: list[str]) -> None:
    """One family of P1 per value, identified in 2013."""
    [(column, values)] = column_values.items()
    for number, value in enumerate(values):
        await Family.insert(
            Family(
                programme=world.programmes["P1"],
                family_ref=value if column == "family_ref" else f"W-{number}",
                ward=value if column == "ward" else None,
                identified_on=dt.date(2013, 1, 1),
            )
        )


async def test_the_evaluation_csv_neutralises_family_refs(
    client: httpx.AsyncClient, world: World
) -> None:
    """A family ref like `=HYPERLINK(…)` comes back as `'=HYPERLINK(…)`; amounts and flags
    stay as they were."""
    await _families(world, family_ref=FORMULAS)
    response = await client.post(
        "/api/v1/programmes/P1/evaluations",
        json={"as_of": "2014-03-01"},
        params={"format": "csv"},
        headers=world.headers("pm"),
    )
    assert response.status_code == 200, response.text
    rows = rows_of(response.text)
    refs = {row["family_ref"] for row in rows}
    assert {"'" + formula for formula in FORMULAS} <= refs
    assert not refs & set(FORMULAS)
    assert {row["amount_gbp"] for row in rows} == {"0.00"}
    assert {row["evaluated"] for row in rows} <= {"True", "False"}


async def test_the_totals_csv_neutralises_wards(client: httpx.AsyncClient, world: World) -> None:
    """A ward like `-2+3` is `'-2+3` in the totals' key column; the counts stay numbers."""
    await _families(world, ward=FORMULAS)
    response = await client.get(
        "/api/v1/programmes/P1/totals",
        params={"as_of": "2014-03-01", "format": "csv"},
        headers=world.headers("pm"),
    )
    assert response.status_code == 200, response.text
    by_ward = [row for row in rows_of(response.text) if row["breakdown"] == "by_ward"]
    wards = {row["key"] for row in by_ward}
    assert {"'" + formula for formula in FORMULAS} <= wards
    assert not wards & set(FORMULAS)
    identified = {r["key"]: r["value"] for r in by_ward if r["measure"] == "identified"}
    assert {identified["'" + formula] for formula in FORMULAS} == {"1"}


async def _command(database_url: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "connecting_families",
        *args,
        env={**os.environ, "CF_DATABASE_URL": database_url, "CF_SECRET_KEY": "k" * 40},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_monthly_report_csv_neutralises_its_programme_code(
    client: httpx.AsyncClient, world: World, database_url: str, tmp_path: Path
) -> None:
    """A programme code stored as `@cmd` is `'@cmd` in every row of the monthly CSV; the
    figures stay numbers (or blank)."""
    await Programme.update({Programme.code: "@cmd"}).where(Programme.code == "P1")
    out = tmp_path / "march.csv"
    code, _, err = await _command(
        database_url, "report", "monthly", "--programme=@cmd", "--month=2014-03", f"--out={out}"
    )
    assert code == 0, err
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert {row["programme"] for row in rows} == {"'@cmd"}
    assert all(row["value"] == "" or _is_number(row["value"]) for row in rows)


def _is_number(text: str) -> bool:
    return re.fullmatch(NUMBER, text) is not None


@pytest.fixture
async def claims_world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await load_households(client, world)
    return world


@pytest.mark.parametrize("family_ref", ["-2+3", '=HYPERLINK("http://x","y")'])
async def test_the_claim_return_neutralises_text_and_keeps_amounts(
    client: httpx.AsyncClient, claims_world: World, family_ref: str
) -> None:
    """The claim return's family_ref is neutralised, a reversal's `-700.00` is kept exactly,
    and both claims still verify with no difference."""
    world = claims_world
    await Family.update({Family.family_ref: family_ref}).where(Family.family_ref == "FAM-1")
    paid = (await prepare(client, world, SECOND)).json()
    await sample_sign_submit(client, world, paid["id"])
    await decide(client, world, paid["id"], [])
    await load(client, world, "offences", CORRECTED_OFFENCES)
    correcting = (await prepare(client, world, SECOND)).json()
    exported = {}
    for claim in (paid, correcting):
        response = await client.get(
            f"/api/v1/claims/{claim['id']}/export.csv", headers=world.headers("pm")
        )
        assert response.status_code == 200, response.text
        exported[claim["id"]] = [
            (row["family_ref"], row["amount_gbp"], row["as_of"]) for row in rows_of(response.text)
        ]
    neutral = "'" + family_ref
    assert exported[paid["id"]] == [(neutral, "700.00", SECOND), (neutral, "100.00", SECOND)]
    assert exported[correcting["id"]] == [(neutral, "-700.00", SECOND)]
    for claim in (paid, correcting):
        verified = await client.post(
            f"/api/v1/claims/{claim['id']}/verify", headers=world.headers("auditor")
        )
        assert verified.status_code == 200, verified.text
        assert verified.json()["differences"] == []
