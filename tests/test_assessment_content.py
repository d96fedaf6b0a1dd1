"""An assessment's content through the API: a draft saved again and again with a version check,
then completed; a late completion says why, from a fixed list ("other" in words)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar

from connecting_families.assessments.records import LATE_REASONS
from connecting_families.assessments.tables import Assessment
from connecting_families.database.engine import (
    close_database,
    create_engine,
    open_database,
    use_engine,
    write_transaction,
)
from connecting_families.database.migrations import migrate, rollback
from connecting_families.families.tables import Family
from connecting_families.programmes.tables import Programme
from connecting_families.settings import DatabaseUrl

from access_world import World, build_world
from consent_world import consent_given

# tf2012's timescale is 45 working days: started on 6 January 2014, due by 10 March.
STARTED = "2014-01-06"
ON_TIME = "2014-02-03"
LATE = "2014-04-01"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    built = await build_world(app.state.accounts)
    # Without current consent, completing an assessment is refused (test_consent.py).
    await consent_given(built.families["own"], built.users["kw_own"])
    return built


@pytest.fixture
def kw(world: World) -> dict[str, str]:
    return world.headers("kw_own")


def assessments(world: World) -> str:
    return f"/api/v1/families/{world.families['own']}/assessments"


async def start(client: httpx.AsyncClient, world: World, kw: dict[str, str]) -> str:
    started = await client.post(assessments(world), json={"started_on": STARTED}, headers=kw)
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "draft"
    return str(started.json()["assessment_ref"])


async def complete(
    client: httpx.AsyncClient, world: World, kw: dict[str, str], ref: str, **body: object
) -> httpx.Response:
    return await client.post(
        f"{assessments(world)}/{ref}/complete", json={"version": 1, **body}, headers=kw
    )


async def test_a_draft_is_saved_again_and_again_each_against_its_version(
    client: httpx.AsyncClient, world: World, kw: dict[str, str]
) -> None:
    """Each save is a new version; a save against an old version is refused (409)."""
    ref = await start(client, world, kw)
    content = f"{assessments(world)}/{ref}/content"
    first = await client.put(
        content,
        json={
            "version": 1,
            "family_view": "We want the children back in school.",
            "headline_needs": {"education": "Amy misses two days a week.", "crime_asb": " "},
        },
        headers=kw,
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2
    assert first.json()["content"]["headline_needs"] == {
        "education": "Amy misses two days a week."
    }
    stale = await client.put(
        content, json={"version": 1, "strengths": "A close family."}, headers=kw
    )
    assert stale.status_code == 409
    second = await client.put(
        content,
        json={
            "version": 2,
            "family_view": "We want the children back in school.",
            "strengths": "A close family.",
            "child_voice": "Amy: school is boring.",
            "analysis": "Attendance first.",
        },
        headers=kw,
    )
    assert second.status_code == 200, second.text
    listed = (await client.get(assessments(world), headers=kw)).json()
    assert [a["version"] for a in listed] == [3]
    assert listed[0]["content"] == {
        "family_view": "We want the children back in school.",
        "strengths": "A close family.",
        "headline_needs": {},
        "child_voice": "Amy: school is boring.",
        "analysis": "Attendance first.",
    }
    assert listed[0]["status"] == "draft"
    assert await Assessment.count().where(Assessment.assessment_ref == ref) == 3


async def test_a_headline_the_rule_set_does_not_have_is_refused(
    client: httpx.AsyncClient, world: World, kw: dict[str, str]
) -> None:
    """The needs by headline are the programme's rule set's headlines; another is refused."""
    ref = await start(client, world, kw)
    refused = await client.put(
        f"{assessments(world)}/{ref}/content",
        json={"version": 1, "headline_needs": {"housing": "Rent arrears"}},
        headers=kw,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "headline_needs.housing",
            "message": "is not a headline of this programme's rule set",
        }
    ]
    assert await Assessment.count().where(Assessment.assessment_ref == ref) == 1


async def test_completed_on_time_needs_no_reason_and_then_cannot_change(
    client: httpx.AsyncClient, world: World, kw: dict[str, str]
) -> None:
    """On time, no reason is asked; completed, the content is no longer a draft."""
    ref = await start(client, world, kw)
    done = await complete(client, world, kw, ref, completed_on=ON_TIME)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["late_reason_code"]) == ("completed", None)
    changed = await client.put(
        f"{assessments(world)}/{ref}/content",
        json={"version": 2, "analysis": "Changed afterwards"},
        headers=kw,
    )
    assert changed.status_code == 409
    assert "can no longer change" in changed.text


async def test_a_late_completion_without_a_reason_is_refused(
    client: httpx.AsyncClient, world: World, kw: dict[str, str]
) -> None:
    """After `due_by`, the reason is asked for, from the fixed list."""
    ref = await start(client, world, kw)
    refused = await complete(client, world, kw, ref, completed_on=LATE)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "late_reason_code"
    assert error["message"].startswith("must be one of key_worker_availability")
    unknown = await complete(client, world, kw, ref, completed_on=LATE, late_reason_code="busy")
    assert unknown.status_code == 400  # not a code of the list: the request's shape is wrong
    assert unknown.json()["errors"][0]["key"] == "late_reason_code"
    assert await Assessment.count().where(Assessment.assessment_ref == ref) == 1


@pytest.mark.parametrize("code", [code for code in LATE_REASONS if code != "other"])
async def test_a_late_completion_with_a_reason_from_the_list(
    client: httpx.AsyncClient, world: World, kw: dict[str, str], code: str
) -> None:
    """Each reason of the list is enough on its own; its code is stored and shown."""
    ref = await start(client, world, kw)
    done = await complete(client, world, kw, ref, completed_on=LATE, late_reason_code=code)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed_late"
    assert (done.json()["late_reason_code"], done.json()["late_reason"]) == (code, None)


async def test_other_needs_the_reason_in_words(
    client: httpx.AsyncClient, world: World, kw: dict[str, str]
) -> None:
    """ "Other" without words is refused beside the words; with them, both are stored."""
    ref = await start(client, world, kw)
    bare = await complete(
        client, world, kw, ref, completed_on=LATE, late_reason_code="other", late_reason="  "
    )
    assert bare.status_code == 422
    assert bare.json()["errors"] == [{"field": "late_reason", "message": "must not be empty"}]
    done = await complete(
        client,
        world,
        kw,
        ref,
        completed_on=LATE,
        late_reason_code="other",
        late_reason="The family moved house.",
    )
    assert done.status_code == 200, done.text
    assert (done.json()["late_reason_code"], done.json()["late_reason"]) == (
        "other",
        "The family moved house.",
    )


async def test_signed_off_shows_who_and_when(
    client: httpx.AsyncClient, world: World, kw: dict[str, str]
) -> None:
    """A team manager's sign-off is the assessment's last state, and says who signed it off."""
    ref = await start(client, world, kw)
    await complete(
        client, world, kw, ref, completed_on=LATE, late_reason_code="other", late_reason="Moved"
    )
    signed = await client.post(
        f"{assessments(world)}/{ref}/sign-off", json={"version": 2}, headers=world.headers("tm")
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "signed_off"
    assert signed.json()["signed_off_by"] == "tm"
    assert signed.json()["signed_off_at"]
    assert signed.json()["late_reason_code"] == "other"  # carried into the signed-off version


async def test_the_monthly_indicators_count_late_reasons_by_their_words(
    client: httpx.AsyncClient, world: World, kw: dict[str, str]
) -> None:
    """A reason from the list counts under its words (with or without details); "other",
    under what was written."""
    reasons = [
        {"late_reason_code": "family_availability"},
        {"late_reason_code": "family_availability", "late_reason": "Away in April"},
        {"late_reason_code": "other", "late_reason": "Moved house"},
    ]
    for reason in reasons:
        ref = await start(client, world, kw)
        done = await complete(client, world, kw, ref, completed_on=LATE, **reason)
        assert done.status_code == 200, done.text
    indicators = await client.get(
        "/api/v1/programmes/P1/indicators",
        params={"month": LATE[:7]},
        headers=world.headers("pm"),
    )
    assert indicators.status_code == 200, indicators.text
    assert indicators.json()["assessments_completed"]["late_reasons"] == {
        "Family availability": 2,
        "Moved house": 1,
    }


# The migration that gives the reasons written before the codes their code.
REASONS_MIGRATION = "2026-12-03T13:14:24:000000"


async def test_reasons_written_before_the_codes_become_other(empty_database_url: str) -> None:
    """Migrated, a late reason in words only is "other", its words kept; no reason, no code."""
    engine = create_engine(DatabaseUrl.parse(empty_database_url))
    use_engine(engine)
    await open_database(engine)
    try:
        applied = await migrate(engine)
        await rollback(engine, steps=len(applied) - applied.index(REASONS_MIGRATION))
        async with write_transaction(engine):
            # Written as the tables were then: later migrations add columns the classes have.
            programme = await Programme.raw(
                "INSERT INTO programme (code, name, local_authority, ruleset_id, created_at)"
                " VALUES ({}, {}, {}, {}, {}) RETURNING id",
                "T1",
                "Test",
                "LA",
                "tf2012",
                dt.datetime.now(dt.UTC),
            )
            family = await Family.insert(
                Family(
                    programme=programme[0]["id"],
                    family_ref="F1",
                    identified_on=dt.date(2013, 1, 1),
                )
            ).returning(Family.id)
            for ref, reason in (("A-1", "Family moved"), ("A-2", None)):
                await Assessment.raw(
                    "INSERT INTO assessment (programme, family, assessment_ref, started_on,"
                    " completed_on, late_reason, recorded_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
                    programme[0]["id"],
                    family[0]["id"],
                    ref,
                    dt.date(2014, 1, 6),
                    dt.date(2014, 4, 1),
                    reason,
                    dt.datetime.now(dt.UTC),
                )
        await migrate(engine)
        rows = await Assessment.select(
            Assessment.assessment_ref, Assessment.late_reason_code, Assessment.late_reason
        ).order_by(Assessment.assessment_ref)
        assert rows == [
            {"assessment_ref": "A-1", "late_reason_code": "other", "late_reason": "Family moved"},
            {"assessment_ref": "A-2", "late_reason_code": None, "late_reason": None},
        ]
    finally:
        await close_database(engine)
