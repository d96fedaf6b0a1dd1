"""tf2015 through the service: a family meeting both routes is worth its one £800 claim in the
evaluation, the command line, totals and the result page; a family failing exactly one
progress measure is a near miss."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from litestar import Litestar

from connecting_families.families.tables import Family
from connecting_families.programmes.tables import Programme

from access_world import World
from admin_world import build_admin_world, sign_in, text_of
from test_claims import OFFENCES, SECOND, command, load, prepare

SUSTAINED, EMPLOYMENT = "sustained_progress", "continuous_employment"
# FAM-1 (attached 2013-02-01, a child): C1's two offences before attachment and none in the
# six months to SECOND (crime reduced); A1 on JSA at attachment until 2013-03-31 (benefit
# ended) and in work from 2013-04-01 (13 weeks after JSA): both routes met at SECOND.
ENDED_BENEFITS = "person_ref,benefit,start_date,end_date\nA1,JSA,2012-01-01,2013-03-31\n"
EMPLOYMENT_CSV = "person_ref,start_date,hours_per_week\nA1,2013-04-01,20\n"
PEOPLE = (
    "person_ref,family_ref,given_name,family_name,date_of_birth,sex,role\n"
    "C1,FAM-1,Amy,Smith,2005-04-01,female,child\n"
    "A1,FAM-1,Cara,Smith,1980-02-02,female,adult\n"
)
FAMILIES = (
    "family_ref,programme,ward,key_worker,identified_on,attached_on\n"
    "FAM-1,P1,Central,kw_own,2013-01-10,2013-02-01\n"
)


async def tf2015_world(client: httpx.AsyncClient, app: Litestar, *loads: tuple[str, str]) -> World:
    """P1 judged by tf2015, with FAM-1, its people and the records `loads` names."""
    world = await build_admin_world(app)
    await Programme.update({Programme.ruleset_id: "tf2015"}).where(Programme.code == "P1")
    for kind, text in (("families", FAMILIES), ("people", PEOPLE), *loads):
        await load(client, world, kind, text)
    row = await Family.select(Family.id).where(Family.family_ref == "FAM-1").first()
    assert row is not None
    world.families["fam1"] = row["id"]
    return world


@pytest.fixture
async def both_routes(client: httpx.AsyncClient, app: Litestar) -> World:
    return await tf2015_world(
        client,
        app,
        ("offences", OFFENCES),
        ("benefits", ENDED_BENEFITS),
        ("employment", EMPLOYMENT_CSV),
    )


async def claimed_pounds(client: httpx.AsyncClient, world: World) -> str:
    """The amount of the claim prepared at SECOND, which is one £800 line."""
    response = await prepare(client, world, SECOND)
    assert response.status_code == 201, response.text
    claim = response.json()
    assert [(line["route"], line["amount_gbp"]) for line in claim["lines"]] == [
        (SUSTAINED, "800.00")
    ]
    amount: str = claim["amount_gbp"]
    return amount


async def test_the_evaluation_counts_a_family_meeting_both_routes_once(
    client: httpx.AsyncClient, both_routes: World
) -> None:
    """Both routes are met, and the family is worth £800, the amount of its claim."""
    url = "/api/v1/programmes/P1/evaluations"
    headers = both_routes.headers("pm")
    evaluated = await client.post(url, json={"as_of": SECOND}, headers=headers)
    assert evaluated.status_code == 200, evaluated.text
    totals = evaluated.json()
    assert totals["ruleset"] == "tf2015@3"
    assert totals["routes"] == {SUSTAINED: 1, EMPLOYMENT: 1}
    assert totals["amounts_gbp"] == {SUSTAINED: "800.00", EMPLOYMENT: "0.00"}
    lines = await client.post(
        url, params={"format": "csv"}, json={"as_of": SECOND}, headers=headers
    )
    [row] = [r for r in csv.DictReader(io.StringIO(lines.text)) if r["family_ref"] == "FAM-1"]
    assert row["routes_met"] == f"{SUSTAINED} {EMPLOYMENT}"
    assert row["amount_gbp"] == "800.00" == await claimed_pounds(client, both_routes)


async def test_the_evaluate_command_shows_the_family_worth_800(
    both_routes: World, database_url: str
) -> None:
    """`evaluate` prints each route's worth and the whole: £800, not £1,600."""
    code, out, err = await command(
        database_url, "evaluate", "--programme", "P1", "--as-of", SECOND
    )
    assert code == 0, err
    rows = {line[:24].strip(): line[24:].split() for line in out.splitlines()[1:]}
    assert rows[SUSTAINED] == ["1", "£800.00"]
    assert rows[EMPLOYMENT] == ["1", "£0.00"]
    assert out.splitlines()[-1].split() == ["results", "worth", "£800.00"]
    assert "1,600" not in out


async def test_totals_count_a_family_meeting_both_routes_once(
    client: httpx.AsyncClient, both_routes: World
) -> None:
    """Totals' results income is the claim's, however many routes are met."""
    response = await client.get(
        "/api/v1/programmes/P1/totals",
        params={"as_of": SECOND},
        headers=both_routes.headers("pm"),
    )
    assert response.status_code == 200, response.text
    totals = response.json()
    assert totals["turned_around"] == {
        "families": 1,
        "by_route": {
            EMPLOYMENT: {"families": 1, "amount_gbp": "0.00"},
            SUSTAINED: {"families": 1, "amount_gbp": "800.00"},
        },
    }
    assert totals["income"]["results_met_gbp"] == await claimed_pounds(client, both_routes)


async def test_the_result_page_shows_the_family_worth_800_once(
    client: httpx.AsyncClient, both_routes: World
) -> None:
    """The sustained progress route is worth £800; employment is met but not paid too."""
    signed_in = await sign_in(client, "kw_own")
    assert signed_in.status_code in (302, 303), signed_in.text
    response = await client.get(
        f"/families/{both_routes.families['fam1']}/result",
        params={"as_of-day": "1", "as_of-month": "3", "as_of-year": "2014"},
    )
    assert response.status_code == 200, response.text
    words = text_of(response.text)
    assert "Turned around on 1 Mar 2014" in words
    assert words.count("worth £800.00") == 1
    assert "Met; not paid as well as sustained progress." in words


async def test_a_family_failing_one_progress_measure_is_a_near_miss(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    """Crime and health are present; the health need is achieved but offending did not fall:
    the claim names FAM-1 as a near miss on that one measure, and not the measures of the
    headlines it does not have."""
    offended_again = OFFENCES + "C1,OF-3,2013-10-01\nC1,OF-4,2013-11-01\n"
    world = await tf2015_world(
        client,
        app,
        ("offences", offended_again),
        (
            "needs",
            "need_ref,family_ref,headline,identified_on,outcome,outcome_on\n"
            "N1,FAM-1,health,2013-02-10,achieved,2013-12-01\n",
        ),
    )
    window = await client.post(
        "/api/v1/programmes/P1/claim-windows",
        json={
            "name": "March 2014",
            "opens_on": SECOND,
            "closes_on": "2014-03-31",
            "as_of": SECOND,
        },
        headers=world.headers("pm"),
    )
    assert window.status_code == 201, window.text
    response = await client.get(
        "/api/v1/programmes/P1/forecast",
        params={"as_of": "2014-01-01"},
        headers=world.headers("pm"),
    )
    assert response.status_code == 200, response.text
    forecast = response.json()
    assert forecast["families"] == []
    assert forecast["near_misses"] == [
        {
            "family_ref": "FAM-1",
            "criterion": "crime_asb:offending_reduced",
            "measured": {"before": 2, "after": 2},
            "thresholds": {"reduction_percent": 33},
            "reason": "",
        }
    ]
