"""An ended programme's pages judge its families on its last day, and say so; a running
programme's pages judge them today."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.tables import AuditEvent
from connecting_families.domain.dates import today
from connecting_families.plans.tables import FamilyPlan, PlanGoal
from connecting_families.programmes.tables import Programme

from access_world import World
from page_world import PASSWORD, build_page_world

END = dt.date(2014, 3, 31)
ENDED = "This programme ended on 31 Mar 2014; families are judged on that day."


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": str(client.cookies["csrftoken"]),
        },
    )
    assert response.status_code in (302, 303), response.text


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def end_programme(on: dt.date) -> None:
    await Programme.update({Programme.ends_on: on}).where(Programme.code == "P1")


async def add_actions(client: httpx.AsyncClient, world: World, *due: dt.date) -> None:
    """Actions on FAM-1's goal, due on each of `due`, none done."""
    family_id = world.families["fam1"]
    plan = await FamilyPlan.select(FamilyPlan.id).where(FamilyPlan.family == family_id).first()
    assert plan is not None
    goal = await PlanGoal.select(PlanGoal.id).where(PlanGoal.plan == plan["id"]).first()
    assert goal is not None
    for number, day in enumerate(due, start=1):
        response = await client.post(
            f"/api/v1/families/{family_id}/plans/{plan['id']}/goals/{goal['id']}/actions",
            json={"description": f"Action {number}", "due_on": day.isoformat()},
            headers=world.headers("kw_own"),
        )
        assert response.status_code == 201, response.text


async def verdicts_read_as_of() -> list[str]:
    """The days of the caseload's verdict reads, from the audit log."""
    rows = await AuditEvent.select(AuditEvent.detail).where(
        AuditEvent.action == "family.verdict.read"
    )
    details = [
        r["detail"] if isinstance(r["detail"], dict) else json.loads(r["detail"]) for r in rows
    ]
    return [detail["as_of"] for detail in details]


async def test_an_ended_programmes_caseload_is_judged_at_its_end(
    client: httpx.AsyncClient, world: World
) -> None:
    """The caseload says the programme ended and judges at its last day: an action due after
    the end is not overdue, one due before it is, and the verdict is read as of the end."""
    await add_actions(client, world, dt.date(2014, 1, 6), today() - dt.timedelta(days=3))
    await end_programme(END)
    await sign_in(client, "kw_own")
    page = text_of((await client.get("/caseload")).text)
    assert ENDED in page
    row = page[page.index("FAM-1") :]
    assert "Action 1 (due 6 Jan 2014)" in row
    assert "Action 2" not in row
    assert "Result today" not in page
    assert await verdicts_read_as_of() == [END.isoformat()]


async def test_a_running_programmes_caseload_is_judged_today(
    client: httpx.AsyncClient, world: World
) -> None:
    """A programme that ends after today (or has no end) is judged today, with no sentence."""
    await add_actions(client, world, today() - dt.timedelta(days=3))
    await end_programme(today() + dt.timedelta(days=30))
    await sign_in(client, "kw_own")
    page = text_of((await client.get("/caseload")).text)
    assert "This programme ended" not in page
    assert "Result today" in page
    assert "Action 1 (due" in page[page.index("FAM-1") :]
    assert await verdicts_read_as_of() == [today().isoformat()]


async def test_an_ended_programmes_dashboard_counts_at_its_end(
    client: httpx.AsyncClient, world: World
) -> None:
    """The dashboard of an ended programme counts at its last day and says why; a day asked
    for is honoured without the sentence."""
    await end_programme(END)
    await sign_in(client, "pm")
    page = text_of((await client.get("/programmes/P1")).text)
    assert ENDED in page
    assert "counted from the programme's records at 31 Mar 2014" in page
    asked = text_of((await client.get("/programmes/P1", params={"as_of": "2013-06-30"})).text)
    assert "This programme ended" not in asked
    assert "counted from the programme's records at 30 Jun 2013" in asked


async def test_a_running_programmes_dashboard_counts_today(
    client: httpx.AsyncClient, world: World
) -> None:
    """A programme without an end is counted today, with no sentence about its end."""
    await sign_in(client, "pm")
    page = text_of((await client.get("/programmes/P1")).text)
    assert "This programme ended" not in page
    assert f"counted from the programme's records at {today():%-d %b %Y}" in page
