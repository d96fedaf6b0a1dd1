"""Dates at the edge of the calendar are refused by name, at every door, never a 500."""

import httpx
import pytest
from litestar import Litestar

from connecting_families.http_params import out_of_range_dates

from access_world import World, build_world

EDGES = ["9999-12-31", "0001-01-01"]


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await client.get("/sign-in")  # the app issues a CSRF token in a cookie
    world.csrf = str(client.cookies["csrftoken"])
    client.cookies.clear()
    return world


def _names_as_of(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["as_of"]


@pytest.mark.parametrize("edge", EDGES)
async def test_verdict_refuses_an_as_of_out_of_range(
    client: httpx.AsyncClient, world: World, edge: str
) -> None:
    """A family's verdict as of a date out of range is a 422 naming `as_of`."""
    response = await client.get(
        f"/api/v1/families/{world.families['own']}/verdict",
        params={"as_of": edge},
        headers=world.headers("pm"),
    )
    _names_as_of(response)


@pytest.mark.parametrize("edge", EDGES)
async def test_totals_refuse_an_as_of_out_of_range(
    client: httpx.AsyncClient, world: World, edge: str
) -> None:
    """Programme totals as of a date out of range are a 422 naming `as_of`."""
    response = await client.get(
        "/api/v1/programmes/P1/totals", params={"as_of": edge}, headers=world.headers("pm")
    )
    _names_as_of(response)


@pytest.mark.parametrize("edge", EDGES)
async def test_claim_preparation_refuses_an_as_of_out_of_range(
    client: httpx.AsyncClient, world: World, edge: str
) -> None:
    """Preparing a claim as of a date out of range is a 422 naming `as_of`; no claim made."""
    response = await client.post(
        "/api/v1/programmes/P1/claims", json={"as_of": edge}, headers=world.headers("pm")
    )
    _names_as_of(response)
    listed = await client.get("/api/v1/programmes/P1/claims", headers=world.headers("pm"))
    assert listed.json()["claims"] == []


@pytest.mark.parametrize("edge", EDGES)
async def test_dashboard_page_refuses_an_as_of_out_of_range(
    client: httpx.AsyncClient, world: World, edge: str
) -> None:
    """The dashboard page as of a date out of range is a 422 page naming `as_of`."""
    response = await client.get(
        "/programmes/P1", params={"as_of": edge}, headers=world.page_headers("pm")
    )
    assert response.status_code == 422
    assert "as_of" in response.text
    assert "from 1900-01-01 to 2099-12-31" in response.text


@pytest.mark.parametrize("edge", EDGES)
async def test_claim_page_form_refuses_an_as_of_out_of_range(
    client: httpx.AsyncClient, world: World, edge: str
) -> None:
    """The claim page's form with a date out of range is a 422 page naming `as_of`."""
    response = await client.post(
        "/programmes/P1/claims", data={"as_of": edge}, headers=world.page_headers("pm")
    )
    assert response.status_code == 422
    assert "as_of" in response.text
    assert "from 1900-01-01 to 2099-12-31" in response.text


def test_dates_nested_in_a_body_are_named_by_their_path() -> None:
    """A date deep in a body is named by its path; other text and real dates pass."""
    body = {"plan": {"actions": [{"due_on": "2020-01-01"}, {"due_on": "2200-01-01"}]}}
    problems = out_of_range_dates(
        [*body.items(), ("note", "9999-99-99"), ("at", "1899-12-31T23:00:00")]
    )
    assert [problem["field"] for problem in problems] == ["plan.actions[1].due_on", "at"]
