"""Closing a family's case and reopening it, through the pages: asked for with a reason and a
date, shown as closed on every page without add-forms, reopened by those allowed."""

from __future__ import annotations

import html

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in
from test_pages import text_of as tagless

from connecting_families.domain.dates import today
from connecting_families.families.tables import Family, FamilyStatusChange
from connecting_families.plans.tables import FamilyPlan
from connecting_families.web.templating import day

from access_world import World
from page_world import build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def text_of(page: str) -> str:
    """The page's words as a reader sees them (an apostrophe, not `&#39;`)."""
    return html.unescape(tagless(page))


def _on(date_name: str, year: int, month: int, days: int) -> dict[str, str]:
    return {
        f"{date_name}-day": str(days),
        f"{date_name}-month": str(month),
        f"{date_name}-year": str(year),
    }


async def _version(family_id: int) -> str:
    row = await Family.select(Family.version).where(Family.id == family_id).first()
    assert row is not None
    return str(row["version"])


async def _close(client: httpx.AsyncClient, family_id: int) -> httpx.Response:
    on = today()
    return await post_form(
        client,
        f"/families/{family_id}/close",
        {
            "version": await _version(family_id),
            "reason": "outcomes_met",
            **_on("on", on.year, on.month, on.day),
        },
    )


async def test_asking_to_close_offers_the_reasons_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """The closure form lists the service's reasons in words, with today's date filled in."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    response = await client.get(f"/families/{family_id}/close")
    assert response.status_code == 200
    words = text_of(response.text)
    assert "The family's outcomes were met" in words
    assert "Stepped up to children's social care" in words
    assert f'name="on-year" type="text" value="{today().year}"' in response.text


async def test_a_closure_without_a_reason_or_a_real_date_names_both(
    client: httpx.AsyncClient, world: World
) -> None:
    """No reason and a date that is not real: both said at once, nothing closed."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    response = await post_form(
        client,
        f"/families/{family_id}/close",
        {"version": await _version(family_id), **_on("on", 2026, 2, 31)},
    )
    assert response.status_code == 422
    words = text_of(response.text)
    assert words.count("Select why the family's case is closing") == 2
    assert words.count("Date of closing must be a real date") == 2
    assert 'name="on-day" type="text" value="31"' in response.text
    early = await post_form(
        client,
        f"/families/{family_id}/close",
        {"version": await _version(family_id), "reason": "moved_away", **_on("on", 2013, 1, 5)},
    )
    assert early.status_code == 422
    assert (
        "Date of closing must be on or after 1 February 2013, when the family was attached"
        in text_of(early.text)
    )
    assert 'value="moved_away" checked' in early.text
    assert await FamilyStatusChange.count().where(FamilyStatusChange.status == "closed") == 0


async def test_a_closed_family_shows_as_closed_without_add_forms(
    client: httpx.AsyncClient, world: World
) -> None:
    """Closed, every page says so, the plan is shown closed, no add-form is offered, and a
    form's address leads back to the plan; the closure waits for a team manager."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    closed = await _close(client, family_id)
    assert closed.status_code == 303, closed.text
    plan = text_of((await client.get(closed.headers["location"])).text)
    assert "The family's case was closed. A team manager will sign off the closure." in plan
    assert f"This family's case is closed Closed on {day(today())}: outcomes met." in plan
    assert "The plan Closed" in plan
    assert "Waiting for a team manager to sign it off" in plan
    for offered in ("Add a goal", "Add an action", "Record a review", "Ask to close"):
        assert offered not in plan, offered
    assert "Reopen the family's case" in plan
    for section in ("", "/notes", "/household"):
        page = text_of((await client.get(f"/families/{family_id}{section}")).text)
        assert "This family's case is closed" in page, section
    assert "Add a note" not in text_of((await client.get(f"/families/{family_id}/notes")).text)
    form = await client.get(f"/families/{family_id}/plan/new")
    assert (form.status_code, form.headers["location"]) == (303, f"/families/{family_id}/plan")
    again = await client.get(f"/families/{family_id}/close")
    assert again.status_code == 303


async def _plan_statuses(family_id: int) -> list[str]:
    rows = await (
        FamilyPlan.select(FamilyPlan.status)
        .where(FamilyPlan.family == family_id)
        .order_by(FamilyPlan.id)
    )
    return [row["status"] for row in rows]


async def test_closing_closes_the_plans_and_sending_back_opens_them_again(
    client: httpx.AsyncClient, world: World
) -> None:
    """Closing the case closes the family's plans; a team manager sending the closure back
    opens again the plan the closure closed (agreed: active), not one closed before it."""
    family_id = world.families["fam1"]
    plan = await FamilyPlan.select(FamilyPlan.all_columns()).where(FamilyPlan.family == family_id)
    earlier = {**plan[0], "status": "closed", "agreed_on": None}
    del earlier["id"]
    await FamilyPlan.insert(FamilyPlan(**earlier))
    assert await _plan_statuses(family_id) == ["active", "closed"]
    await sign_in(client, "kw_own")
    assert (await _close(client, family_id)).status_code == 303
    assert await _plan_statuses(family_id) == ["closed", "closed"]
    closure = await FamilyStatusChange.select(FamilyStatusChange.id).where(
        FamilyStatusChange.family == family_id, FamilyStatusChange.status == "closed"
    )
    await sign_in(client, "tm")
    sent = await post_form(
        client,
        f"/families/{family_id}/closures/{closure[0]['id']}/send-back",
        {"reason": "The school has not confirmed attendance yet."},
    )
    assert sent.status_code == 303, sent.text
    assert await _plan_statuses(family_id) == ["active", "closed"]
    await sign_in(client, "kw_own")
    page = text_of((await client.get(f"/families/{family_id}/plan")).text)
    assert "Plan 1 Active" in page
    assert "Plan 2 Closed" in page


async def test_a_stale_closure_is_refused(client: httpx.AsyncClient, world: World) -> None:
    """A closure sent from a page older than the family's record is refused (409)."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    response = await post_form(
        client,
        f"/families/{family_id}/close",
        {"version": "99", "reason": "declined", **_on("on", 2026, 1, 5)},
    )
    assert response.status_code == 409
    assert "has changed since version 99" in text_of(response.text)
    assert 'value="declined" checked' in response.text


async def test_the_key_worker_reopens_within_a_year_as_a_re_referral(
    client: httpx.AsyncClient, world: World
) -> None:
    """Reopened by the family's key worker the day it closed: a re-referral, said before and
    recorded after; the forms are back."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    assert (await _close(client, family_id)).status_code == 303
    form = await client.get(f"/families/{family_id}/reopen")
    assert form.status_code == 200
    assert "is recorded as a re-referral" in text_of(form.text)
    on = today()
    response = await post_form(
        client,
        f"/families/{family_id}/reopen",
        {"version": await _version(family_id), **_on("on", on.year, on.month, on.day)},
    )
    assert response.status_code == 303, response.text
    plan = text_of((await client.get(response.headers["location"])).text)
    assert "The family's case was reopened." in plan
    assert "This family's case is closed" not in plan
    # The plan closed with the case; the reopened case's work starts a plan of its own.
    assert "The plan Closed" in plan
    assert "Make a new plan" in plan
    reopening = (
        await FamilyStatusChange.select(FamilyStatusChange.is_re_referral)
        .where(FamilyStatusChange.status == "reopened")
        .first()
    )
    assert reopening == {"is_re_referral": True}


async def test_only_those_who_may_write_may_reopen(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor sees the closure but no "Reopen", and is refused (403); a key worker of
    another team is told there is no such family (404); the family stays closed."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    assert (await _close(client, family_id)).status_code == 303
    version = await _version(family_id)
    client.cookies.clear()
    await sign_in(client, "auditor")
    plan = text_of((await client.get(f"/families/{family_id}/plan")).text)
    assert "This family's case is closed" in plan
    assert "Reopen" not in plan
    refused = await post_form(
        client, f"/families/{family_id}/reopen", {"version": version, **_on("on", 2026, 1, 5)}
    )
    assert refused.status_code == 403
    client.cookies.clear()
    await sign_in(client, "kw_other")
    hidden = await post_form(
        client, f"/families/{family_id}/reopen", {"version": version, **_on("on", 2026, 1, 5)}
    )
    assert hidden.status_code == 404
    row = await Family.select(Family.status).where(Family.id == family_id).first()
    assert row == {"status": "closed"}


async def test_a_signed_off_closure_shows_who_signed_it_and_a_manager_may_reopen(
    client: httpx.AsyncClient, world: World
) -> None:
    """The team manager signs off the closure on the team page; the plan page then says who
    did, and the team manager may reopen the case too."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    assert (await _close(client, family_id)).status_code == 303
    closure = (
        await FamilyStatusChange.select(FamilyStatusChange.id)
        .where(FamilyStatusChange.status == "closed")
        .first()
    )
    assert closure is not None
    client.cookies.clear()
    await sign_in(client, "tm")
    signed = await post_form(
        client, f"/families/{family_id}/closures/{closure['id']}/sign-off", {}
    )
    assert signed.status_code == 303, signed.text
    plan = text_of((await client.get(f"/families/{family_id}/plan")).text)
    assert f"Sign-off Signed off by tm on {day(today())}" in plan
    on = today()
    reopened = await post_form(
        client,
        f"/families/{family_id}/reopen",
        {"version": await _version(family_id), **_on("on", on.year, on.month, on.day)},
    )
    assert reopened.status_code == 303, reopened.text
    row = await Family.select(Family.status).where(Family.id == family_id).first()
    assert row == {"status": "attached"}
