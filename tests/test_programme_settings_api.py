"""A programme's settings through the API, on both databases: the rule set's configuration in
full (`GET /api/v1/programmes/{code}/settings`), and a partial outcome plan merged onto the
default plan, refused in the same words the pages show."""

from __future__ import annotations

import httpx
import pytest
from cf_rulesets.tf2015 import DEFAULT_PLAN
from litestar import Litestar

from connecting_families.programmes.tables import Programme

from access_world import World, build_world

SETTINGS = "/api/v1/programmes/P1/settings"
# A council's plan for education only.
EDUCATION = {"progress": [{"criterion": "exclusions_below", "count": 2, "periods": 3}]}


@pytest.fixture
async def world(app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await Programme.update({Programme.ruleset_id: "tf2015"}).where(Programme.code == "P1")
    return world


async def test_the_settings_show_every_setting_with_its_default(
    client: httpx.AsyncClient, world: World
) -> None:
    """No overrides: each setting is its default, and the plan is the whole default plan."""
    response = await client.get(SETTINGS, headers=world.headers("pm"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ruleset"], body["overrides"]) == ("tf2015@3", {})
    grace = next(s for s in body["settings"] if s["name"] == "need_grace_months")
    assert (grace["value"], grace["default"], grace["changed"]) == (3, 3, False)
    assert [h["headline"] for h in body["outcome_plan"]] == list(DEFAULT_PLAN)
    reduced = next(c for c in body["criteria"] if c["name"] == "offending_reduced")
    assert set(reduced["parameters"]) == {"percent", "months"}


async def test_a_plan_naming_one_headline_keeps_the_others_as_they_were(
    client: httpx.AsyncClient, world: World
) -> None:
    """Saved through PATCH, education changes and the five other headlines stay the default."""
    patched = await client.patch(
        "/api/v1/programmes/P1",
        json={"version": 1, "ruleset_config": {"outcome_plan": {"education": EDUCATION}}},
        headers=world.headers("pm"),
    )
    assert patched.status_code == 200, patched.text
    body = (await client.get(SETTINGS, headers=world.headers("pm"))).json()
    plan = {h["headline"]: h for h in body["outcome_plan"]}
    assert set(plan) == set(DEFAULT_PLAN)
    assert [h for h, entry in plan.items() if entry["changed"]] == ["education"]
    assert plan["education"]["progress"][0]["parameters"] == {"count": 2, "periods": 3}
    assert plan["education"]["indicators"][0]["criterion"] == "unauthorised_absence_at_least"
    assert plan["crime_asb"]["progress"][0]["parameters"] == {"percent": 33, "months": 6}


async def test_a_wrong_setting_is_refused_naming_its_field(
    client: httpx.AsyncClient, world: World
) -> None:
    """The rule set's own words, which the settings page gives beside the field's label."""
    response = await client.patch(
        "/api/v1/programmes/P1",
        json={
            "version": 1,
            "ruleset_config": {
                "need_grace_months": 99,
                "outcome_plan": {"health": {"progress": [{"criterion": "magic"}]}},
            },
        },
        headers=world.headers("pm"),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "ruleset_config.need_grace_months",
            "message": "must be a whole number from 0 to 24",
        },
        {
            "field": "ruleset_config.outcome_plan.health.progress[0].criterion",
            "message": "'magic' is not a registered criterion",
        },
    ]


@pytest.mark.parametrize(("user", "status"), [("kw_own", 403), ("tm", 403), ("admin", 200)])
async def test_only_a_manager_or_an_administrator_reads_the_settings(
    client: httpx.AsyncClient, world: World, user: str, status: int
) -> None:
    """Key workers and team managers manage no programme; an administrator manages all."""
    response = await client.get(SETTINGS, headers=world.headers(user))
    assert response.status_code == status


async def test_another_programmes_settings_are_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    """The manager of P1 is not told whether P2 exists."""
    response = await client.get("/api/v1/programmes/P2/settings", headers=world.headers("pm"))
    assert response.status_code == 404
