"""A programme manager's figures in the pages: the totals by team, key worker, ward and
headline, the forecast of the next claim, the monthly report and its downloads, and the
imports list with a refused import. Each page shows the API's own figures, money as pounds
and routes and headlines in words; who may open each is the policy's.

The pages present what the report and import services return, which run on both databases in
their own tests; the pages run on SQLite.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar import Litestar

from connecting_families.web.templating import headline_words, money

from access_world import World
from import_cases import CASES
from page_world import build_page_world

# The route keys of the world's rule set (tf2012), which no page may show as they are.
ROUTE_KEYS = ("crime_asb_education", "continuous_employment", "progress_to_work")
# A route in the rule set's own words (`cf_rulesets.wording`).
CRIME_WORDS = (
    "Crime, anti-social behaviour and school: every result that applies to the family met"
)
# Pounds as every page writes them: £18,500.00.
POUNDS = re.compile(r"£[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}")
WINDOW = {"name": "August 2013", "opens_on": "2013-08-01", "closes_on": "2013-08-31"}


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def text_of(html: str) -> str:
    """The page's words, without tags, in single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


async def api(client: httpx.AsyncClient, world: World, path: str, **params: str) -> Any:
    response = await client.get(path, params=params, headers=world.headers("pm"))
    assert response.status_code == 200, response.text
    return response.json()


async def page(client: httpx.AsyncClient, world: World, path: str, user: str = "pm") -> str:
    response = await client.get(path, headers=world.page_headers(user))
    assert response.status_code == 200, response.text
    return response.text


def money_is_pounds(html: str) -> None:
    """Every amount on the page is written £1,234.56; none is a bare number after a £."""
    for found in re.finditer(r"£[0-9,.\-]*", html):
        assert POUNDS.fullmatch(found.group(0)), found.group(0)


async def open_window(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        "/api/v1/programmes/P1/claim-windows",
        json={**WINDOW, "as_of": "2013-08-01"},
        headers=world.headers("pm"),
    )
    assert response.status_code == 201, response.text


# The totals


@pytest.mark.parametrize(
    ("breakdown", "key"),
    [("team", "by_team"), ("key-worker", "by_key_worker"), ("ward", "by_ward")],
)
async def test_the_totals_by_a_breakdown_show_the_apis_figures(
    client: httpx.AsyncClient, world: World, breakdown: str, key: str
) -> None:
    """Each row of the breakdown has the API's counts and money, right-aligned, in pounds."""
    totals = await api(client, world, "/api/v1/programmes/P1/totals", as_of="2014-06-01")
    html = await page(client, world, f"/programmes/P1/totals/{breakdown}?as_of=2014-06-01")
    words = text_of(html)
    assert totals[key], "the world has families to count"
    for row in totals[key]:
        name = row["key"] or ("Not recorded" if breakdown == "ward" else "Not allocated")
        measures = ("identified", "attached", "active", "closed", "eligible", "turned_around")
        counts = " ".join(str(row[measure]) for measure in measures)
        assert f"{name} {counts}" in words
        fees, claimed = money(row["attachment_fees_gbp"]), money(row["claimed_gbp"])
        assert f"{name} {fees} {row['claimed_families']} {claimed}" in words
    assert 'class="govuk-table__cell govuk-table__cell--numeric">' in html
    money_is_pounds(html)


async def test_the_totals_by_headline_name_headlines_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """A headline is named as every page names it (Education), never by its key."""
    totals = await api(client, world, "/api/v1/programmes/P1/totals")
    html = await page(client, world, "/programmes/P1/totals/headline")
    headlines = [row["key"] for row in totals["by_headline"]]
    assert headlines, "the world has a need under a headline"
    for headline in headlines:
        assert f'<th scope="row" class="govuk-table__header">{headline_words(headline)}</th>' in (
            html
        )
    assert "crime_asb" not in html


async def test_the_totals_pages_link_to_each_other_and_keep_the_date(
    client: httpx.AsyncClient, world: World
) -> None:
    """The sub-navigation names the page shown and keeps the date counted at."""
    html = await page(client, world, "/programmes/P1/totals/ward?as_of=2014-06-01")
    assert (
        '<a class="govuk-link" href="/programmes/P1/totals/ward?as_of=2014-06-01"'
        ' aria-current="page">By ward</a>'
    ) in html
    assert 'href="/programmes/P1/totals/key-worker?as_of=2014-06-01"' in html


async def test_an_unknown_breakdown_is_not_found(client: httpx.AsyncClient, world: World) -> None:
    """A breakdown the totals do not have is the 404 page."""
    response = await client.get(
        "/programmes/P1/totals/shoe-size", headers=world.page_headers("pm")
    )
    assert response.status_code == 404


# The forecast


async def test_the_forecast_page_shows_the_apis_families_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """FAM-1's two results, their amounts in pounds and the total match the API's forecast;
    the routes are in the rule set's words."""
    await open_window(client, world)
    forecast = await api(client, world, "/api/v1/programmes/P1/forecast", as_of="2013-05-01")
    html = await page(client, world, "/programmes/P1/forecast?as_of=2013-05-01")
    words = text_of(html)
    [family] = forecast["families"]
    assert family["family_ref"] in words
    assert f"Expected results income {money(forecast['expected_income_gbp'])}" in words
    for line in family["lines"]:
        assert f"{CRIME_WORDS if line['route'] == ROUTE_KEYS[0] else '?'}: " in words
        assert f": {money(line['amount_gbp'])}" in words
    assert f"{money(family['amount_gbp'])} Expected in all" in words
    assert "Needs time" in words
    assert not [key for key in ROUTE_KEYS if key in html]
    money_is_pounds(html)


async def test_the_forecast_without_a_later_window_says_so(
    client: httpx.AsyncClient, world: World
) -> None:
    """No claim window to forecast to is a page saying so, and where windows are."""
    html = await page(client, world, "/programmes/P1/forecast")
    assert "There is no claim window after" in text_of(html)
    assert 'href="/programmes/P1/claims"' in html


# The monthly report


async def test_the_monthly_report_shows_the_apis_figures_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """The report's families, income and routes are the API's, money in pounds, routes in
    the rule set's words, never their keys."""
    report = await api(
        client, world, "/api/v1/programmes/P1/reports/monthly", month="2014-05", format="json"
    )
    html = await page(client, world, "/programmes/P1/reports/monthly?month=2014-05")
    words = text_of(html)
    totals = report["totals"]
    assert f"Families identified {totals['families']['identified']}" in words
    assert f"Results income claimed {money(totals['income']['results_claimed_gbp'])}" in words
    assert f"Attachment fee income {money(totals['income']['attachment_fees_gbp'])}" in words
    assert totals["turned_around"]["by_route"], "FAM-1 has met a result"
    assert CRIME_WORDS in words
    assert not [key for key in ROUTE_KEYS if key in html]
    money_is_pounds(html)


async def test_the_dashboard_names_routes_by_the_rule_sets_short_names(
    client: httpx.AsyncClient, world: World
) -> None:
    """The dashboard's table of results met by route names each route as the rule set does
    (tf2012's `route_names`), not by its key in words ("Crime asb education")."""
    totals = await api(client, world, "/api/v1/programmes/P1/totals", as_of="2014-05-31")
    assert totals["turned_around"]["by_route"], "FAM-1 has met a result"
    html = await page(client, world, "/programmes/P1?as_of=2014-05-31")
    words = text_of(html)
    assert "Crime, anti-social behaviour and school 1" in words
    assert "Crime asb education" not in words
    assert not [key for key in ROUTE_KEYS if key in html]


async def test_the_monthly_report_has_a_way_back(client: httpx.AsyncClient, world: World) -> None:
    """Breadcrumbs and a link lead back to the programme's dashboard; the other months are
    linked too."""
    html = await page(client, world, "/programmes/P1/reports/monthly?month=2014-05")
    assert '<a class="govuk-breadcrumbs__link" href="/programmes/P1">P1</a>' in html
    assert 'id="back-to-programme"' in html
    assert 'href="/programmes/P1/reports/monthly?month=2014-04" rel="prev"' in html
    assert 'href="/programmes/P1/reports/monthly?month=2014-06" rel="next"' in html
    assert "April 2014" in html


async def test_the_monthly_report_page_allows_no_inline_style(
    client: httpx.AsyncClient, world: World
) -> None:
    """The report's page is a GOV.UK page under the strict policy, unlike the API's
    self-contained printable report."""
    response = await client.get(
        "/programmes/P1/reports/monthly?month=2014-05", headers=world.page_headers("pm")
    )
    assert response.status_code == 200, response.text
    assert "unsafe-inline" not in response.headers["content-security-policy"]


async def test_the_monthly_report_links_its_downloads(
    client: httpx.AsyncClient, world: World
) -> None:
    """The CSV and JSON downloads of the month shown are linked from the page."""
    html = await page(client, world, "/programmes/P1/reports/monthly?month=2014-05")
    assert 'href="/programmes/P1/reports/monthly.csv?month=2014-05"' in html
    assert 'href="/programmes/P1/reports/monthly.json?month=2014-05"' in html


async def test_the_monthly_csv_download_is_the_apis_csv(
    client: httpx.AsyncClient, world: World
) -> None:
    """The CSV is an attachment of type text/csv, the same rows as the API's format=csv."""
    from_api = await client.get(
        "/api/v1/programmes/P1/reports/monthly",
        params={"month": "2014-05", "format": "csv"},
        headers=world.headers("pm"),
    )
    response = await client.get(
        "/programmes/P1/reports/monthly.csv?month=2014-05", headers=world.page_headers("pm")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="P1-monthly-report-2014-05.csv"'
    )
    assert response.text == from_api.text
    assert response.text.splitlines()[0] == "programme,month,section,measure,value"


async def test_the_monthly_json_download_is_the_apis_json(
    client: httpx.AsyncClient, world: World
) -> None:
    """The JSON is an attachment of type application/json, the API's report."""
    from_api = await api(
        client, world, "/api/v1/programmes/P1/reports/monthly", month="2014-05", format="json"
    )
    response = await client.get(
        "/programmes/P1/reports/monthly.json?month=2014-05", headers=world.page_headers("pm")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.json() == from_api


# Imports


async def test_the_imports_list_shows_a_refused_import_in_the_apis_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """A refused file is listed with its problems; the page's status is the API's word."""
    case = CASES["attendance"]
    bad_row, _ = case.bad[0]
    refused = await client.post(
        "/api/v1/programmes/P1/imports/attendance",
        content=case.text((*case.rows, bad_row)).encode(),
        params={"file_name": "spring-attendance.csv"},
        headers={**world.headers("pm"), "Content-Type": "text/csv"},
    )
    assert refused.status_code == 422, refused.text
    [run, *earlier] = await api(client, world, "/api/v1/programmes/P1/imports")
    assert (run["file_name"], run["status"], run["problems"]) == (
        "spring-attendance.csv",
        "refused",
        1,
    )
    assert {other["status"] for other in earlier} == {"completed"}
    html = await page(client, world, "/programmes/P1/imports")
    words = text_of(html)
    assert "spring-attendance.csv Attendance Refused 1 problem, nothing written pm" in words
    assert '<strong class="govuk-tag govuk-tag--red">Refused</strong>' in html
    assert '<strong class="govuk-tag govuk-tag--green">Completed</strong>' in html


# Who may open them


FIGURES = (
    "/programmes/P1/totals/team",
    "/programmes/P1/totals/key-worker",
    "/programmes/P1/reports/monthly?month=2014-05",
    "/programmes/P1/reports/monthly.csv?month=2014-05",
    "/programmes/P1/reports/monthly.json?month=2014-05",
)


@pytest.mark.parametrize("path", [*FIGURES, "/programmes/P1/forecast"])
async def test_a_key_worker_opens_none_of_the_figures(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    """A key worker is refused every page of the programme's figures."""
    response = await client.get(path, headers=world.page_headers("kw_own"))
    assert response.status_code == 403


@pytest.mark.parametrize("path", FIGURES)
async def test_a_team_manager_opens_the_aggregates(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    """The totals and the monthly report are aggregates: a team manager may open them."""
    response = await client.get(path, headers=world.page_headers("tm"))
    assert response.status_code == 200, response.text


async def test_a_team_manager_is_not_offered_the_forecast(
    client: httpx.AsyncClient, world: World
) -> None:
    """The forecast names families a claim would: a team manager is refused it, and not
    offered it on the programme's pages."""
    await open_window(client, world)
    response = await client.get("/programmes/P1/forecast", headers=world.page_headers("tm"))
    assert response.status_code == 403
    html = await page(client, world, "/programmes/P1/totals/team", user="tm")
    assert "/programmes/P1/forecast" not in html
    assert "/programmes/P1/reports/monthly" in html


async def test_a_manager_of_another_programme_finds_no_figures(
    client: httpx.AsyncClient, world: World
) -> None:
    """Another programme's totals and report are not found, as if it did not exist."""
    for path in ("/programmes/P2/totals/team", "/programmes/P2/reports/monthly.csv"):
        response = await client.get(path, headers=world.page_headers("pm"))
        assert response.status_code == 404, path
