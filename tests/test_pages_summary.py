"""The family's summary page and its evidence section, through HTTP as a browser sends it."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in, text_of

from connecting_families.audit.tables import AuditEvent
from connecting_families.domain.dates import today
from connecting_families.evidence.tables import Offence
from connecting_families.plans.tables import FamilyPlan, PlanGoal
from connecting_families.web.family_summary import age_on

from access_world import World
from page_world import build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def test_the_summary_lists_the_people_by_name_and_age(
    client: httpx.AsyncClient, world: World
) -> None:
    """The household is listed by name and age, eldest first, with the key worker."""
    await sign_in(client, "kw_own")
    response = await client.get(f"/families/{world.families['fam1']}")
    assert response.status_code == 200, response.text
    words = text_of(response.text)
    cara = age_on(dt.date(1980, 2, 2), today())
    amy = age_on(dt.date(2005, 4, 1), today())
    assert f"Cara Smith {cara} years old, adult" in words
    assert f"Amy Smith {amy} years old, child" in words
    assert words.index("Cara Smith") < words.index("Amy Smith") < words.index("Ben Smith")
    assert "Key worker kw_own" in words


async def test_the_summary_shows_what_is_due_next(client: httpx.AsyncClient, world: World) -> None:
    """The plan's review, overdue since 2013, leads the task list and links to the plan."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await client.get(family)
    words = text_of(response.text)
    assert "What is due next" in words
    assert "Review the plan Was due on 15 May 2013 Overdue" in words
    assert f'href="{family}/plan"' in response.text
    assert 'class="govuk-task-list' in response.text
    assert (
        f'<a class="govuk-link" href="{family}/result" id="result-link">See why' in response.text
    )
    assert "Not yet turned around" in words or "Turned around" in words


async def test_an_open_assessment_and_no_plan_are_due(
    client: httpx.AsyncClient, world: World
) -> None:
    """An assessment started long ago is overdue; a family without a plan is asked for one."""
    family_id = world.families["fam1"]
    plans = FamilyPlan.select(FamilyPlan.id).where(FamilyPlan.family == family_id)
    await PlanGoal.delete().where(PlanGoal.plan.is_in(plans))
    await FamilyPlan.delete().where(FamilyPlan.family == family_id)
    started = await client.post(
        f"/api/v1/families/{family_id}/assessments",
        json={"started_on": "2013-02-01", "assessment_ref": "EHA-1"},
        headers=world.headers("kw_own"),
    )
    assert started.status_code == 201, started.text
    await sign_in(client, "kw_own")
    response = await client.get(f"/families/{family_id}")
    words = text_of(response.text)
    assert "Complete assessment EHA-1 Was due by" in words
    assert "Agree the family plan The family has no plan yet To do" in words
    assert f'href="/families/{family_id}/assessments"' in response.text


async def test_a_page_read_is_one_audit_entry(client: httpx.AsyncClient, world: World) -> None:
    """Reading the summary (and the result) writes one audit entry each, naming the page."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    for path, section in (("", "summary"), ("/result", "result"), ("/evidence", "evidence")):
        before = await AuditEvent.count()
        response = await client.get(f"/families/{family_id}{path}")
        assert response.status_code == 200, response.text
        events = (
            await AuditEvent.select(AuditEvent.action, AuditEvent.resource_id, AuditEvent.detail)
            .where(AuditEvent.id > 0)
            .order_by(AuditEvent.id, ascending=False)
            .limit(await AuditEvent.count() - before)
        )
        assert [e["action"] for e in events] == ["family.page.read"], path
        assert events[0]["resource_id"] == str(family_id)
        assert f'"section": "{section}"' in str(events[0]["detail"]).replace("'", '"')


async def test_the_timeline_is_in_words(client: httpx.AsyncClient, world: World) -> None:
    """The evidence section's timeline names each kind and person in words, dates as dates."""
    await sign_in(client, "kw_own")
    response = await client.get(f"/families/{world.families['fam1']}/evidence")
    words = text_of(response.text)
    assert "1 Oct 2012 : Offence, Amy Smith: offence reference OF-1, offence date 1 Oct 2012" in (
        words
    )
    assert "Out-of-work benefit, Cara Smith: benefit JSA, start date 1 Jan 2012" in words
    assert "person_ref" not in words


async def test_recording_evidence_without_javascript(
    client: httpx.AsyncClient, world: World
) -> None:
    """ "Continue" shows the kind's fields by label; the item is then recorded, with a banner."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    blank = await client.get(f"{family}/evidence/new")
    assert blank.status_code == 200
    assert "Continue" in text_of(blank.text)
    assert 'name="offence_date-day"' not in blank.text
    shown = await post_form(
        client, f"{family}/evidence", {"evidence_kind": "offences", "continue": "yes"}
    )
    assert shown.status_code == 200, shown.text
    assert "Offence reference" in text_of(shown.text)
    assert 'name="offence_date-day"' in shown.text
    assert await Offence.count() == 2
    recorded = await post_form(
        client,
        f"{family}/evidence",
        {
            "evidence_kind": "offences",
            "person_ref": "C1",
            "offence_ref": "OF-9",
            "offence_date-day": "3",
            "offence_date-month": "3",
            "offence_date-year": "2013",
        },
    )
    assert recorded.status_code == 303, recorded.text
    assert recorded.headers["location"] == f"{family}/evidence?saved=evidence"
    page = await client.get(recorded.headers["location"])
    assert "The evidence was recorded." in page.text
    assert "offence reference OF-9, offence date 3 Mar 2013" in text_of(page.text)


async def test_refused_evidence_is_named_by_label(client: httpx.AsyncClient, world: World) -> None:
    """A date that is not real and a kind left out are each named by their label."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    no_kind = await post_form(client, f"{family}/evidence", {"evidence_kind": ""})
    assert no_kind.status_code == 422
    assert "Select the kind of evidence" in text_of(no_kind.text)
    wrong = await post_form(
        client,
        f"{family}/evidence",
        {
            "evidence_kind": "offences",
            "offence_ref": "OF-9",
            "offence_date-day": "31",
            "offence_date-month": "2",
            "offence_date-year": "2013",
        },
    )
    assert wrong.status_code == 422
    words = text_of(wrong.text)
    assert "There is a problem" in words
    assert "Offence date" in words
    assert "offence_date" not in words
    assert 'value="OF-9"' in wrong.text
    assert await Offence.count() == 2


async def test_the_evidence_fields_come_alone_for_htmx(
    client: httpx.AsyncClient, world: World
) -> None:
    """HTMX swaps in only the kind's fields; without HTMX the form's page is shown instead."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    fields = await client.get(
        f"{family}/evidence-fields?evidence_kind=employment", headers={"HX-Request": "true"}
    )
    assert fields.status_code == 200
    assert "<html" not in fields.text
    assert "Hours per week" in fields.text
    plain = await client.get(f"{family}/evidence-fields?evidence_kind=employment")
    assert plain.status_code == 302
    assert plain.headers["location"] == f"{family}/evidence/new?evidence_kind=employment"
