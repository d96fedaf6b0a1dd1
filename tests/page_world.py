"""A family for the page tests: FAM-1 of the import cases, allocated to kw_own, with a need,
a plan with a goal, and partner evidence; each user of the access world has a password."""

from __future__ import annotations

import datetime as dt

import httpx

from connecting_families.accounts import credentials
from connecting_families.accounts.tables import User
from connecting_families.domain.dates import today
from connecting_families.families.tables import Family, Person

from access_world import World, build_world
from import_cases import FAMILIES, PEOPLE

PASSWORD = "correct horse battery staple"
CSV = {"Content-Type": "text/csv"}
EVIDENCE = {
    "offences": "person_ref,offence_ref,offence_date\nC1,OF-1,2012-10-01\nC1,OF-2,2012-11-01\n",
    "benefits": "person_ref,benefit,start_date\nA1,JSA,2012-01-01\n",
    "needs": "need_ref,family_ref,person_ref,headline,identified_on\n"
    "N-1,FAM-1,C1,education,2013-02-01\n",
}


async def load(client: httpx.AsyncClient, world: World, kind: str, text: str) -> None:
    response = await client.post(
        f"/api/v1/programmes/P1/imports/{kind}",
        content=text.encode(),
        headers={**world.headers("pm"), **CSV},
    )
    assert response.status_code == 200, response.text


async def build_page_world(client: httpx.AsyncClient, accounts: object) -> World:
    world = await build_world(accounts)  # type: ignore[arg-type]
    await User.update({User.password_hash: credentials.hash_password(PASSWORD)}, force=True)
    for kind, text in (("families", FAMILIES), ("people", PEOPLE), *EVIDENCE.items()):
        await load(client, world, kind, text)
    row = await Family.select(Family.id).where(Family.family_ref == "FAM-1").first()
    assert row is not None
    world.families["fam1"] = row["id"]
    plan = await client.post(
        f"/api/v1/families/{row['id']}/plans",
        json={
            "agreed_on": "2013-02-15",
            "next_review_on": "2013-05-15",
            "goals": [{"description": "Amy back in school every day", "headline": "education"}],
        },
        headers=world.headers("kw_own"),
    )
    assert plan.status_code == 201, plan.text
    return world


async def offend_recently(client: httpx.AsyncClient, world: World) -> None:
    """Make FAM-1 not yet turned around: its younger child, 15 today, offended twice in the
    last two months, so youth crime has not fallen by a third."""
    await Person.update({Person.date_of_birth: today() - dt.timedelta(days=15 * 365)}).where(
        Person.person_ref == "C2"
    )
    recent = [(today() - dt.timedelta(days=days)).isoformat() for days in (20, 40)]
    await load(
        client,
        world,
        "offences",
        f"person_ref,offence_ref,offence_date\nC2,OF-3,{recent[0]}\nC2,OF-4,{recent[1]}\n",
    )
