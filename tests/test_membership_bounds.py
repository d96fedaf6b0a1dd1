"""A former member's new life: what a family shows of a person is bounded by their membership.

K1 (a child) and M1 (an adult) left the old household on 2013-06-01 and joined the new one that
day. Their records of their time in each household show in that household's evidence, timeline
and verdict, and not in the other's; where the old household's rule set reads further (tf2012:
the employment of an adult who was a member at attachment), its verdict says so.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from connecting_families.evaluation.loader import load_evidence
from connecting_families.evidence.tables import EmploymentSpell, Offence
from connecting_families.families.tables import Family

from access_world import World, build_world

CSV = {"Content-Type": "text/csv"}
FAMILIES = (
    "family_ref,programme,postcode,ward,key_worker,identified_on,attached_on,closed_on,"
    "closure_reason,local_filter,expectant_parent\n"
    "FAM-OLD,P1,PE1 1AA,Central,kw_own,2013-01-10,2013-02-01,,,,\n"
    "FAM-NEW,P1,PE2 2BB,North,kw_other,2013-01-10,2013-08-01,,,,\n"
)
PEOPLE = (
    "person_ref,family_ref,given_name,family_name,date_of_birth,sex,role,upn,ni_number,"
    "joined_on,left_on\n"
    "K1,FAM-OLD,Kit,Moss,2000-01-01,male,child,,,,2013-06-01\n"
    "K1,FAM-NEW,Kit,Moss,2000-01-01,male,child,,,2013-06-01,\n"
    "M1,FAM-OLD,Max,Moss,1980-01-01,male,adult,,,,2013-06-01\n"
    "M1,FAM-NEW,Max,Moss,1980-01-01,male,adult,,,2013-06-01,\n"
)
EVIDENCE = {
    "offences": "person_ref,offence_ref,offence_date,outcome_date,category\n"
    "K1,OLD-OFF,2013-03-01,,\n"
    "K1,NEW-OFF,2013-07-01,,\n",
    # On JSA at the old household's attachment; a job from a month after leaving it.
    "benefits": "person_ref,ni_number,benefit,start_date,end_date\n"
    "M1,,JSA,2012-01-01,2013-06-30\n",
    "employment": "person_ref,ni_number,start_date,end_date,hours_per_week\nM1,,2013-07-01,,30\n",
    # K1's school term in the old household, before joining the new one (attached 2013-08-01).
    "attendance": "person_ref,upn,period_start,period_end,possible_sessions,"
    "authorised_absence_sessions,unauthorised_absence_sessions,school_urn\n"
    "K1,,2013-01-07,2013-03-28,100,0,30,\n",
}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    for kind, text in (("families", FAMILIES), ("people", PEOPLE), *EVIDENCE.items()):
        response = await client.post(
            f"/api/v1/programmes/P1/imports/{kind}",
            content=text.encode(),
            headers={**world.headers("pm"), **CSV},
        )
        assert response.status_code == 200, response.text
    for ref, name in (("FAM-OLD", "old"), ("FAM-NEW", "new")):
        row = await Family.select(Family.id).where(Family.family_ref == ref).first()
        assert row is not None
        world.families[name] = row["id"]
    return world


async def offence_id(ref: str) -> int:
    row = await Offence.select(Offence.id).where(Offence.offence_ref == ref).first()
    assert row is not None
    return int(row["id"])


# Each household's key worker.
WORKERS = {"old": "kw_own", "new": "kw_other"}


async def get(client: httpx.AsyncClient, world: World, family: str, what: str) -> Any:
    response = await client.get(
        f"/api/v1/families/{world.families[family]}/{what}",
        headers=world.headers(WORKERS[family]),
        params={"as_of": "2014-01-01"} if what == "verdict" else {},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_record_after_leaving_shows_only_in_the_new_households_evidence(
    client: httpx.AsyncClient, world: World
) -> None:
    """K1's offence after the move is in the new household's evidence, not the old's."""
    new_offence = await offence_id("NEW-OFF")
    old = await get(client, world, "old", "evidence")
    new = await get(client, world, "new", "evidence")
    assert new_offence not in [row["id"] for row in old["offences"]]
    assert new_offence in [row["id"] for row in new["offences"]]


async def test_a_record_of_the_time_before_shows_only_in_the_old_households_evidence(
    client: httpx.AsyncClient, world: World
) -> None:
    """K1's offence while in the old household stays there, and is not the new one's."""
    old_offence = await offence_id("OLD-OFF")
    old = await get(client, world, "old", "evidence")
    new = await get(client, world, "new", "evidence")
    assert [row["id"] for row in old["offences"]] == [old_offence]
    assert old_offence not in [row["id"] for row in new["offences"]]


async def test_the_timeline_is_bounded_by_membership(
    client: httpx.AsyncClient, world: World
) -> None:
    """Each household's timeline has K1's offence of their time there, and only that."""
    old_offence, new_offence = await offence_id("OLD-OFF"), await offence_id("NEW-OFF")

    def offences(timeline: list[dict[str, Any]]) -> list[int]:
        return [entry["id"] for entry in timeline if entry["kind"] == "offences"]

    assert offences(await get(client, world, "old", "timeline")) == [old_offence]
    assert offences(await get(client, world, "new", "timeline")) == [new_offence]


async def test_the_evidence_a_verdict_is_judged_on_is_bounded_by_membership(
    world: World, app: Litestar
) -> None:
    """The loaded snapshot of each household holds K1's offences of their time there only."""
    old_offence, new_offence = await offence_id("OLD-OFF"), await offence_id("NEW-OFF")
    loaded = await load_evidence(
        [world.families["old"], world.families["new"]], None, app.state.engine
    )
    by_family = {evidence.family_id: evidence for evidence in loaded}
    assert [o.id for o in by_family[world.families["old"]].offences] == [old_offence]
    assert [o.id for o in by_family[world.families["new"]].offences] == [new_offence]


async def test_the_new_households_verdict_counts_the_record_after_the_move(
    client: httpx.AsyncClient, world: World
) -> None:
    """K1's offence after joining flags crime for the new household only."""
    new_offence = await offence_id("NEW-OFF")

    def crime(verdict: dict[str, Any]) -> list[int]:
        [criterion] = [c for c in verdict["criteria"] if c["name"] == "identify_crime_asb"]
        return list(criterion["evidence"]["offences"])

    assert crime(await get(client, world, "new", "verdict")) == [new_offence]
    assert new_offence not in crime(await get(client, world, "old", "verdict"))


async def test_a_rule_set_that_reads_further_says_so(
    client: httpx.AsyncClient, world: World
) -> None:
    """tf2012 counts M1's job after leaving for the old household (an adult member at
    attachment), and the criterion says it read beyond M1's time in the household; the job
    shows in the new household's evidence, not the old's."""
    job = await EmploymentSpell.select(EmploymentSpell.id).first()
    assert job is not None
    verdict = await get(client, world, "old", "verdict")
    [employment] = [c for c in verdict["criteria"] if c["name"] == "continuous_employment"]
    assert employment["met"] is True
    assert list(employment["evidence"]["employment"]) == [job["id"]]
    assert "outside a member's time in the household" in employment["reason"]
    assert "M1: employment 2013-07-01 to now" in employment["reason"]
    old = await get(client, world, "old", "evidence")
    new = await get(client, world, "new", "evidence")
    assert old["employment"] == []
    assert [row["id"] for row in new["employment"]] == [job["id"]]


async def test_a_school_record_from_before_joining_is_read_and_said(
    client: httpx.AsyncClient, world: World
) -> None:
    """tf2012 identifies the new household on K1's term before joining (a child member at
    attachment), and says so; the term shows in the old household's evidence only."""
    verdict = await get(client, world, "new", "verdict")
    [education] = [c for c in verdict["criteria"] if c["name"] == "identify_education"]
    assert education["met"] is True
    assert "K1: attendance 2013-01-07 to 2013-03-28" in education["reason"]
    old = await get(client, world, "old", "evidence")
    new = await get(client, world, "new", "evidence")
    assert [row["period_start"] for row in old["attendance"]] == ["2013-01-07"]
    assert new["attendance"] == []


async def test_a_criterion_within_membership_adds_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """A criterion that read only records of members' time in the household says nothing
    of the kind."""
    verdict = await get(client, world, "new", "verdict")
    [crime] = [c for c in verdict["criteria"] if c["name"] == "identify_crime_asb"]
    assert crime["met"] is True
    assert crime["reason"] == ""
