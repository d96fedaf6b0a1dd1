"""Every page form route declares its fields' labels (`opt[FORM_LABELS]`), so that a 403 page,
which a guard or the CSRF check reaches before the handler runs, gives back what was typed by
the labels the form shows, never by a field's API name, and not its hidden fields."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from connecting_families.web.forms import FORM_LABELS

from access_world import World
from page_world import PASSWORD, build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "_csrf_token": str(client.cookies["csrftoken"]),
        },
    )
    assert response.status_code == 302, response.text


def typed_back(page: str) -> str:
    """The words of the 403 page's "What you typed" part."""
    start = page.index('id="typed-title"')
    part = page[start : page.index("</main>", start)]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part))).strip()


async def stale_post(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> str:
    """`data` posted to `path` with a CSRF token no longer valid: the 403 page's typed part."""
    response = await client.post(path, data={**data, "_csrf_token": "stale-token"})
    assert response.status_code == 403, response.text
    assert "Your form was not sent" in response.text
    return typed_back(response.text)


def page_post(handler: HTTPRouteHandler) -> bool:
    """Whether `handler` answers a page's form: a POST served by the web package (the
    JSON API's are not forms)."""
    module = getattr(handler.fn, "__module__", "")
    return "POST" in handler.http_methods and module.startswith("connecting_families.web.")


def test_every_page_post_route_declares_its_labels(app: Litestar) -> None:
    """A page form route without `opt[FORM_LABELS]` fails here, naming it."""
    posts = [
        route.path
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if page_post(handler) and FORM_LABELS not in handler.opt
    ]
    assert posts == []


def test_the_walk_finds_the_family_forms(app: Litestar) -> None:
    """The walk above sees the family forms (so it cannot pass by finding none)."""
    declared = {
        route.path
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if page_post(handler) and FORM_LABELS in handler.opt
    }
    assert "/families/{family_id:int}/close" in declared
    assert "/families/new" in declared
    assert len([path for path in declared if path.startswith("/families/")]) >= 20


async def test_a_refused_closure_names_the_reason_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """A closure sent with a stale token gives back the reason and date by their labels,
    without the family's version (a hidden field)."""
    await sign_in(client, "kw_own")
    typed = await stale_post(
        client,
        f"/families/{world.families['fam1']}/close",
        {
            "reason": "moved_away",
            "on-day": "2",
            "on-month": "3",
            "on-year": "2026",
            "version": "7",
        },
    )
    assert "Reason for closing moved_away" in typed
    assert "Date of closing 2 3 2026" in typed
    assert "Version" not in typed


async def test_a_refused_new_family_names_each_person_by_number(
    client: httpx.AsyncClient, world: World
) -> None:
    """A new family sent with a stale token names each person's fields as the form does."""
    await sign_in(client, "kw_own")
    typed = await stale_post(
        client,
        "/families/new",
        {
            "family_ref": "NEW-77",
            "member-0-given_name": "Amy",
            "member-1-family_name": "Doyle",
        },
    )
    assert "Family reference NEW-77" in typed
    assert "Given name of person 1 Amy" in typed
    assert "Family name of person 2 Doyle" in typed
    assert "member-" not in typed


async def test_a_refused_review_names_each_goal_by_number(
    client: httpx.AsyncClient, world: World
) -> None:
    """A review sent with a stale token names each goal's comment by the goal's number."""
    await sign_in(client, "kw_own")
    typed = await stale_post(
        client,
        f"/families/{world.families['fam1']}/plans/1/reviews",
        {"summary": "Going well", "progress-2-comment": "School every day"},
    )
    assert "What was agreed Going well" in typed
    assert "Comment on goal 2 School every day" in typed


async def test_a_refused_decision_and_settings_form_name_their_fields_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """The claim decision names a line's reason by its number; the rule settings name each
    setting in words, without the version or the button pressed."""
    await sign_in(client, "pm")
    decision = await stale_post(
        client,
        "/claims/1/decision",
        {"outcome": "rejected", "rejected": "4", "reason-4": "No proof of work"},
    )
    assert "Reason the department rejected line 4 No proof of work" in decision
    assert "reason-4" not in decision
    rules = await stale_post(
        client,
        "/programmes/P1/settings/rules",
        {"weeks_in_work": "26", "version": "3", "decision": "save"},
    )
    assert "Weeks in work 26" in rules
    assert "Version" not in rules
    assert "Decision" not in rules
