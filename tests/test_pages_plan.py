"""The plan pages: make the plan, add goals linked to needs and actions with owners, mark an
action done, record a review and read its ratings afterwards; each form accepted and refused."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in, text_of

from connecting_families.domain.dates import today
from connecting_families.plans.tables import FamilyPlan, PlanAction, PlanGoal, PlanReview
from connecting_families.web.templating import day

from access_world import World
from page_world import build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def _plan_and_goal(family_id: int) -> tuple[int, int]:
    plan = await FamilyPlan.select(FamilyPlan.id).where(FamilyPlan.family == family_id).first()
    assert plan is not None
    goal = await PlanGoal.select(PlanGoal.id).where(PlanGoal.plan == plan["id"]).first()
    assert goal is not None
    return plan["id"], goal["id"]


async def _add_action(family_id: int, goal_id: int, due_on: dt.date | None) -> int:
    inserted = await PlanAction.insert(
        PlanAction(goal=goal_id, description="Call the school", due_on=due_on)
    ).returning(PlanAction.id)
    return int(inserted[0]["id"])


async def test_the_plan_page_shows_each_goal_with_its_need_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """The plan shows its goals, the need each meets by headline, and the forms' links."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await client.get(f"{family}/plan")
    assert response.status_code == 200, response.text
    words = text_of(response.text)
    assert "Goal 1: Amy back in school every day" in words
    assert "Need it meets Education" in words
    assert "Agreed with the family 15 Feb 2013" in words
    assert "Add a goal" in words
    assert "Add an action to goal 1" in words
    assert "Ask to close the case" in words


async def test_a_plan_is_made_and_a_bad_date_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A plan agreed tomorrow is refused by the field's label with the date kept; agreed
    today it is made, and shown as active."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    form = await client.get(f"/families/{family_id}/plan/new")
    assert form.status_code == 200
    assert 'name="agreed_on-day"' in form.text
    tomorrow = today() + dt.timedelta(days=1)
    typed = {
        "agreed_on-day": str(tomorrow.day),
        "agreed_on-month": str(tomorrow.month),
        "agreed_on-year": str(tomorrow.year),
    }
    refused = await post_form(client, f"/families/{family_id}/plans", typed)
    assert refused.status_code == 422
    assert "Date the plan was agreed with the family must not be in the future" in refused.text
    assert f'name="agreed_on-year" type="text" value="{tomorrow.year}"' in refused.text
    assert await FamilyPlan.count().where(FamilyPlan.family == family_id) == 1
    on = today()
    made = await post_form(
        client,
        f"/families/{family_id}/plans",
        {
            "agreed_on-day": str(on.day),
            "agreed_on-month": str(on.month),
            "agreed_on-year": str(on.year),
        },
    )
    assert made.status_code == 303, made.text
    words = text_of((await client.get(made.headers["location"])).text)
    assert "The plan was made." in words
    assert f"Plan 2 Active Agreed with the family {day(on)}" in words


async def test_a_goal_is_linked_to_a_need_chosen_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    """The goal form offers the family's needs by headline; the goal then shows its need."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan, _ = await _plan_and_goal(family_id)
    form = text_of((await client.get(f"/families/{family_id}/plans/{plan}/goals/new")).text)
    assert "Education, identified 1 Feb 2013" in form
    response = await post_form(
        client,
        f"/families/{family_id}/plans/{plan}/goals",
        {"description": "Ben gets to school on time", "need_ref": "N-1"},
    )
    assert response.status_code == 303, response.text
    words = text_of((await client.get(response.headers["location"])).text)
    assert "The goal was added to the plan." in words
    unlinked = await post_form(
        client,
        f"/families/{family_id}/plans/{plan}/goals",
        {"description": "Cara keeps the tenancy", "need_ref": "_none"},
    )
    assert unlinked.status_code == 303, unlinked.text
    words = text_of((await client.get(unlinked.headers["location"])).text)
    assert (
        "Goal 3: Cara keeps the tenancy Add an action to goal 3 Need it meets Not linked" in words
    )
    assert (
        "Goal 2: Ben gets to school on time Add an action to goal 2 Need it meets Education"
        in words
    )


async def test_a_goal_with_nothing_chosen_names_each_question(
    client: httpx.AsyncClient, world: World
) -> None:
    """A goal with no words and no need chosen names both by their labels; a need that is not
    the family's is refused at the radios; nothing is added and the target date is kept."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan, _ = await _plan_and_goal(family_id)
    path = f"/families/{family_id}/plans/{plan}/goals"
    target = {"target_on-day": "1", "target_on-month": "9", "target_on-year": "2030"}
    response = await post_form(client, path, target)
    assert response.status_code == 422
    words = text_of(response.text)
    assert words.count("Enter goal") == 2
    assert words.count("Select the need this goal meets") == 2
    assert 'name="target_on-year" type="text" value="2030"' in response.text
    assert "need_ref" not in words
    other = await post_form(client, path, {"description": "Kept", "need_ref": "N-404"})
    assert other.status_code == 422
    assert "Select one of this family" in other.text
    assert ">Kept</textarea>" in other.text
    assert await PlanGoal.count() == 1


async def test_an_action_is_added_with_a_worker_as_its_owner(
    client: httpx.AsyncClient, world: World
) -> None:
    """The action form offers the programme's workers; the action shows its owner and due
    date on the plan."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan, goal = await _plan_and_goal(family_id)
    path = f"/families/{family_id}/plans/{plan}/goals/{goal}/actions"
    form = await client.get(f"{path}/new")
    assert form.status_code == 200
    assert '<option value="kw_other">' in form.text
    assert 'value="admin"' not in form.text  # not a worker in the programme
    response = await post_form(
        client,
        path,
        {
            "description": "Walk Amy to school",
            "owner": "kw_other",
            "due_on-day": "1",
            "due_on-month": "12",
            "due_on-year": "2030",
        },
    )
    assert response.status_code == 303, response.text
    words = text_of((await client.get(response.headers["location"])).text)
    assert "The action was added to the plan." in words
    assert "Walk Amy to school kw_other 1 Dec 2030 To do" in words


async def test_an_action_refused_keeps_what_was_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """No description and an owner outside the programme: both named, the rest kept."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan, goal = await _plan_and_goal(family_id)
    path = f"/families/{family_id}/plans/{plan}/goals/{goal}/actions"
    blank = await post_form(client, path, {"owner_text": "School nurse"})
    assert blank.status_code == 422
    assert "Enter what will be done" in text_of(blank.text)
    assert 'value="School nurse"' in blank.text
    outsider = await post_form(client, path, {"description": "Visit", "owner": "admin"})
    assert outsider.status_code == 422
    assert "Select a worker in this family&#39;s programme" in outsider.text
    assert ">Visit</textarea>" in outsider.text
    assert await PlanAction.count() == 0


async def test_an_action_is_marked_done_and_a_stale_one_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """ "Mark as done" records today; the same button from an older page is refused (409)
    saying the action changed, and the action keeps its first completion."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan, goal = await _plan_and_goal(family_id)
    action = await _add_action(family_id, goal, today() - dt.timedelta(days=3))
    shown = (await client.get(f"/families/{family_id}/plan")).text
    assert "Call the school" in shown
    assert "Overdue" in text_of(shown)
    path = f"/families/{family_id}/plans/{plan}/actions/{action}/done"
    assert f'action="{path}"' in shown
    done = await post_form(client, path, {"version": "1"})
    assert done.status_code == 303, done.text
    words = text_of((await client.get(done.headers["location"])).text)
    assert "The action was marked as done." in words
    assert (
        f"Call the school Not given {day(today() - dt.timedelta(days=3))} Done on {day(today())}"
        in words
    )
    assert f'action="{path}"' not in (await client.get(f"/families/{family_id}/plan")).text
    stale = await post_form(client, path, {"version": "1"})
    assert stale.status_code == 409
    assert "The action has changed since version 1" in text_of(stale.text)
    assert "<title>Error: Family plan" in stale.text
    row = await PlanAction.select(PlanAction.version).where(PlanAction.id == action).first()
    assert row == {"version": 2}


async def test_a_review_shows_each_goals_rating_and_comment_afterwards(
    client: httpx.AsyncClient, world: World
) -> None:
    """A review's progress on each goal is on the plan page after it is recorded."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan, goal = await _plan_and_goal(family_id)
    form = await client.get(f"/families/{family_id}/plans/{plan}/reviews/new")
    assert form.status_code == 200
    assert f'name="progress-1-goal_id" value="{goal}"' in form.text
    response = await post_form(
        client,
        f"/families/{family_id}/plans/{plan}/reviews",
        {
            "reviewed_on": "2026-01-10",
            "summary": "Going well",
            "progress-1-goal_id": str(goal),
            "progress-1-rating": "good",
            "progress-1-comment": "In school every day this week",
        },
    )
    assert response.status_code == 303, response.text
    words = text_of((await client.get(response.headers["location"])).text)
    assert "The review was recorded." in words
    assert "Review on 10 Jan 2026 by" in words
    assert "What was agreed Going well" in words
    assert (
        "Goal 1: Amy back in school every day Good progress In school every day this week" in words
    )


async def test_a_review_comment_without_a_rating_is_refused_not_lost(
    client: httpx.AsyncClient, world: World
) -> None:
    """A comment on a goal with no rating, and a next review before the review: both said at
    once by their labels, the comment kept, and no review recorded."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan, goal = await _plan_and_goal(family_id)
    response = await post_form(
        client,
        f"/families/{family_id}/plans/{plan}/reviews",
        {
            "reviewed_on": "2026-01-10",
            "summary": "Mixed",
            "progress-1-goal_id": str(goal),
            "progress-1-comment": "Attended 3 of 5 days",
        },
    )
    assert response.status_code == 422
    words = text_of(response.text)
    assert words.count("Select the progress on goal 1, or remove the comment on it") == 2
    assert ">Attended 3 of 5 days</textarea>" in response.text
    assert 'href="#progress-1-rating"' in response.text
    late = await post_form(
        client,
        f"/families/{family_id}/plans/{plan}/reviews",
        {
            "reviewed_on": "2026-01-10",
            "summary": "Mixed",
            "next_review_on": "2026-01-01",
            "progress-1-goal_id": str(goal),
            "progress-1-rating": "some",
        },
    )
    assert late.status_code == 422
    assert "Date of the next review must be after the date of the review" in text_of(late.text)
    assert await PlanReview.count() == 0


async def test_a_reader_sees_the_plan_without_its_forms(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor reads the plan but is offered no form, and may not open one."""
    family_id = world.families["fam1"]
    plan, goal = await _plan_and_goal(family_id)
    await _add_action(family_id, goal, None)
    await sign_in(client, "auditor")
    words = text_of((await client.get(f"/families/{family_id}/plan")).text)
    assert "Goal 1: Amy back in school every day" in words
    for offered in (
        "Add a goal",
        "Add an action",
        "Mark as done",
        "Record a review",
        "Ask to close",
    ):
        assert offered not in words, offered
    form = await client.get(f"/families/{family_id}/plans/{plan}/goals/new")
    assert form.status_code == 403


async def test_a_goal_through_the_api_must_meet_one_of_the_familys_own_needs(
    client: httpx.AsyncClient, world: World
) -> None:
    """The plan service checks a goal's need is the family's and takes its headline, so the
    API refuses another family's need as the page does."""
    family_id = world.families["fam1"]
    plan, _ = await _plan_and_goal(family_id)
    path = f"/api/v1/families/{family_id}/plans/{plan}/goals"
    refused = await client.post(
        path, json={"description": "X", "need_ref": "N-404"}, headers=world.headers("kw_own")
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["need_ref"]
    added = await client.post(
        path, json={"description": "School", "need_ref": "N-1"}, headers=world.headers("kw_own")
    )
    assert added.status_code == 201, added.text
    assert added.json()["goals"][-1]["headline"] == "education"
