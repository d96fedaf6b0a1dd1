"""Imports over the API: who may import, uploads, problem lists, limits and the audit log."""

from __future__ import annotations

import json

import attrs
import httpx
import pytest
from litestar import Litestar

from connecting_families.app import create_app
from connecting_families.audit.tables import AuditEvent
from connecting_families.settings import Settings

from access_world import World, build_world
from conftest import running
from import_cases import CASES, FAMILIES, PEOPLE

IMPORTS = "/api/v1/programmes/P1/imports"
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


async def post(
    client: httpx.AsyncClient,
    world: World,
    kind: str,
    text: str,
    user: str = "pm",
    query: str = "",
) -> httpx.Response:
    return await client.post(
        f"{IMPORTS}/{kind}{query}",
        content=text.encode(),
        headers={**world.headers(user), **CSV},
    )


async def test_a_programme_manager_imports_a_csv_body(
    client: httpx.AsyncClient, world: World
) -> None:
    """The answer has the counts, the timings and a sentence; the run is listed."""
    response = await post(client, world, "families", FAMILIES, query="?file_name=fam.csv")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["inserted"], body["file_name"]) == (2, 2, "fam.csv")
    assert body["seconds"]["total"] >= 0
    assert body["summary"].startswith("2 rows of families: 2 new")
    runs = (await client.get(IMPORTS, headers=world.headers("pm"))).json()
    assert [(r["kind"], r["performed_by"], r["rows_inserted"]) for r in runs] == [
        ("families", "pm", 2)
    ]
    entry = await AuditEvent.select().where(AuditEvent.action == "import.families").first()
    assert entry is not None
    detail = entry["detail"]
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert (entry["actor_name"], entry["allowed"], detail["inserted"]) == ("pm", True, 2)


async def test_a_multipart_upload_keeps_its_file_name(
    client: httpx.AsyncClient, world: World
) -> None:
    """A browser form upload (`file` part) imports the same way."""
    await post(client, world, "families", FAMILIES)
    response = await client.post(
        f"{IMPORTS}/people",
        files={"file": ("people-2013.csv", PEOPLE.encode(), "text/csv")},
        headers=world.headers("pm"),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["file_name"], response.json()["inserted"]) == ("people-2013.csv", 4)


async def test_only_programme_managers_import(client: httpx.AsyncClient, world: World) -> None:
    """Key workers, team managers, auditors and administrators (who see no family data) are
    refused; another programme is not found."""
    for user in ("kw_own", "tm", "auditor", "admin"):
        response = await post(client, world, "families", FAMILIES, user=user)
        assert response.status_code == 403, user
    response = await client.post(
        "/api/v1/programmes/P2/imports/families",
        content=FAMILIES.replace("P1", "P2").encode(),
        headers={**world.headers("pm"), **CSV},
    )
    assert response.status_code == 404
    assert not await AuditEvent.exists().where(
        AuditEvent.action == "import.families", AuditEvent.allowed.eq(True)
    )


async def test_a_bad_file_answers_every_problem_as_a_list(
    client: httpx.AsyncClient, world: World
) -> None:
    """422 with `errors`: each problem's line, column, message and text."""
    await post(client, world, "families", FAMILIES)
    await post(client, world, "people", PEOPLE)
    case = CASES["benefits"]
    rows = case.rows + tuple(row for row, _ in case.bad)
    response = await post(client, world, "benefits", case.text(rows))
    assert response.status_code == 422
    problem = response.json()
    assert problem["problems_total"] == len(case.bad)
    assert problem["errors"][0] == {
        "line": 4,
        "column": "benefit",
        "message": "is 'DLA', not one of JSA, ESA, IS, IB, CA, SDA, UC_NOT_WORKING",
        "text": "line 4, column benefit: is 'DLA', not one of JSA, ESA, IS, IB, CA, SDA, "
        "UC_NOT_WORKING",
    }
    assert "nothing was imported" in problem["detail"]
    # No personal data in the problem: the NI number and names are not repeated.
    assert "QQ123456C" not in response.text


async def test_a_dry_run_over_the_api_writes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """dry_run=true counts; the next real import still finds every row new."""
    response = await post(client, world, "families", FAMILIES, query="?dry_run=true")
    assert (response.json()["dry_run"], response.json()["import_run"]) == (True, None)
    response = await post(client, world, "families", FAMILIES)
    assert response.json()["inserted"] == 2


async def test_a_file_over_the_limit_is_refused_with_413(
    settings: Settings, world: World, client: httpx.AsyncClient
) -> None:
    """The configured limit is enforced for bodies and uploads, naming the setting."""
    small = create_app(attrs.evolve(settings, max_import_bytes=100))
    async with (
        running(small),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=small), base_url="http://testserver"
        ) as http,
    ):
        body = await post(http, world, "families", FAMILIES)
        upload = await http.post(
            f"{IMPORTS}/families",
            files={"file": ("f.csv", FAMILIES.encode(), "text/csv")},
            headers=world.headers("pm"),
        )
    for response in (body, upload):
        assert response.status_code == 413
        assert "CF_MAX_IMPORT_BYTES" in response.json()["detail"]


async def test_an_unknown_kind_is_not_found(client: httpx.AsyncClient, world: World) -> None:
    """The answer lists the kinds there are."""
    response = await post(client, world, "schools", "a\n1\n")
    assert response.status_code == 404
    assert "families, people, attendance" in response.json()["detail"]
