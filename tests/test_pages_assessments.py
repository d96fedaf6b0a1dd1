"""The assessments and needs pages, as a browser sends them: start an assessment, save its
content as a draft, complete it (late: why, from the list), record needs and their outcomes."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in
from test_pages import text_of as tagless

from connecting_families.assessments.tables import Assessment, Need
from connecting_families.domain.dates import today
from connecting_families.families.tables import Family

from access_world import World
from consent_world import consent_given
from page_world import build_page_world

# FAM-1 is in P1 (tf2012: 45 working days). Started then, any completion from today is late.
LONG_AGO = {"started_on-day": "6", "started_on-month": "1", "started_on-year": "2014"}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    built = await build_page_world(client, app.state.accounts)
    # Without current consent, completing an assessment is refused (test_consent.py).
    await consent_given(built.families["fam1"], built.users["kw_own"])
    return built


@pytest.fixture
async def family(client: httpx.AsyncClient, world: World) -> str:
    await sign_in(client, "kw_own")
    return f"/families/{world.families['fam1']}"


async def start(client: httpx.AsyncClient, family: str, when: dict[str, str]) -> str:
    """Start an assessment on the page; its own page's address."""
    started = await post_form(client, f"{family}/assessments/new", when)
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert re.fullmatch(rf"{family}/assessments/EHA-[0-9A-F]+\?saved=assessment_started", location)
    return location.split("?")[0]


def today_parts(name: str) -> dict[str, str]:
    on = today()
    return {
        f"{name}-day": str(on.day),
        f"{name}-month": str(on.month),
        f"{name}-year": str(on.year),
    }


def text_of(page: str) -> str:
    """The page's words as a person reads them (`&#39;` as an apostrophe)."""
    return html.unescape(tagless(page))


async def test_an_assessment_is_started_with_a_date_and_listed_as_a_draft(
    client: httpx.AsyncClient, family: str
) -> None:
    """Started, the assessment's page says so; the section lists it as a draft."""
    page = await start(client, family, today_parts("started_on"))
    shown = await client.get(f"{page}?saved=assessment_started")
    assert "The assessment was started." in text_of(shown.text)
    assert "Draft" in text_of(shown.text)
    section = text_of((await client.get(f"{family}/assessments")).text)
    assert re.search(r"EHA-[0-9A-F]+ Draft", section)


async def test_an_assessment_without_its_start_date_is_refused_by_its_label(
    client: httpx.AsyncClient, family: str
) -> None:
    """No date: the form again, the error naming the field as the page labels it."""
    refused = await post_form(client, f"{family}/assessments/new", {"agency": "School"})
    assert refused.status_code == 422
    words = text_of(refused.text)
    assert words.count("Enter date the assessment started") == 2
    assert 'value="School"' in refused.text
    assert await Assessment.count() == 0


async def test_the_content_is_saved_as_a_draft_and_a_stale_save_is_refused(
    client: httpx.AsyncClient, family: str
) -> None:
    """Saved, the content is on the assessment's page; a form from an older version is
    refused (409), keeping what was typed."""
    page = await start(client, family, LONG_AGO)
    form = await client.get(f"{page}/edit")
    assert form.status_code == 200
    # A character count on every part, and a field per headline of tf2012, in words.
    assert form.text.count('data-module="govuk-character-count"') == 7
    assert "Needs: Crime and anti-social behaviour" in form.text
    assert "crime_asb" not in text_of(form.text)
    content = {
        "version": "1",
        "family_view": "We want the children back in school.",
        "strengths": "Grandma helps every morning.",
        "headline_needs-education": "Amy misses two days a week.",
        "child_voice": "Amy: school is boring.",
        "analysis": "Attendance first, then work.",
    }
    saved = await post_form(client, f"{page}/edit", content)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{page}?saved=assessment_saved"
    shown = text_of((await client.get(saved.headers["location"])).text)
    assert "The draft of the assessment was saved." in shown
    assert "Needs: Education Amy misses two days a week." in shown
    assert "Key worker's analysis Attendance first, then work." in shown
    stale = await post_form(client, f"{page}/edit", {**content, "analysis": "Typed again"})
    assert stale.status_code == 409
    assert "has changed since version 1" in stale.text
    assert "Typed again" in stale.text


async def test_a_headline_text_too_long_is_refused_beside_its_field(
    client: httpx.AsyncClient, family: str
) -> None:
    """A headline's text is named by the headline's label, never by the API's field."""
    page = await start(client, family, LONG_AGO)
    refused = await post_form(
        client, f"{page}/edit", {"version": "1", "headline_needs-education": "x" * 1001}
    )
    assert refused.status_code == 422
    words = text_of(refused.text)
    assert words.count("Needs: Education must be 1,000 characters or fewer") == 2
    assert 'href="#headline_needs-education"' in refused.text
    assert "headline_needs." not in words


async def test_completed_on_time_asks_no_reason(client: httpx.AsyncClient, family: str) -> None:
    """Not yet due, the form has no reasons to choose from; completed, it says so."""
    page = await start(client, family, today_parts("started_on"))
    form = await client.get(f"{page}/complete")
    assert "Reason the assessment was late" not in form.text
    done = await post_form(
        client, f"{page}/complete", {"version": "1", **today_parts("completed_on")}
    )
    assert done.status_code == 303, done.text
    shown = text_of((await client.get(done.headers["location"])).text)
    assert "The assessment was completed." in shown
    assert "Completed" in shown
    assert "Completed late" not in shown
    assert "Edit the assessment" not in shown  # no more drafts


async def test_a_late_completion_without_a_reason_is_refused_by_its_label(
    client: httpx.AsyncClient, family: str
) -> None:
    """Late, a reason must be chosen: the error names the radios' legend."""
    page = await start(client, family, LONG_AGO)
    form = await client.get(f"{page}/complete")
    # The details are always in the page, so the form works without JavaScript.
    assert 'name="late_reason"' in form.text
    refused = await post_form(
        client, f"{page}/complete", {"version": "1", **today_parts("completed_on")}
    )
    assert refused.status_code == 422
    words = text_of(refused.text)
    assert words.count("Select reason the assessment was late") == 2
    assert 'href="#late_reason_code"' in refused.text
    assert "late_reason_code" not in words
    assert await Assessment.count().where(Assessment.completed_on.is_not_null()) == 0


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("key_worker_availability", "Key worker availability"),
        ("family_availability", "Family availability"),
        ("awaiting_other_agency", "Awaiting information from another agency"),
        ("other", "Other"),
    ],
)
async def test_a_late_completion_with_each_reason(
    client: httpx.AsyncClient, family: str, code: str, words: str
) -> None:
    """Each reason of the list completes it late, and the page says why in words."""
    page = await start(client, family, LONG_AGO)
    details = "The family moved house." if code == "other" else ""
    done = await post_form(
        client,
        f"{page}/complete",
        {
            "version": "1",
            **today_parts("completed_on"),
            "late_reason_code": code,
            "late_reason": details,
        },
    )
    assert done.status_code == 303, done.text
    shown = text_of((await client.get(page)).text)
    assert "Completed late" in shown
    expected = details or words
    assert f"Why it was late {expected}" in shown
    row = await Assessment.select(Assessment.late_reason_code).where(
        Assessment.completed_on.is_not_null()
    )
    assert row == [{"late_reason_code": code}]


async def test_other_without_its_details_is_refused(
    client: httpx.AsyncClient, family: str
) -> None:
    """ "Other" needs the details; the choice is kept so that the field is shown again."""
    page = await start(client, family, LONG_AGO)
    refused = await post_form(
        client,
        f"{page}/complete",
        {"version": "1", **today_parts("completed_on"), "late_reason_code": "other"},
    )
    assert refused.status_code == 422
    assert text_of(refused.text).count("Enter details of the reason") == 2
    assert re.search(r'value="other"\s+checked', refused.text)


async def test_a_need_is_recorded_under_a_headline_in_words(
    client: httpx.AsyncClient, family: str
) -> None:
    """The headlines are the rule set's, in words; the need shows under its headline."""
    form = await client.get(f"{family}/needs/new")
    assert 'value="worklessness"' in form.text
    assert "Worklessness and financial exclusion" in form.text
    added = await post_form(
        client,
        f"{family}/needs/new",
        {"headline": "worklessness", **today_parts("identified_on"), "evidence": "No work."},
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{family}/assessments?saved=need"
    shown = text_of((await client.get(added.headers["location"])).text)
    assert "The need was recorded." in shown
    # (The words of a tag are set apart by a space: "NEED-1 , identified".)
    assert re.search(r"exclusion NEED-[0-9A-F]+ , identified \d+ \w+ \d+ No work\.", shown)


async def test_a_need_under_another_headline_is_refused(
    client: httpx.AsyncClient, family: str
) -> None:
    """A headline the rule set does not have, or none, is refused by its label."""
    before = await Need.count()
    for headline in ("housing", ""):
        refused = await post_form(
            client, f"{family}/needs/new", {"headline": headline, **today_parts("identified_on")}
        )
        assert refused.status_code == 422
        assert text_of(refused.text).count("Select headline") == 2, headline
    assert await Need.count() == before


async def test_a_needs_outcome_on_its_own_page(client: httpx.AsyncClient, family: str) -> None:
    """The outcome form is a page of its own; recorded, the section shows it."""
    section = await client.get(f"{family}/assessments")
    assert f'href="{family}/needs/N-1/outcome"' in section.text
    form = await client.get(f"{family}/needs/N-1/outcome")
    assert form.status_code == 200
    assert "Outcome of need N-1" in text_of(form.text)
    refused = await post_form(client, f"{family}/needs/N-1/outcome", {"version": "1"})
    assert refused.status_code == 422
    assert text_of(refused.text).count("Select outcome") == 2
    done = await post_form(
        client,
        f"{family}/needs/N-1/outcome",
        {"version": "1", "outcome": "achieved", **today_parts("outcome_on")},
    )
    assert done.status_code == 303, done.text
    shown = text_of((await client.get(done.headers["location"])).text)
    assert "The need's outcome was recorded." in shown
    assert "Outcome: Achieved on" in shown


async def test_no_forms_for_those_who_may_only_read(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor reads the section but is offered no form."""
    await sign_in(client, "auditor")
    shown = await client.get(f"/families/{world.families['fam1']}/assessments")
    assert shown.status_code == 200
    for offer in ("Start an assessment", "Record a need", "Record the outcome"):
        assert offer not in shown.text


async def test_a_closed_family_offers_no_forms(
    client: httpx.AsyncClient, world: World, family: str
) -> None:
    """Closed, the section offers nothing to add, and a form's page says why it is refused."""
    await Family.update({Family.status: "closed"}).where(Family.id == world.families["fam1"])
    shown = await client.get(f"{family}/assessments")
    assert "Start an assessment" not in shown.text
    assert "Record a need" not in shown.text
    for form in ("assessments/new", "needs/new", "needs/N-1/outcome"):
        refused = await client.get(f"{family}/{form}")
        assert refused.status_code == 403, form
        assert "nothing new can be recorded" in text_of(refused.text), form
