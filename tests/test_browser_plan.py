"""The family plan in a real browser: a key worker makes the plan, a goal against a need, two
actions, marks one done, reviews the plan, and asks to close the case (see test_browser.py)."""

from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import expect
from test_browser import (  # noqa: F401 (the fixtures are used by name)
    database_kind,
    fill_date,
    screenshot,
    server,
    sign_in,
    success,
    tablet,
    world,
)

from connecting_families.domain.dates import today
from connecting_families.plans.tables import FamilyPlan, PlanGoal

from access_world import World
from serve_process import Server


async def test_a_key_worker_makes_the_plan_reviews_it_and_asks_to_close(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    """Plan → goal → two actions → one marked done → review (ratings shown) → closure."""
    await PlanGoal.delete(force=True)
    await FamilyPlan.delete(force=True)
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['fam1']}/plan")
        await expect(page.get_by_text("The family has no plan yet.")).to_be_visible()
        await screenshot(page, "plan-none")

        await page.get_by_role("button", name="Make the plan").click()
        await fill_date(page.locator("form"), "Date the plan was agreed with the family", today())
        await fill_date(page.locator("form"), "Date of the first review (optional)", today())
        await screenshot(page, "plan-new")
        await page.get_by_role("button", name="Make the plan").click()
        await expect(success(page)).to_have_text("The plan was made. Add its goals next.")

        # A goal with no need chosen is refused, keeping its words; then linked to education.
        await page.get_by_role("button", name="Add a goal").click()
        await page.get_by_label("Goal", exact=True).fill("Amy goes to school every day")
        await page.get_by_role("button", name="Add the goal").click()
        await expect(page.locator(".govuk-error-summary")).to_be_focused()
        await expect(page.locator("#need_ref-error")).to_contain_text(
            "Select the need this goal meets"
        )
        await expect(page.get_by_label("Goal", exact=True)).to_have_value(
            "Amy goes to school every day"
        )
        await screenshot(page, "plan-goal-refused")
        await page.get_by_label("Education, identified 1 Feb 2013").check()
        await page.get_by_role("button", name="Add the goal").click()
        await expect(success(page)).to_have_text("The goal was added to the plan.")
        goal = page.locator(".govuk-summary-card").filter(has_text="Goal 1:")
        await expect(goal).to_contain_text("Education")

        for what, owner, due in (
            ("Walk Amy to school on Mondays", "kw_other", today() + dt.timedelta(days=14)),
            ("Ring the attendance officer", None, today() - dt.timedelta(days=2)),
        ):
            await goal.get_by_role("link", name="Add an action to goal 1").click()
            await page.get_by_label("What will be done").fill(what)
            if owner:
                await page.get_by_label("Worker who will do it").select_option(owner)
            else:
                await page.get_by_label("Someone else who will do it").fill("The school")
            await fill_date(page.locator("form"), "Due date (optional)", due)
            await screenshot(page, "plan-action-new")
            await page.get_by_role("button", name="Add the action").click()
            await expect(success(page)).to_have_text("The action was added to the plan.")
        late = page.get_by_role("row", name=re.compile("Ring the attendance officer"))
        await expect(late).to_contain_text("Overdue")
        await screenshot(page, "plan-actions")

        await late.get_by_role("button", name=re.compile("Mark as done")).click()
        await expect(success(page)).to_have_text("The action was marked as done.")
        done = page.get_by_role("row", name=re.compile("Ring the attendance officer"))
        await expect(done).to_contain_text("Done")
        await expect(done.get_by_role("button")).to_have_count(0)
        await screenshot(page, "plan-action-done")

        await page.get_by_role("button", name="Record a review").click()
        await page.get_by_label("What was agreed").fill("Amy is going most days.")
        await page.get_by_label("Good progress").check()
        await page.get_by_label("Comment on goal 1 (optional)").fill("4 days of 5 this week")
        await screenshot(page, "plan-review-new")
        await page.get_by_role("button", name="Record the review").click()
        await expect(success(page)).to_have_text("The review was recorded.")
        review = page.locator(".govuk-summary-card").filter(has_text="Review on")
        await expect(review).to_contain_text("Good progress")
        await expect(review).to_contain_text("4 days of 5 this week")
        await screenshot(page, "plan-reviewed")

        await page.get_by_role("button", name="Ask to close the case").click()
        await page.get_by_label("The family's outcomes were met").check()
        await screenshot(page, "plan-close")
        await page.get_by_role("button", name="Close the case").click()
        await expect(success(page)).to_contain_text("The family's case was closed.")
        await expect(page.locator("#family-closed")).to_contain_text(
            "This family's case is closed"
        )
        await expect(page.get_by_role("button", name="Add a goal")).to_have_count(0)
        await expect(page.get_by_role("button", name=re.compile("Mark as done"))).to_have_count(0)
        await screenshot(page, "plan-closed")
