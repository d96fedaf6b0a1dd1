"""A claim for the audit tests: FAM-1 of P1 with the evidence of the claims tests, a claim of
its results at 2014-03-01 (crime/ASB/education with progress to work: two lines) prepared by
the programme manager, and every line sampled by the auditor."""

from __future__ import annotations

import httpx
from litestar import Litestar

from connecting_families.accounts import credentials
from connecting_families.accounts.tables import User
from connecting_families.families.tables import Family

from access_world import World, build_world
from import_cases import FAMILIES, PEOPLE

PASSWORD = "correct horse battery staple"
AS_OF = "2014-03-01"
EVIDENCE = (
    ("families", FAMILIES),
    ("people", PEOPLE),
    ("offences", "person_ref,offence_ref,offence_date\nC1,OF-1,2012-10-01\nC1,OF-2,2012-11-01\n"),
    ("benefits", "person_ref,benefit,start_date\nA1,JSA,2012-01-01\n"),
    ("work_programme", "person_ref,provision,start_date\nA1,work_programme,2013-03-01\n"),
    ("employment", "person_ref,start_date,hours_per_week\nA1,2013-04-01,20\n"),
)


async def build_claim_world(client: httpx.AsyncClient, app: Litestar) -> World:
    """The world, its users' passwords, and FAM-1 with its evidence."""
    world = await build_world(app.state.accounts)
    await User.update({User.password_hash: credentials.hash_password(PASSWORD)}, force=True)
    for kind, text in EVIDENCE:
        response = await client.post(
            f"/api/v1/programmes/P1/imports/{kind}",
            content=text.encode(),
            headers={**world.headers("pm"), "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
    row = await Family.select(Family.id).where(Family.family_ref == "FAM-1").first()
    assert row is not None
    world.families["fam1"] = row["id"]
    return world


async def sampled_claim(client: httpx.AsyncClient, world: World) -> tuple[int, list[int]]:
    """A claim at `AS_OF` with every line sampled: (claim id, line ids by route)."""
    prepared = await client.post(
        "/api/v1/programmes/P1/claims", json={"as_of": AS_OF}, headers=world.headers("pm")
    )
    assert prepared.status_code == 201, prepared.text
    claim_id = prepared.json()["id"]
    sampled = await client.post(
        f"/api/v1/claims/{claim_id}/sample",
        json={"percent": 100, "seed": 7},
        headers=world.headers("auditor"),
    )
    assert sampled.status_code == 200, sampled.text
    return claim_id, [line["id"] for line in sampled.json()["lines"]]
