"""Evaluation from the database: the loader, the verdict route, programme evaluations, the CLI."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt

import httpx
import pytest
from cf_rulesets.tf2015 import DEFAULT_PLAN
from litestar import Litestar

from connecting_families.accounts.tables import UserProgramme
from connecting_families.audit.service import Actor
from connecting_families.evaluation import service as service_module
from connecting_families.evaluation.loader import load_evidence
from connecting_families.families.tables import Family
from connecting_families.programmes.tables import Programme

from access_world import World, build_world
from import_cases import CASES, FAMILIES, PEOPLE

CSV = {"Content-Type": "text/csv"}
OFFENCES = "person_ref,offence_ref,offence_date\nC1,OF-1,2012-10-01\nC1,OF-2,2012-11-01\n"
BENEFITS = "person_ref,benefit,start_date\nA1,JSA,2012-01-01\n"


async def load(client: httpx.AsyncClient, world: World, kind: str, text: str) -> None:
    response = await client.post(
        f"/api/v1/programmes/P1/imports/{kind}",
        content=text.encode(),
        headers={**world.headers("pm"), **CSV},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await load(client, world, "families", FAMILIES)
    await load(client, world, "people", PEOPLE)
    row = await Family.select(Family.id).where(Family.family_ref == "FAM-1").first()
    assert row is not None
    world.families["fam1"] = row["id"]
    return world


async def test_the_loader_builds_each_familys_evidence(
    client: httpx.AsyncClient, world: World
) -> None:
    """Members with their birth dates, and each member's records, in one family's snapshot."""
    await load(client, world, "offences", OFFENCES)
    await load(client, world, "attendance", CASES["attendance"].text())
    await load(client, world, "asb", CASES["asb"].text())
    [evidence] = await load_evidence([world.families["fam1"]], None)
    assert [m.person_ref for m in evidence.members] == ["C1", "C2", "A1"]
    assert evidence.attached_on == dt.date(2013, 2, 1)
    assert len(evidence.offences) == 2
    assert len(evidence.attendance) == 3
    assert {row.person_id is None for row in evidence.asb} == {True, False}


async def test_the_verdict_explains_why(client: httpx.AsyncClient, world: World) -> None:
    """The key worker sees each flag and result, the routes and the rule set's version."""
    await load(client, world, "offences", OFFENCES)
    await load(client, world, "benefits", BENEFITS)
    response = await client.get(
        f"/api/v1/families/{world.families['fam1']}/verdict",
        params={"as_of": "2014-03-01"},
        headers=world.headers("kw_own"),
    )
    assert response.status_code == 200, response.text
    verdict = response.json()
    assert verdict["ruleset"] == "tf2012@1"
    assert verdict["flags"] == {"crime_asb": True, "education": False, "work": True}
    assert verdict["eligible"] is True  # two flags and the local filter (FAM-1)
    youth = next(c for c in verdict["criteria"] if c["name"] == "youth_crime")
    assert (youth["relevant"], youth["met"], youth["measured"]) == (
        True,
        True,
        {"before": 2, "after": 0},
    )
    route = next(r for r in verdict["routes"] if r["route"] == "crime_asb_education")
    assert (route["met"], route["amount_gbp"]) == (True, "700.00")


async def test_the_verdict_as_known_before_the_evidence_arrived(
    client: httpx.AsyncClient, world: World
) -> None:
    """Known before the offences were imported, the family was not flagged for crime."""
    await asyncio.sleep(0.01)
    before = dt.datetime.now(dt.UTC).isoformat()
    await asyncio.sleep(0.01)
    await load(client, world, "offences", OFFENCES)
    url = f"/api/v1/families/{world.families['fam1']}/verdict"
    then = await client.get(
        url, params={"as_of": "2014-03-01", "known_at": before}, headers=world.headers("kw_own")
    )
    now = await client.get(url, params={"as_of": "2014-03-01"}, headers=world.headers("kw_own"))
    assert then.json()["flags"]["crime_asb"] is False
    assert now.json()["flags"]["crime_asb"] is True


async def test_a_programme_evaluation_counts_and_lists_every_family(
    client: httpx.AsyncClient, world: World
) -> None:
    """Totals per route as JSON; one line a family as CSV; key workers may not run it."""
    await load(client, world, "offences", OFFENCES)
    await load(client, world, "benefits", BENEFITS)
    url = "/api/v1/programmes/P1/evaluations"
    body = {"as_of": "2014-03-01"}
    totals = await client.post(url, json=body, headers=world.headers("pm"))
    assert totals.status_code == 200, totals.text
    result = totals.json()
    assert (result["ruleset"], result["eligible"], result["turned_around"]) == ("tf2012@1", 1, 1)
    assert result["routes"]["crime_asb_education"] == 1
    assert result["families"] == 6  # the access world's four families in P1, FAM-1 and FAM-2
    lines = (
        await client.post(url, json=body, params={"format": "csv"}, headers=world.headers("pm"))
    ).text.splitlines()
    assert lines[0] == "family_ref,evaluated,eligible,turned_around,routes_met,amount_gbp,reason"
    assert "FAM-1,True,True,True,crime_asb_education,700.00," in lines
    assert len(lines) == result["families"] + 1
    refused = await client.post(url, json=body, headers=world.headers("kw_own"))
    assert refused.status_code == 403


async def test_an_administrator_gets_no_family_lines(
    client: httpx.AsyncClient, world: World
) -> None:
    """A line a family is family data, which an administrator does not see: refused."""
    response = await client.post(
        "/api/v1/programmes/P1/evaluations",
        json={"as_of": "2014-03-01"},
        params={"format": "csv"},
        headers=world.headers("admin"),
    )
    assert response.status_code == 403
    assert "FAM-1" not in response.text


async def test_worker_processes_give_the_same_evaluation(
    client: httpx.AsyncClient, world: World, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judged in two worker processes, chunk by chunk, the totals and every line are the same."""
    await load(client, world, "offences", OFFENCES)
    await load(client, world, "benefits", BENEFITS)
    monkeypatch.setattr(service_module, "CHUNK_FAMILIES", 2)  # three chunks of P1's six
    service = app.state.evaluation
    operator = Actor.operator("test")
    here = await service.evaluate_programme(None, operator, "P1", dt.date(2014, 3, 1), None)
    workers = await service.evaluate_programme(
        None, operator, "P1", dt.date(2014, 3, 1), None, workers=2
    )
    assert workers == here
    assert workers.csv() == here.csv()
    assert (workers.families, workers.routes["crime_asb_education"]) == (6, 1)


async def test_a_programme_configuration_is_checked_against_its_rule_set(
    client: httpx.AsyncClient, world: World
) -> None:
    """An unknown rule set, an unknown criterion and a bad parameter are each named."""
    url = "/api/v1/programmes"
    base = {"code": "P3", "name": "P3", "local_authority": "LA"}
    unknown = await client.post(
        url, json={**base, "ruleset_id": "tf1999"}, headers=world.headers("admin")
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "ruleset_id"
    plan = copy.deepcopy(DEFAULT_PLAN)
    plan["health"]["progress"] = [{"criterion": "wellbeing_up"}]
    bad = await client.post(
        url,
        json={**base, "ruleset_id": "tf2015", "ruleset_config": {"outcome_plan": plan}},
        headers=world.headers("admin"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {
            "field": "ruleset_config.outcome_plan.health.progress[0].criterion",
            "message": "'wellbeing_up' is not a registered criterion",
        }
    ]


async def test_a_plugins_criterion_in_an_outcome_plan_explains_a_verdict(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """The example plugin's criterion, named in a programme's plan, judges imported data."""
    plan = copy.deepcopy(DEFAULT_PLAN)
    plan["domestic_abuse"]["progress"] = [
        {"criterion": "domestic_abuse_incidents_reduced", "percent": 50, "months": 6}
    ]
    created = await client.post(
        "/api/v1/programmes",
        json={
            "code": "P3",
            "name": "P3",
            "local_authority": "LA",
            "ruleset_id": "tf2015",
            "ruleset_config": {"outcome_plan": plan},
        },
        headers=world.headers("admin"),
    )
    assert created.status_code == 201, created.text
    # The administrator set the programme up; its manager loads its families' data.
    p3 = await Programme.select(Programme.id).where(Programme.code == "P3").first()
    assert p3 is not None
    await UserProgramme.insert(UserProgramme(user=world.users["pm"], programme=p3["id"]))

    async def load_p3(kind: str, text: str) -> None:
        response = await client.post(
            f"/api/v1/programmes/P3/imports/{kind}",
            content=text.encode(),
            headers={**world.headers("pm"), **CSV},
        )
        assert response.status_code == 200, response.text

    await load_p3("families", FAMILIES.replace(",P1,", ",P3,").replace("kw_own", ""))
    await load_p3("people", PEOPLE)
    await load_p3(
        "needs", "need_ref,family_ref,headline,identified_on\nN1,FAM-1,domestic_abuse,2013-02-10\n"
    )
    await load_p3(
        "observations",
        "family_ref,measure,observed_on,value\n"
        "FAM-1,domestic_abuse_incidents,2012-09-01,3\n"
        "FAM-1,domestic_abuse_incidents,2014-01-01,1\n",
    )
    family = (
        await Family.select(Family.id)
        .where(Family.family_ref == "FAM-1", Family.programme.code == "P3")
        .first()
    )
    assert family is not None
    plugins = app.state.plugins
    ruleset = plugins.ruleset("tf2015")
    [evidence] = await load_evidence([family["id"]], None)
    config = ruleset.configuration({"outcome_plan": plan})
    verdict = ruleset.evaluate(evidence, dt.date(2014, 3, 1), config, plugins.context())
    explained = verdict.criterion("domestic_abuse:domestic_abuse_incidents_reduced")
    assert (explained.relevant, explained.met) == (True, True)
    assert explained.measured == {"before": 3.0, "after": 1.0}
