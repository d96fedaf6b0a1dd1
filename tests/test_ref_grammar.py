"""One grammar for every ref and code, at every door (API, pages, imports, command line), refs
in page addresses as one path segment, and `refs check` listing stored refs that break it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import msgspec
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import UserProgramme
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.evidence.tables import AntisocialBehaviour, Offence
from connecting_families.families.tables import Family, Person
from connecting_families.http_params import Ref
from connecting_families.plans.tables import PlanGoal
from connecting_families.programmes.tables import Programme
from connecting_families.web.templating import path_segment

from access_world import World, build_world
from import_cases import FAMILIES, PEOPLE
from page_world import PASSWORD, build_page_world

CSV = {"Content-Type": "text/csv"}
# Each breaks the grammar a different way: a path, a formula, a sign, a command, a line break
# hidden by `$`, a control character, a dot segment, a letter outside ASCII, a space.
BAD_REFS = [
    "../../6/needs/N2",
    '=HYPERLINK("x")',
    "-2+3",
    "@cmd",
    "N1\n",
    "a\x07b",
    "..",
    "é",
    " N",
]
GOOD_REFS = ["N1", "FAM-1", "a.b_c-d", "9", "R" * 64]


class _Refs(msgspec.Struct):
    ref: Ref


@pytest.mark.parametrize("value", [*BAD_REFS, "R" * 65, ""])
def test_the_api_type_refuses_what_the_grammar_refuses(value: str) -> None:
    """The msgspec type (and so the OpenAPI pattern) refuses every ref outside the grammar."""
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"ref": value}, _Refs)


@pytest.mark.parametrize("value", GOOD_REFS)
def test_the_api_type_accepts_the_grammar(value: str) -> None:
    """Letters, digits, `-`, `_` and `.`, starting with a letter or digit, up to 64."""
    assert msgspec.convert({"ref": value}, _Refs).ref == value


def test_a_path_segment_holds_any_text_in_one_segment() -> None:
    """`/`, `?`, `#`, `%`, spaces and line breaks are all percent-encoded."""
    assert path_segment("../../6/needs/N2") == "..%2F..%2F6%2Fneeds%2FN2"
    assert path_segment("a?b#c%d e\r\n") == "a%3Fb%23c%25d%20e%0D%0A"
    assert path_segment("FAM-1.a_b") == "FAM-1.a_b"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


API_DOORS: dict[str, tuple[str, str, Any, str]] = {
    # name: (user, path under the family `own` or absolute, body with REF, field)
    "family_ref": (
        "pm",
        "/api/v1/families",
        {"programme": "P1", "family_ref": "REF", "identified_on": "2014-01-02"},
        "family_ref",
    ),
    "family programme": (
        "pm",
        "/api/v1/families",
        {"programme": "REF", "family_ref": "F-9", "identified_on": "2014-01-02"},
        "programme",
    ),
    "person_ref": (
        "kw_own",
        "members",
        {
            "role": "adult",
            "person": {
                "given_name": "Al",
                "family_name": "Bee",
                "date_of_birth": "1980-01-01",
                "person_ref": "REF",
            },
        },
        "person_ref",
    ),
    "assessment_ref": (
        "kw_own",
        "assessments",
        {"started_on": "2014-01-02", "assessment_ref": "REF"},
        "assessment_ref",
    ),
    "need_ref": (
        "kw_own",
        "needs",
        {"headline": "education", "identified_on": "2014-01-02", "need_ref": "REF"},
        "need_ref",
    ),
    "goal need_ref": (
        "kw_own",
        "plans",
        {"goals": [{"description": "School", "need_ref": "REF"}]},
        "need_ref",
    ),
    "programme code": (
        "admin",
        "/api/v1/programmes",
        {"code": "REF", "name": "X", "local_authority": "LA", "ruleset_id": "tf2012"},
        "code",
    ),
}


def _with_ref(body: Any, ref: str) -> Any:
    if isinstance(body, dict):
        return {key: _with_ref(value, ref) for key, value in body.items()}
    if isinstance(body, list):
        return [_with_ref(value, ref) for value in body]
    return ref if body == "REF" else body


@pytest.mark.parametrize(
    ("door", "ref"), [(door, BAD_REFS[i % len(BAD_REFS)]) for i, door in enumerate(API_DOORS)]
)
async def test_the_api_refuses_a_bad_ref_naming_the_field(
    client: httpx.AsyncClient, world: World, door: str, ref: str
) -> None:
    """Every ref and code a body can carry is refused by name (400), and nothing is written."""
    user, path, body, field = API_DOORS[door]
    if not path.startswith("/"):
        path = f"/api/v1/families/{world.families['own']}/{path}"
    counts = [await table.count() for table in (Family, Person, Assessment, Need, PlanGoal)]
    response = await client.post(path, json=_with_ref(body, ref), headers=world.headers(user))
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["key"].endswith(field)
    assert "regex" not in error["message"]  # the grammar in words, not a pattern
    assert [await table.count() for table in (Family, Person, Assessment, Need, PlanGoal)] == (
        counts
    )
    assert await Programme.count() == 2


async def test_one_evidence_item_with_a_bad_ref_is_refused_by_its_column(
    client: httpx.AsyncClient, world: World
) -> None:
    """The single-item evidence API checks its refs as the import does: 422 naming asb_ref."""
    response = await client.post(
        f"/api/v1/families/{world.families['own']}/evidence/asb",
        json={"asb_ref": "../../6/asb/X", "incident_date": "2013-05-01", "kind": "incident"},
        headers=world.headers("kw_own"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "field": "asb_ref",
            "message": "must be only letters, digits, '-', '_' and '.', "
            "starting with a letter or digit",
        }
    ]
    assert await AntisocialBehaviour.count() == 0


async def test_a_bad_ref_in_a_path_is_refused_not_served(
    client: httpx.AsyncClient, world: World
) -> None:
    """A ref outside the grammar in an address is 400 (or 404 when `/` splits it), never 500."""
    family = f"/api/v1/families/{world.families['own']}"
    body = {"version": 1, "outcome": "achieved", "outcome_on": "2014-01-01"}
    headers = world.headers("kw_own")
    refused = await client.post(f"{family}/needs/-2+3/outcome", json=body, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["key"] == "need_ref"
    split = await client.post(f"{family}/needs/..%2F..%2Fx/outcome", json=body, headers=headers)
    assert split.status_code == 404


async def test_a_programme_code_with_a_line_break_never_makes_a_csv_answer_fail(
    client: httpx.AsyncClient, world: World
) -> None:
    """A code stored with CR/LF before the grammar held is refused in the address (400), where
    it used to reach the CSV's Content-Disposition header and answer 500."""
    result = await Programme.insert(
        Programme(code="P\r\nX", name="X", local_authority="LA", ruleset_id="tf2012")
    ).returning(Programme.id)
    await UserProgramme.insert(UserProgramme(user=world.users["pm"], programme=result[0]["id"]))
    response = await client.post(
        "/api/v1/programmes/P%0D%0AX/evaluations?format=csv",
        json={"as_of": "2014-01-01"},
        headers=world.headers("pm"),
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"] == "code"


# kind: (file, line, column of its bad ref)
IMPORT_DOORS = {
    "families": (FAMILIES.replace("FAM-2,", "=HYPERLINK(1),"), 3, "family_ref"),
    "people": (PEOPLE.replace("D1,FAM-2", "../D1,FAM-2"), 5, "person_ref"),
    "asb": (
        "person_ref,family_ref,asb_ref,incident_date,kind\n,FAM-1,@cmd,2013-01-01,incident\n",
        2,
        "asb_ref",
    ),
    "needs": (
        "need_ref,family_ref,headline,identified_on\nN/1,FAM-1,education,2013-01-01\n",
        2,
        "need_ref",
    ),
    "assessments": (
        "assessment_ref,family_ref,started_on\n+SUM(1),FAM-1,2013-01-01\n",
        2,
        "assessment_ref",
    ),
    "offences": ("person_ref,offence_ref,offence_date\nC1,-2+3,2013-01-01\n", 2, "offence_ref"),
}


@pytest.mark.parametrize("kind", IMPORT_DOORS)
async def test_an_import_row_with_a_bad_ref_is_a_row_error_naming_its_column(
    client: httpx.AsyncClient, world: World, kind: str
) -> None:
    """`line N, column C: must be only letters, …`, and nothing of the file is written."""
    text, line, column = IMPORT_DOORS[kind]
    households = {"families": [], "people": [("families", FAMILIES)]}
    for setup_kind, setup in households.get(kind, [("families", FAMILIES), ("people", PEOPLE)]):
        answer = await client.post(
            f"/api/v1/programmes/P1/imports/{setup_kind}",
            content=setup.encode(),
            headers={**world.headers("pm"), **CSV},
        )
        assert answer.status_code == 200, answer.text
    counts = [await table.count() for table in (Family, Person, AntisocialBehaviour, Need)]
    response = await client.post(
        f"/api/v1/programmes/P1/imports/{kind}",
        content=text.encode(),
        headers={**world.headers("pm"), **CSV},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["line"], error["column"]) == (line, column)
    assert error["message"].startswith("must be only letters, digits")
    assert [await table.count() for table in (Family, Person, AntisocialBehaviour, Need)] == (
        counts
    )


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/sign-in")
    response = await post_form(
        client, "/sign-in", {"username": username, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code in (302, 303), response.text


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    token = str(client.cookies["csrftoken"])
    return await client.post(path, data={**data, "_csrf_token": token})


@pytest.fixture
async def page_world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def test_a_page_form_refuses_a_bad_ref_beside_its_field(
    client: httpx.AsyncClient, page_world: World
) -> None:
    """An offence recorded on the family page with a ref holding `/` is refused beside it."""
    await sign_in(client, "kw_own")
    family = f"/families/{page_world.families['fam1']}"
    before = await Offence.count()
    response = await post_form(
        client,
        f"{family}/evidence",
        {
            "evidence_kind": "offences",
            "person_ref": "C1",
            "offence_ref": "../../OF-1",
            "offence_date": "2013-01-01",
        },
    )
    assert response.status_code == 422
    assert 'id="offence_ref-error"' in response.text
    assert "must be only letters, digits" in response.text
    assert await Offence.count() == before


async def _stored_bad_need(world: World, ref: str) -> int:
    result = await Need.insert(
        Need(
            programme=world.programmes["P1"],
            family=world.families["fam1"],
            need_ref=ref,
            headline="crime",
            identified_on=dt.date(2013, 2, 1),
        )
    ).returning(Need.id)
    return int(result[0]["id"])


async def test_a_stored_bad_ref_stays_one_segment_of_its_form_address(
    client: httpx.AsyncClient, page_world: World
) -> None:
    """A need ref of `../../6/needs/N2` makes the link to its outcome form go to this family's
    own need (percent-encoded), never to family 6's; posting it changes nobody's record."""
    family_id = page_world.families["fam1"]
    await _stored_bad_need(page_world, "../../6/needs/N2")
    await sign_in(client, "kw_own")
    page = await client.get(f"/families/{family_id}/assessments")
    assert page.status_code == 200, page.text
    action = f"/families/{family_id}/needs/..%2F..%2F6%2Fneeds%2FN2/outcome"
    assert f'href="{action}"' in page.text
    # As a browser resolves it: still this family's address.
    resolved = urlsplit(urljoin(f"http://testserver/families/{family_id}", action)).path
    assert resolved == action
    outcome = {"version": "1", "outcome": "achieved", "outcome_on": "2014-02-01"}
    response = await post_form(client, action, outcome)
    assert response.status_code in (400, 404)
    assert await Need.count().where(Need.outcome.is_not_null()) == 0


async def test_a_team_page_sign_off_keeps_a_bad_assessment_ref_in_one_segment(
    client: httpx.AsyncClient, page_world: World
) -> None:
    """The team page's link to an assessment's sign-off page encodes its ref as one segment."""
    family_id = page_world.families["fam1"]
    await Assessment.insert(
        Assessment(
            programme=page_world.programmes["P1"],
            family=family_id,
            assessment_ref="../../7/assessments/A",
            started_on=dt.date(2026, 1, 5),
            completed_on=dt.date(2026, 1, 20),
        )
    )
    await sign_in(client, "tm")
    team = await client.get("/team")
    assert team.status_code == 200, team.text
    assert (
        f'href="/families/{family_id}/assessments/..%2F..%2F7%2Fassessments%2FA/sign-off"'
        in team.text
    )


async def _command(database_url: str, *args: str) -> tuple[int, str, str]:
    """`connecting-families ARGS` on the database: exit code, out, err."""
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


async def test_the_command_line_refuses_a_bad_programme_code(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """`programme create` with a code holding CR/LF exits 1 naming `code`; nothing is made."""
    code, _, err = await _command(
        database_url, "programme", "create", "P\r\n1", "--name", "P", "--ruleset", "tf2012"
    )
    assert code == 1
    assert "code: must be only letters, digits" in err
    assert await Programme.count() == 0


async def test_refs_check_lists_each_stored_bad_ref_and_changes_nothing(
    client: httpx.AsyncClient, world: World, database_url: str
) -> None:
    """Kind, table, row id and programme of each bad ref, the ref escaped; exit 1; no rewrite."""
    clean = await _command(database_url, "refs", "check", "--operator", "tester")
    assert clean[0] == 0, clean[2]
    assert "every stored ref and programme code keeps the grammar" in clean[1]
    own = world.families["own"]
    await Family.update({Family.family_ref: "../../6/needs/N2"}).where(Family.id == own)
    need = await Need.insert(
        Need(
            programme=world.programmes["P1"],
            family=own,
            need_ref="=cmd\r\n",
            headline="crime",
            identified_on=dt.date(2013, 2, 1),
        )
    ).returning(Need.id)
    await Programme.update({Programme.code: "P 2"}).where(Programme.code == "P2")

    code, out, err = await _command(database_url, "refs", "check", "--operator", "tester")
    assert code == 1, err
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [row[:4] for row in rows] == [
        ["programme", "code", "programme", str(world.programmes["P2"])],
        ["family_ref", "family", str(own), "P1"],
        ["need_ref", "need", str(need[0]["id"]), "P1"],
    ]
    assert "'=cmd\\r\\n'" in out
    assert "3 stored ref(s) break the grammar" in err
    assert await Family.count().where(Family.family_ref == "../../6/needs/N2") == 1
