"""Correction by key: one item recorded through a family never reaches another family's record.

For every single-item evidence kind, a live record of another family (or of a person's time in
another household) holds a key K; the own-caseload key worker records K on their own family,
through the API and through the page's form. The item is refused by field, with an answer that
names nothing of the other family and does not say that anything exists; the other family's
record stays live and unchanged, and the probe is audited against that family. An import, made
by someone whose scope is the whole programme, may still move a record between households, and
then the audit log of both families names both.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.tables import AuditEvent
from connecting_families.database.registry import TABLES
from connecting_families.evidence.recording import (
    DATES_REFUSED,
    KEY_REFUSED,
    OTHER_MEMBER,
    SINGLE_KINDS,
)
from connecting_families.families.tables import Family
from connecting_families.imports.kinds import KINDS

from access_world import World, build_world
from import_cases import CouncilMeasures

CSV = {"Content-Type": "text/csv"}
FAMILIES = (
    "family_ref,programme,postcode,ward,key_worker,identified_on,attached_on,closed_on,"
    "closure_reason,local_filter,expectant_parent\n"
    "FAM-OWN,P1,PE1 1AA,Central,kw_own,2013-01-10,2013-02-01,,,,\n"
    "FAM-OTHER,P1,PE2 2BB,North,kw_other,2013-01-10,2013-08-01,,,,\n"
)
# M1 left the own household on 2013-06-01 and joined the other that day.
PEOPLE = (
    "person_ref,family_ref,given_name,family_name,date_of_birth,sex,role,upn,ni_number,"
    "joined_on,left_on\n"
    "C1,FAM-OWN,Amy,Smith,2005-04-01,female,child,,,,\n"
    "C9,FAM-OTHER,Zoe,Jones,2006-01-01,female,child,,,,\n"
    "M1,FAM-OWN,Max,Moss,1990-01-01,male,adult,,,,2013-06-01\n"
    "M1,FAM-OTHER,Max,Moss,1990-01-01,male,adult,,,2013-06-01,\n"
)

# kind -> (the other family's record, the own worker's item with the same key, the field
# refused, the message, an item of the same shape whose key nobody holds).
PROBES: dict[str, tuple[dict[str, Any], dict[str, Any], str, str, dict[str, Any] | None]] = {
    "offences": (
        {"person_ref": "C9", "offence_ref": "K-1", "offence_date": "2013-03-01"},
        {"person_ref": "C1", "offence_ref": "K-1", "offence_date": "2013-03-02"},
        "offence_ref",
        KEY_REFUSED,
        None,
    ),
    "exclusions": (
        {"person_ref": "C9", "exclusion_ref": "K-1", "start_date": "2013-03-01", "kind": "fixed"},
        {"person_ref": "C1", "exclusion_ref": "K-1", "start_date": "2013-03-01", "kind": "fixed"},
        "exclusion_ref",
        KEY_REFUSED,
        None,
    ),
    "asb": (
        {"asb_ref": "K-1", "incident_date": "2013-03-01", "kind": "incident"},
        {"asb_ref": "K-1", "incident_date": "2013-03-01", "kind": "intervention"},
        "asb_ref",
        KEY_REFUSED,
        None,
    ),
    "observations": (
        {
            "person_ref": "C9",
            "measure": "wellbeing_score",
            "observed_on": "2013-03-01",
            "value": "6",
            "observation_ref": "K-1",
        },
        {
            "person_ref": "C1",
            "measure": "wellbeing_score",
            "observed_on": "2013-03-01",
            "value": "7",
            "observation_ref": "K-1",
        },
        "observation_ref",
        KEY_REFUSED,
        None,
    ),
    # Keys of a person and dates: M1's records of their time in the other household.
    "attendance": (
        {
            "person_ref": "M1",
            "period_start": "2013-09-02",
            "period_end": "2013-12-20",
            "possible_sessions": 140,
            "unauthorised_absence_sessions": 10,
        },
        {
            "person_ref": "M1",
            "period_start": "2013-09-02",
            "period_end": "2013-12-20",
            "possible_sessions": 140,
            "unauthorised_absence_sessions": 30,
        },
        "person_ref",
        DATES_REFUSED,
        {
            "person_ref": "M1",
            "period_start": "2014-01-06",
            "period_end": "2014-03-28",
            "possible_sessions": 110,
            "unauthorised_absence_sessions": 30,
        },
    ),
    "benefits": (
        {"person_ref": "M1", "benefit": "JSA", "start_date": "2013-07-01"},
        {
            "person_ref": "M1",
            "benefit": "JSA",
            "start_date": "2013-07-01",
            "end_date": "2013-09-30",
        },
        "person_ref",
        DATES_REFUSED,
        {"person_ref": "M1", "benefit": "ESA", "start_date": "2013-08-01"},
    ),
    "employment": (
        {"person_ref": "M1", "start_date": "2013-07-01", "hours_per_week": 20},
        {"person_ref": "M1", "start_date": "2013-07-01", "hours_per_week": 30},
        "person_ref",
        DATES_REFUSED,
        {"person_ref": "M1", "start_date": "2013-08-01", "hours_per_week": 30},
    ),
    "work_programme": (
        {"person_ref": "M1", "provision": "esf", "start_date": "2013-07-01"},
        {"person_ref": "M1", "provision": "esf", "start_date": "2013-07-01"},
        "person_ref",
        DATES_REFUSED,
        {"person_ref": "M1", "provision": "esf", "start_date": "2013-08-01"},
    ),
}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    app.state.plugins.register(CouncilMeasures(), "council-measures")
    world = await build_world(app.state.accounts)
    await client.get("/sign-in")  # the app issues a CSRF token in a cookie
    world.csrf = str(client.cookies["csrftoken"])
    client.cookies.clear()
    for kind, text in (("families", FAMILIES), ("people", PEOPLE)):
        await import_file(client, world, kind, text)
    for ref, name in (("FAM-OWN", "mine"), ("FAM-OTHER", "theirs")):
        row = await Family.select(Family.id).where(Family.family_ref == ref).first()
        assert row is not None
        world.families[name] = row["id"]
    return world


async def import_file(client: httpx.AsyncClient, world: World, kind: str, text: str) -> None:
    response = await client.post(
        f"/api/v1/programmes/P1/imports/{kind}",
        content=text.encode(),
        headers={**world.headers("pm"), **CSV},
    )
    assert response.status_code == 200, response.text


async def record(
    client: httpx.AsyncClient,
    world: World,
    user: str,
    family: str,
    kind: str,
    item: dict[str, Any],
) -> httpx.Response:
    return await client.post(
        f"/api/v1/families/{world.families[family]}/evidence/{kind}",
        json=item,
        headers=world.headers(user),
    )


async def post_page(
    client: httpx.AsyncClient, world: World, kind: str, item: dict[str, Any]
) -> httpx.Response:
    """The item sent as the family page's evidence form sends it."""
    form = {"evidence_kind": kind, **{name: str(value) for name, value in item.items()}}
    return await client.post(
        f"/families/{world.families['mine']}/evidence",
        data=form,
        headers=world.page_headers("kw_own"),
    )


def table_of(kind: str) -> Any:
    return next(t for t in TABLES if t._meta.tablename == KINDS[kind].table)


async def refusals(family_id: int) -> list[dict[str, Any]]:
    rows = await AuditEvent.select().where(
        AuditEvent.resource_type == "family",
        AuditEvent.resource_id == str(family_id),
        AuditEvent.action.like("family.evidence.%_refused"),
    )
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]


def test_every_single_item_kind_has_a_probe() -> None:
    """A new evidence kind must be added to the probes before the suite passes."""
    assert sorted(PROBES) == sorted(SINGLE_KINDS)


@pytest.mark.parametrize("door", ["api", "page"])
@pytest.mark.parametrize("kind", sorted(PROBES))
async def test_a_key_held_elsewhere_is_refused_and_the_probe_audited(
    client: httpx.AsyncClient, world: World, kind: str, door: str
) -> None:
    """Another family's key, recorded on one's own family: refused by field, the other
    family's record untouched, the probe audited against that family."""
    theirs, mine, field, message, _ = PROBES[kind]
    made = await record(client, world, "kw_other", "theirs", kind, theirs)
    assert made.status_code == 201, made.text
    table = table_of(kind)
    before = await table.select().order_by(table._meta.primary_key)

    if door == "api":
        response = await record(client, world, "kw_own", "mine", kind, mine)
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [{"field": field, "message": message}]
    else:
        response = await post_page(client, world, kind, mine)
        assert response.status_code == 422, response.text
        assert message.replace("'", "&#39;") in response.text

    assert await table.select().order_by(table._meta.primary_key) == before
    assert [row["superseded_at"] for row in before] == [None]
    listed = await client.get(
        f"/api/v1/families/{world.families['theirs']}/evidence",
        params={"kind": kind},
        headers=world.headers("kw_other"),
    )
    assert [row["id"] for row in listed.json()[kind]] == [made.json()["record"]["id"]]
    [probe] = await refusals(world.families["theirs"])
    assert (probe["allowed"], probe["actor_name"]) == (False, "kw_own")
    assert probe["detail"] == {"kind": kind, "from_family": world.families["mine"]}


@pytest.mark.parametrize("kind", sorted(PROBES))
async def test_the_refusal_names_nothing_of_the_other_family(
    client: httpx.AsyncClient, world: World, kind: str
) -> None:
    """The answer holds no id, ref or date of the other family's record, and never says
    that it exists; where the key is a person's dates, it is the same whether a record is
    there or not."""
    theirs, mine, _, _, fresh = PROBES[kind]
    made = await record(client, world, "kw_other", "theirs", kind, theirs)
    assert made.status_code == 201, made.text
    response = await record(client, world, "kw_own", "mine", kind, mine)
    assert response.status_code == 422
    words = response.text.lower()
    for secret in ("fam-other", "c9", str(made.json()["record"]["id"]), "exist", "already"):
        assert secret not in words
    if fresh is not None:
        nobody = await record(client, world, "kw_own", "mine", kind, fresh)
        assert nobody.json() == response.json()


async def test_correcting_ones_own_record_still_works(
    client: httpx.AsyncClient, world: World
) -> None:
    """The family's own offence, corrected by its key worker: superseded, version 2."""
    item = {"person_ref": "C1", "offence_ref": "OWN-1", "offence_date": "2013-03-01"}
    first = await record(client, world, "kw_own", "mine", "offences", item)
    assert (first.status_code, first.json()["outcome"]) == (201, "inserted")
    again = await record(
        client, world, "kw_own", "mine", "offences", {**item, "offence_date": "2013-03-05"}
    )
    assert (again.status_code, again.json()["outcome"]) == (201, "superseded")
    assert again.json()["record"]["version"] == 2


async def test_a_former_members_record_of_their_time_here_is_still_corrected(
    client: httpx.AsyncClient, world: World
) -> None:
    """M1's job from before they left the household is the family's own to correct."""
    item = {"person_ref": "M1", "start_date": "2013-03-01", "hours_per_week": 20}
    first = await record(client, world, "kw_own", "mine", "employment", item)
    assert first.json()["outcome"] == "inserted", first.text
    again = await record(
        client, world, "kw_own", "mine", "employment", {**item, "hours_per_week": 25}
    )
    assert (again.status_code, again.json()["outcome"]) == (201, "superseded")


async def test_a_correction_may_not_move_a_record_to_another_member(
    client: httpx.AsyncClient, world: World
) -> None:
    """A ref of C1's offence given to M1 of the same family is refused, and no probe is
    audited: the record is the caller's own family's."""
    item = {"person_ref": "C1", "offence_ref": "OWN-2", "offence_date": "2013-03-01"}
    assert (await record(client, world, "kw_own", "mine", "offences", item)).status_code == 201
    moved = await record(client, world, "kw_own", "mine", "offences", {**item, "person_ref": "M1"})
    assert moved.status_code == 422
    assert moved.json()["errors"] == [{"field": "offence_ref", "message": OTHER_MEMBER}]
    assert await refusals(world.families["mine"]) == []


async def test_an_import_moving_a_record_names_both_families(
    client: httpx.AsyncClient, world: World
) -> None:
    """A file correcting an offence to a person of another household is imported, and the
    audit log of each family has an entry naming both."""
    header = "person_ref,offence_ref,offence_date,outcome_date,category\n"
    await import_file(client, world, "offences", header + "C9,MOVE-1,2013-03-01,,\n")
    await import_file(client, world, "offences", header + "C1,MOVE-1,2013-03-01,,\n")
    mine, theirs = world.families["mine"], world.families["theirs"]
    for family in (mine, theirs):
        [entry] = await AuditEvent.select().where(
            AuditEvent.action == "family.evidence.moved",
            AuditEvent.resource_id == str(family),
        )
        detail = json.loads(entry["detail"])
        assert (detail["from_families"], detail["to_families"]) == ([theirs], [mine])
        assert detail["kind"] == "offences"
