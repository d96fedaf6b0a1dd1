"""The caseload matrix: every family-level route x every role x own and other caseload; and
the claim matrix: every claim route x every role x own and other programme.

The routes come from the app's own route table, so a new family or claim route is covered the
moment it exists; one with no example request here fails until someone adds one.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from connecting_families.access.guard import route_access
from connecting_families.access.policy import ADMIN, Access
from connecting_families.accounts.tables import User, UserProgramme, UserRole
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.claims.tables import Claim, ClaimLine, ClaimLineQuery, ClaimWindow
from connecting_families.consent.tables import Consent
from connecting_families.evidence.tables import AntisocialBehaviour
from connecting_families.families.tables import (
    Allocation,
    CaseNote,
    Family,
    FamilyStatusChange,
    Membership,
    Person,
)
from connecting_families.meetings.tables import FamilyMeeting
from connecting_families.plans.tables import FamilyPlan, PlanAction, PlanGoal, PlanReview

from access_world import OWN_AND_OTHER, USERS, World, build_world

_names = itertools.count(1)


async def _version(family_id: int) -> int:
    row = await Family.select(Family.version).where(Family.id == family_id).first()
    return int(row["version"]) if row else 1


async def _new_member(family_id: int) -> tuple[int, int]:
    """A fresh person and membership in the family: (membership id, person id)."""
    family = await Family.select(Family.programme).where(Family.id == family_id).first()
    assert family is not None
    number = next(_names)
    person = await Person.insert(
        Person(
            programme=family["programme"],
            person_ref=f"M{number}",
            given_name="Matrix",
            family_name=f"Member{number}",
            date_of_birth=dt.date(2008, 1, 1),
        )
    ).returning(Person.id)
    membership = await Membership.insert(
        Membership(
            programme=family["programme"],
            person=person[0]["id"],
            family=family_id,
            role="child",
            recorded_by=None,
        )
    ).returning(Membership.id)
    return membership[0]["id"], person[0]["id"]


async def _other_key_worker(family_id: int) -> str:
    current = (
        await Allocation.select(Allocation.key_worker.username.as_alias("u"))
        .where(Allocation.family == family_id, Allocation.ended_at.is_null())
        .first()
    )
    return "kw_own" if current and current["u"] == "kw_spare" else "kw_spare"


Example = Callable[[int], Awaitable[tuple[dict[str, object], object]]]


async def _no_body(family_id: int) -> tuple[dict[str, object], object]:
    return {}, None


async def _update(family_id: int) -> tuple[dict[str, object], object]:
    return {}, {"version": await _version(family_id), "ward": "North"}


async def _status(family_id: int) -> tuple[dict[str, object], object]:
    row = await Family.select(Family.status).where(Family.id == family_id).first()
    status = "closed" if row and row["status"] == "attached" else "attached"
    body = {
        "version": await _version(family_id),
        "status": status,
        "on": "2014-01-02",
        "reason": "outcomes_met",
    }
    return {}, body


async def _add_member(family_id: int) -> tuple[dict[str, object], object]:
    person = {
        "given_name": "New",
        "family_name": f"Child{next(_names)}",
        "date_of_birth": "2010-01-01",
    }
    return {}, {"role": "child", "person": person}


async def _leave(family_id: int) -> tuple[dict[str, object], object]:
    membership_id, _ = await _new_member(family_id)
    return {"membership_id": membership_id}, {"version": 1, "left_on": "2014-01-02"}


async def _update_person(family_id: int) -> tuple[dict[str, object], object]:
    _, person_id = await _new_member(family_id)
    return {"person_id": person_id}, {"version": 1, "given_name": "Corrected"}


async def _allocate(family_id: int) -> tuple[dict[str, object], object]:
    return {}, {"key_worker": await _other_key_worker(family_id), "reason": "balancing"}


async def _note(family_id: int) -> tuple[dict[str, object], object]:
    return {}, {"occurred_on": "2014-01-02", "body": "Home visit.", "attendees": "Mum"}


async def _programme_of(family_id: int) -> int:
    row = await Family.select(Family.programme).where(Family.id == family_id).first()
    assert row is not None
    return int(row["programme"])


async def _assessment(family_id: int, *, completed: bool) -> str:
    ref = f"A{next(_names)}"
    await Assessment.insert(
        Assessment(
            programme=await _programme_of(family_id),
            family=family_id,
            assessment_ref=ref,
            started_on=dt.date(2014, 1, 2),
            completed_on=dt.date(2014, 1, 9) if completed else None,
        )
    )
    return ref


async def _consent(family_id: int) -> int:
    """Consent given by a new member of the family: its id."""
    _, person_id = await _new_member(family_id)
    recorder = await User.select(User.id).first()
    assert recorder is not None
    inserted = await Consent.insert(
        Consent(
            family=family_id,
            given_by=person_id,
            given_on=dt.date(2014, 1, 2),
            method="in_person",
            agencies="school",
            recorded_by=recorder["id"],
            recorded_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Consent.id)
    return int(inserted[0]["id"])


async def _complete(family_id: int) -> tuple[dict[str, object], object]:
    ref = await _assessment(family_id, completed=False)
    await _consent(family_id)  # an assessment completes only with current consent
    return {"assessment_ref": ref}, {"version": 1, "completed_on": "2014-01-10"}


async def _record_consent(family_id: int) -> tuple[dict[str, object], object]:
    _, person_id = await _new_member(family_id)
    body = {"person_id": person_id, "given_on": "2014-01-02", "method": "phone"}
    return {}, {**body, "agencies": ["health"]}


async def _withdraw_consent(family_id: int) -> tuple[dict[str, object], object]:
    return {"consent_id": await _consent(family_id)}, {"version": 1, "withdrawn_on": "2014-01-03"}


async def _page_consent(family_id: int) -> tuple[dict[str, object], object]:
    _, body = await _record_consent(family_id)
    return {}, {**body, "agencies": "health"}  # type: ignore[dict-item]


MEETING = {
    "kind": "family_network",
    "attendees": "Mum, Nan and the school's family worker",
    "agreed_plan": "Nan takes the children to school on Mondays.",
}


async def _meeting(family_id: int) -> tuple[dict[str, object], object]:
    _, person_id = await _new_member(family_id)
    dates = {"held_on": "2014-01-02", "next_on": "2014-02-02"}
    return {}, {**MEETING, **dates, "members_present": [person_id]}


async def _page_meeting(family_id: int) -> tuple[dict[str, object], object]:
    """The meeting form as a browser posts it: three fields a date, one person ticked."""
    _, person_id = await _new_member(family_id)
    held = {"held_on-day": "2", "held_on-month": "1", "held_on-year": "2014"}
    return {}, {**MEETING, **held, "members_present": str(person_id)}


async def _draft(family_id: int) -> tuple[dict[str, object], object]:
    return {"assessment_ref": await _assessment(family_id, completed=False)}, None


async def _content(family_id: int) -> tuple[dict[str, object], object]:
    ref = await _assessment(family_id, completed=False)
    return {"assessment_ref": ref}, {"version": 1, "family_view": "We want help with school."}


async def _sign_off(family_id: int) -> tuple[dict[str, object], object]:
    return {"assessment_ref": await _assessment(family_id, completed=True)}, {"version": 1}


async def _outcome(family_id: int) -> tuple[dict[str, object], object]:
    ref = f"N{next(_names)}"
    await Need.insert(
        Need(
            programme=await _programme_of(family_id),
            family=family_id,
            need_ref=ref,
            headline="education",
            identified_on=dt.date(2014, 1, 2),
        )
    )
    return {"need_ref": ref}, {"version": 1, "outcome": "achieved", "outcome_on": "2014-03-01"}


async def _plan(family_id: int) -> tuple[int, int, int]:
    """A plan with one goal and one action: their ids."""
    author = await User.select(User.id).first()
    assert author is not None
    plan = await FamilyPlan.insert(
        FamilyPlan(family=family_id, created_by=author["id"])
    ).returning(FamilyPlan.id)
    goal = await PlanGoal.insert(
        PlanGoal(plan=plan[0]["id"], description="Attend school")
    ).returning(PlanGoal.id)
    action = await PlanAction.insert(
        PlanAction(goal=goal[0]["id"], description="Call the school")
    ).returning(PlanAction.id)
    return plan[0]["id"], goal[0]["id"], action[0]["id"]


async def _plan_update(family_id: int) -> tuple[dict[str, object], object]:
    plan, _, _ = await _plan(family_id)
    return {"plan_id": plan}, {"version": 1, "status": "active"}


async def _goal(family_id: int) -> tuple[dict[str, object], object]:
    plan, _, _ = await _plan(family_id)
    return {"plan_id": plan}, {"description": "Keep the tenancy"}


async def _action(family_id: int) -> tuple[dict[str, object], object]:
    plan, goal, _ = await _plan(family_id)
    return {"plan_id": plan, "goal_id": goal}, {"description": "Visit", "due_on": "2014-02-01"}


async def _action_update(family_id: int) -> tuple[dict[str, object], object]:
    plan, _, action = await _plan(family_id)
    return {"plan_id": plan, "action_id": action}, {"version": 1, "completed_on": "2014-01-05"}


async def _review(family_id: int) -> tuple[dict[str, object], object]:
    plan, goal, _ = await _plan(family_id)
    body = {
        "reviewed_on": "2014-01-05",
        "summary": "Good progress",
        "next_review_on": "2014-04-05",
        "progress": [{"goal_id": goal, "rating": "some"}],
    }
    return {"plan_id": plan}, body


async def _closure(family_id: int) -> tuple[dict[str, object], object]:
    """A closure of the family to sign off (the family row itself is left as it is)."""
    closure = await FamilyStatusChange.insert(
        FamilyStatusChange(
            family=family_id,
            status="closed",
            changed_on=dt.date(2014, 1, 2),
            reason="outcomes_met",
            changed_at=dt.datetime(2014, 1, 2, tzinfo=dt.UTC),
        )
    ).returning(FamilyStatusChange.id)
    return {"closure_id": closure[0]["id"]}, None


async def _send_back(family_id: int) -> tuple[dict[str, object], object]:
    """A completed assessment to send back, with why."""
    params, _ = await _sign_off(family_id)
    return params, {"version": 1, "reason": "The child's voice is missing."}


async def _send_back_closure(family_id: int) -> tuple[dict[str, object], object]:
    """A closure to send back, with why."""
    params, _ = await _closure(family_id)
    return params, {"reason": "Two needs have no outcome yet."}


def _fixed(body: object) -> Example:
    async def example(family_id: int) -> tuple[dict[str, object], object]:
        return {}, body

    return example


async def _asb(family_id: int) -> tuple[dict[str, object], object]:
    """A household ASB incident, new each time."""
    body = {"asb_ref": f"ASB-{next(_names)}", "incident_date": "2014-01-02", "kind": "incident"}
    return {"kind": "asb"}, body


FAMILY = "/api/v1/families/{family_id:int}"
# (method, route template) -> how to make a valid request for a given family.
EXAMPLES: dict[tuple[str, str], Example] = {
    ("GET", FAMILY): _no_body,
    ("PATCH", FAMILY): _update,
    ("POST", FAMILY + "/status"): _status,
    ("GET", FAMILY + "/members"): _no_body,
    ("POST", FAMILY + "/members"): _add_member,
    ("POST", FAMILY + "/members/{membership_id:int}/leave"): _leave,
    ("PATCH", FAMILY + "/people/{person_id:int}"): _update_person,
    ("GET", FAMILY + "/allocations"): _no_body,
    ("PUT", FAMILY + "/allocation"): _allocate,
    ("GET", FAMILY + "/notes"): _no_body,
    ("POST", FAMILY + "/notes"): _note,
    ("GET", FAMILY + "/assessments"): _no_body,
    ("POST", FAMILY + "/assessments"): _fixed({"started_on": "2014-01-02"}),
    ("POST", FAMILY + "/assessments/{assessment_ref:str}/complete"): _complete,
    ("PUT", FAMILY + "/assessments/{assessment_ref:str}/content"): _content,
    ("POST", FAMILY + "/assessments/{assessment_ref:str}/sign-off"): _sign_off,
    ("GET", FAMILY + "/needs"): _no_body,
    ("POST", FAMILY + "/needs"): _fixed({"headline": "education", "identified_on": "2014-01-02"}),
    ("POST", FAMILY + "/needs/{need_ref:str}/outcome"): _outcome,
    ("GET", FAMILY + "/plans"): _no_body,
    ("POST", FAMILY + "/plans"): _fixed({"goals": [{"description": "Attend school"}]}),
    ("PATCH", FAMILY + "/plans/{plan_id:int}"): _plan_update,
    ("POST", FAMILY + "/plans/{plan_id:int}/goals"): _goal,
    ("POST", FAMILY + "/plans/{plan_id:int}/goals/{goal_id:int}/actions"): _action,
    ("PATCH", FAMILY + "/plans/{plan_id:int}/actions/{action_id:int}"): _action_update,
    ("POST", FAMILY + "/plans/{plan_id:int}/reviews"): _review,
    ("GET", FAMILY + "/evidence"): _no_body,
    ("POST", FAMILY + "/evidence/{kind:str}"): _asb,
    ("GET", FAMILY + "/timeline"): _no_body,
    ("GET", FAMILY + "/consents"): _no_body,
    ("GET", FAMILY + "/contacts"): _no_body,
    ("POST", FAMILY + "/consents"): _record_consent,
    ("POST", FAMILY + "/consents/{consent_id:int}/withdraw"): _withdraw_consent,
    ("GET", FAMILY + "/verdict"): _no_body,
    ("POST", FAMILY + "/closures/{closure_id:int}/sign-off"): _closure,
}


async def _page_outcome_form(family_id: int) -> tuple[dict[str, object], object]:
    params, _ = await _outcome(family_id)
    return params, None


async def _page_asb(family_id: int) -> tuple[dict[str, object], object]:
    _, body = await _asb(family_id)
    return {}, {"evidence_kind": "asb", **body}  # type: ignore[dict-item]


async def _page_review_by_number(family_id: int) -> tuple[dict[str, object], object]:
    plan, goal, _ = await _plan(family_id)
    body = {
        "reviewed_on": "2014-01-05",
        "summary": "Good",
        "progress-1-goal_id": goal,
        "progress-1-rating": "some",
    }
    return {"plan_id": plan}, body


async def _open_family(family_id: int) -> None:
    """The family open again (an earlier example may have closed it), as page forms are
    offered only for an open family."""
    await Family.update(
        {Family.status: "attached", Family.closed_on: None, Family.closure_reason: None}
    ).where(Family.id == family_id, Family.status == "closed")


async def _closed_family(family_id: int) -> None:
    await Family.update(
        {
            Family.status: "closed",
            Family.closed_on: dt.date(2014, 1, 2),
            Family.closure_reason: "outcomes_met",
        }
    ).where(Family.id == family_id, Family.status != "closed")


def _open(example: Example) -> Example:
    async def on_an_open_family(family_id: int) -> tuple[dict[str, object], object]:
        await _open_family(family_id)
        return await example(family_id)

    return on_an_open_family


async def _plan_ids(family_id: int) -> tuple[dict[str, object], object]:
    plan, _, _ = await _plan(family_id)
    return {"plan_id": plan}, None


async def _goal_ids(family_id: int) -> tuple[dict[str, object], object]:
    plan, goal, _ = await _plan(family_id)
    return {"plan_id": plan, "goal_id": goal}, None


async def _page_goal(family_id: int) -> tuple[dict[str, object], object]:
    plan, _, _ = await _plan(family_id)
    return {"plan_id": plan}, {"description": "Keep the tenancy", "need_ref": "_none"}


async def _mark_done(family_id: int) -> tuple[dict[str, object], object]:
    plan, _, action = await _plan(family_id)
    return {"plan_id": plan, "action_id": action}, {"version": 1}


async def _close(family_id: int) -> tuple[dict[str, object], object]:
    await _open_family(family_id)
    body = {"version": await _version(family_id), "reason": "outcomes_met", "on": "2014-01-02"}
    return {}, body


async def _reopen(family_id: int) -> tuple[dict[str, object], object]:
    await _closed_family(family_id)
    return {}, {"version": await _version(family_id), "on": "2014-01-03"}


async def _closed(family_id: int) -> tuple[dict[str, object], object]:
    await _closed_family(family_id)
    return {}, None


async def _page_member(family_id: int) -> tuple[dict[str, object], object]:
    """A new person for the household's add-member form (a name nobody else has)."""
    body = {
        "given_name": "New",
        "family_name": f"Child{next(_names)}",
        "date_of_birth": "2010-01-01",
        "role": "child",
    }
    return {}, body


async def _page_correct(family_id: int) -> tuple[dict[str, object], object]:
    _, person_id = await _new_member(family_id)
    return {"person_id": person_id}, {"version": 1, "given_name": "Corrected"}


# The pages: the same session checks, through the cookie and forms a browser sends.
PAGE = "/families/{family_id:int}"
SECTION_PAGES = (
    "household",
    "consent",
    "assessments",
    "plan",
    "meetings",
    "notes",
    "evidence",
    "result",
)
EXAMPLES |= {
    ("GET", PAGE): _no_body,
    **{("GET", PAGE + f"/{section}"): _no_body for section in SECTION_PAGES},
    ("GET", PAGE + "/notes/new"): _no_body,
    ("GET", PAGE + "/consent/new"): _no_body,
    ("POST", PAGE + "/consent/new"): _page_consent,
    ("GET", PAGE + "/consents/{consent_id:int}/withdraw"): _withdraw_consent,
    ("POST", PAGE + "/consents/{consent_id:int}/withdraw"): _withdraw_consent,
    ("GET", FAMILY + "/meetings"): _no_body,
    ("POST", FAMILY + "/meetings"): _open(_meeting),
    ("GET", PAGE + "/meetings/new"): _open(_no_body),
    ("POST", PAGE + "/meetings/new"): _open(_page_meeting),
    ("GET", PAGE + "/evidence-fields"): _no_body,
    ("GET", PAGE + "/evidence/new"): _no_body,
    ("POST", PAGE + "/notes"): _note,
    ("GET", PAGE + "/household/new"): _open(_no_body),
    ("POST", PAGE + "/household"): _open(_page_member),
    ("GET", PAGE + "/household/known"): _open(_no_body),
    ("POST", PAGE + "/household/known"): _open(_fixed({"name": "Matrix"})),
    ("GET", PAGE + "/household/{membership_id:int}/leave"): _open(_leave),
    ("POST", PAGE + "/household/{membership_id:int}/leave"): _open(_leave),
    ("GET", PAGE + "/people/{person_id:int}/edit"): _open(_update_person),
    ("POST", PAGE + "/people/{person_id:int}"): _open(_page_correct),
    ("GET", PAGE + "/assessments/new"): _open(_no_body),
    ("POST", PAGE + "/assessments/new"): _open(_fixed({"started_on": "2014-01-02"})),
    ("GET", PAGE + "/assessments/{assessment_ref:str}"): _draft,
    ("GET", PAGE + "/assessments/{assessment_ref:str}/edit"): _open(_draft),
    ("POST", PAGE + "/assessments/{assessment_ref:str}/edit"): _open(_content),
    ("GET", PAGE + "/assessments/{assessment_ref:str}/complete"): _open(_draft),
    ("POST", PAGE + "/assessments/{assessment_ref:str}/complete"): _open(_complete),
    ("GET", PAGE + "/needs/new"): _open(_no_body),
    ("POST", PAGE + "/needs/new"): _open(
        _fixed({"headline": "education", "identified_on": "2014-01-02"})
    ),
    ("GET", PAGE + "/needs/{need_ref:str}/outcome"): _open(_page_outcome_form),
    ("POST", PAGE + "/needs/{need_ref:str}/outcome"): _outcome,
    ("GET", PAGE + "/plan/new"): _open(_no_body),
    ("POST", PAGE + "/plans"): _fixed({}),
    ("GET", PAGE + "/plans/{plan_id:int}/goals/new"): _open(_plan_ids),
    ("POST", PAGE + "/plans/{plan_id:int}/goals"): _page_goal,
    ("GET", PAGE + "/plans/{plan_id:int}/goals/{goal_id:int}/actions/new"): _open(_goal_ids),
    ("POST", PAGE + "/plans/{plan_id:int}/goals/{goal_id:int}/actions"): _action,
    ("POST", PAGE + "/plans/{plan_id:int}/actions/{action_id:int}/done"): _mark_done,
    ("GET", PAGE + "/plans/{plan_id:int}/reviews/new"): _open(_plan_ids),
    ("POST", PAGE + "/plans/{plan_id:int}/reviews"): _page_review_by_number,
    ("GET", PAGE + "/close"): _open(_no_body),
    ("POST", PAGE + "/close"): _close,
    ("GET", PAGE + "/reopen"): _closed,
    ("POST", PAGE + "/reopen"): _reopen,
    ("POST", PAGE + "/evidence"): _page_asb,
    ("GET", PAGE + "/allocation/new"): _no_body,
    ("POST", PAGE + "/allocation"): _allocate,
    ("POST", PAGE + "/assessments/{assessment_ref:str}/sign-off"): _sign_off,
    ("POST", PAGE + "/closures/{closure_id:int}/sign-off"): _closure,
    ("GET", PAGE + "/assessments/{assessment_ref:str}/sign-off"): _sign_off,
    ("GET", PAGE + "/assessments/{assessment_ref:str}/send-back"): _sign_off,
    ("POST", PAGE + "/assessments/{assessment_ref:str}/send-back"): _send_back,
    ("GET", PAGE + "/closures/{closure_id:int}/sign-off"): _closure,
    ("GET", PAGE + "/closures/{closure_id:int}/send-back"): _closure,
    ("POST", PAGE + "/closures/{closure_id:int}/send-back"): _send_back_closure,
    ("POST", FAMILY + "/assessments/{assessment_ref:str}/send-back"): _send_back,
    ("POST", FAMILY + "/closures/{closure_id:int}/send-back"): _send_back_closure,
}


async def send(
    client: httpx.AsyncClient, world: World, user: str, method: str, path: str, body: object
) -> httpx.Response:
    """The request as its client sends it: JSON and a bearer token to the API, a form with
    the session cookie and CSRF token to a page."""
    if path.startswith("/api/"):
        return await client.request(method, path, json=body, headers=world.headers(user))
    form = {name: str(value) for name, value in (body or {}).items()}  # type: ignore[attr-defined]
    return await client.request(method, path, data=form, headers=world.page_headers(user))


async def footprint(family_id: int) -> tuple[object, ...]:
    """What a write to the family would change."""
    return (
        await _version(family_id),
        await CaseNote.count().where(CaseNote.family == family_id),
        await Membership.count().where(Membership.family == family_id),
        await Allocation.count().where(Allocation.family == family_id),
        await FamilyStatusChange.count().where(FamilyStatusChange.family == family_id),
        await FamilyStatusChange.count().where(
            FamilyStatusChange.family == family_id, FamilyStatusChange.signed_off_at.is_not_null()
        ),
        str(await Person.select(Person.given_name, Person.version).order_by(Person.id)),
        await Assessment.count().where(Assessment.family == family_id),
        await Need.count().where(Need.family == family_id),
        str(
            await FamilyPlan.select(FamilyPlan.status, FamilyPlan.version)
            .where(FamilyPlan.family == family_id)
            .order_by(FamilyPlan.id)
        ),
        await PlanGoal.count().where(PlanGoal.plan.family == family_id),
        str(
            await PlanAction.select(PlanAction.completed_on, PlanAction.version)
            .where(PlanAction.goal.plan.family == family_id)
            .order_by(PlanAction.id)
        ),
        await PlanReview.count().where(PlanReview.plan.family == family_id),
        await AntisocialBehaviour.count().where(AntisocialBehaviour.family == family_id),
        str(
            await Consent.select(Consent.id, Consent.version)
            .where(Consent.family == family_id)
            .order_by(Consent.id)
        ),
        await FamilyMeeting.count().where(FamilyMeeting.family == family_id),
    )


def family_routes(app: Litestar) -> list[tuple[str, str, str]]:
    """(method, path template, 'read' or 'write') for every family-level route."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            access = route_access(handler)
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                if "{family_id" in route.path:
                    assert access.family, f"{method} {route.path} takes a family but no scope"
                if access.family:
                    found.append((method, route.path, access.family))
    return found


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await client.get("/sign-in")  # the app issues a CSRF token in a cookie
    world.csrf = str(client.cookies["csrftoken"])
    client.cookies.clear()
    return world


def test_every_family_route_has_an_example(app: Litestar) -> None:
    """A new family route must be added to this matrix before the suite passes."""
    routes = family_routes(app)
    assert routes, "no family-level routes found"
    missing = [(m, p) for m, p, _ in routes if (m, p) not in EXAMPLES]
    assert not missing, f"add example requests for {missing}"


@pytest.mark.parametrize("user", sorted(USERS))
async def test_no_cross_caseload_access(
    app: Litestar, client: httpx.AsyncClient, world: World, user: str
) -> None:
    """Own caseload: allowed by role. Other caseload: 404 (or 403 by role). Never a write."""
    roles, _, _ = USERS[user]
    own, other = OWN_AND_OTHER[user]
    for method, template, action in family_routes(app):
        access = route_access_of(app, method, template)
        role_allows = bool(set(roles) & set(access.roles or ()))
        for which, family in (("own", own), ("other", other)):
            family_id = world.families[family]
            params, body = await EXAMPLES[(method, template)](family_id)
            path = template.replace("{family_id:int}", str(family_id))
            for name, value in params.items():
                kind = "int" if isinstance(value, int) else "str"
                path = path.replace(f"{{{name}:{kind}}}", str(value))
            before = await footprint(family_id)
            response = await send(client, world, user, method, path, body)
            label = f"{user} {method} {template} on {which} caseload"
            if not role_allows:
                assert response.status_code == 403, label
            elif which == "other":
                assert response.status_code == 404, label
                assert str(family_id) not in response.headers.get("location", ""), label
            elif template.startswith("/api/"):
                assert 200 <= response.status_code < 300, f"{label}: {response.text}"
            else:
                # A page answers 200; its form, a redirect (303) to the page showing the result;
                # the evidence fields asked for without HTMX, a redirect to the family page.
                # A search posted (so that no name is in an address) answers with its results.
                fields = template.endswith("evidence-fields")
                search = template.endswith("/household/known")
                expected = {"GET": 302 if fields else 200, "POST": 200 if search else 303}[method]
                assert response.status_code == expected, f"{label}: {response.text}"
                assert not response.headers.get("location", "").startswith("/sign-in"), label
            if which == "other" or not role_allows or action == "read":
                assert await footprint(family_id) == before, f"{label} changed the family"


def route_access_of(app: Litestar, method: str, template: str) -> Access:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == template:
            for handler in route.route_handlers:
                if method in handler.http_methods:
                    return route_access(handler)
    raise AssertionError(f"no route {method} {template}")


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("kw_own", {"own", "shared"}),
        ("kw_other", {"other_team"}),
        ("kw_spare", {"shared"}),
        ("tm", {"own", "unallocated", "shared"}),
        ("pm", {"own", "other_team", "unallocated", "shared"}),
        ("auditor", {"own", "other_team", "unallocated", "shared"}),
        ("fd", {"own", "other_team", "unallocated", "shared"}),
    ],
)
async def test_family_list_follows_the_caseload(
    client: httpx.AsyncClient, world: World, user: str, visible: set[str]
) -> None:
    """The list shows exactly the families in the caller's scope."""
    response = await client.get("/api/v1/families", headers=world.headers(user))
    assert response.status_code == 200
    refs = {f["family_ref"] for f in response.json()["families"]}
    assert refs == {f"F-{name}" for name in visible}


async def test_admin_sees_no_family_data(client: httpx.AsyncClient, world: World) -> None:
    """An administrator without a programme role cannot list families."""
    response = await client.get("/api/v1/families", headers=world.headers("admin"))
    assert response.status_code == 403


async def test_sharing_a_family_opens_it_to_another_worker(
    client: httpx.AsyncClient, world: World
) -> None:
    """A family shared with a key worker is in their caseload too, until revoked."""
    import datetime as dt

    from connecting_families.families.tables import FamilyShare

    path = f"/api/v1/families/{world.families['own']}"
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 404
    await FamilyShare.insert(
        FamilyShare(family=world.families["own"], user=world.users["kw_other"])
    )
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 200
    await FamilyShare.update({FamilyShare.revoked_at: dt.datetime.now(dt.UTC)}).where(
        FamilyShare.family == world.families["own"]
    )
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 404


async def test_reallocation_moves_access(client: httpx.AsyncClient, world: World) -> None:
    """When a family is reallocated, the old key worker loses it and the new one gains it."""
    import datetime as dt

    from connecting_families.families.tables import Allocation

    family = world.families["own"]
    now = dt.datetime.now(dt.UTC)
    await Allocation.update({Allocation.ended_at: now}).where(Allocation.family == family)
    await Allocation.insert(
        Allocation(family=family, key_worker=world.users["kw_other"], started_at=now)
    )
    path = f"/api/v1/families/{family}"
    assert (await client.get(path, headers=world.headers("kw_own"))).status_code == 404
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 200


async def test_unknown_records_inside_a_family_are_not_found(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    """Every family route with a second id answers 404 when that id is not the family's."""
    checked = 0
    for method, template, _ in family_routes(app):
        params, body = await EXAMPLES[(method, template)](world.families["own"])
        if not params:
            continue
        path = template.replace("{family_id:int}", str(world.families["own"]))
        for name, value in params.items():
            kind = "int" if isinstance(value, int) else "str"
            path = path.replace(f"{{{name}:{kind}}}", "999999" if kind == "int" else "NOPE")
        user = "tm" if template.endswith(("sign-off", "send-back")) else "pm"
        response = await send(client, world, user, method, path, body)
        assert response.status_code == 404, f"{method} {template}: {response.text}"
        checked += 1
    assert checked >= 8


# The claim matrix: every claim route x every role x own and other programme.
#
# Claims belong to programme managers and auditors of the programme (`access.policy`): an
# administrator is refused every claim route, and nobody reaches another programme's claims.

CLAIM_AS_OF = dt.date(2014, 6, 1)


async def _claim(
    world: World, code: str, status: str = "draft", **line: object
) -> tuple[int, int]:
    """A claim of the programme with one line, for its first family, made by the manager."""
    number = next(_names)
    now = dt.datetime.now(dt.UTC)
    sampled = status != "draft"
    claim = await Claim.insert(
        Claim(
            programme=world.programmes[code],
            claim_ref=f"{code}-C{number}",
            as_of=CLAIM_AS_OF,
            status=status,
            ruleset="tf2012",
            ruleset_config="{}",
            near_misses="[]",
            prepared_by=world.users["pm"],
            prepared_at=now,
            sample_spec="1" if sampled else None,
            sample_seed=1 if sampled else None,
            sample_drawn_at=now if sampled else None,
            submitted_at=now if status == "submitted" else None,
        )
    ).returning(Claim.id)
    family = world.families["own" if code == "P1" else "other_programme"]
    claim_line = await ClaimLine.insert(
        ClaimLine(
            claim=claim[0]["id"],
            family=family,
            route=f"route-{number}",
            amount_pence=10_000,
            ruleset="tf2012",
            verdict="{}",
            evidence_sha256="0" * 64,
            sampled=sampled,
            **line,
        )
    ).returning(ClaimLine.id)
    return claim[0]["id"], claim_line[0]["id"]


ClaimExample = Callable[[World, str], Awaitable[tuple[dict[str, object], object]]]


def _in_claim(
    status: str, body: object = None, *, line: bool = False, **kw: object
) -> ClaimExample:
    """A request to a new claim in `status` (and to its line, with `line`)."""

    async def example(world: World, code: str) -> tuple[dict[str, object], object]:
        extra = dict(kw)
        if extra.pop("signed", False):
            extra |= {
                "signed_off_by": world.users["auditor"],
                "signed_off_at": dt.datetime.now(dt.UTC),
            }
        claim_id, line_id = await _claim(world, code, status, **extra)
        params: dict[str, object] = {"claim_id": claim_id}
        if line:
            params["line_id"] = line_id
        return params, body

    return example


def _of_programme(body: object = None) -> ClaimExample:
    async def example(world: World, code: str) -> tuple[dict[str, object], object]:
        return {"code": code}, body

    return example


async def _forecast(world: World, code: str) -> tuple[dict[str, object], object]:
    """The programme's claims forecast, to a claim window a year from now."""
    ahead = dt.date.today() + dt.timedelta(days=365)
    await ClaimWindow.insert(
        ClaimWindow(
            programme=world.programmes[code],
            name="Next",
            opens_on=ahead,
            closes_on=ahead,
            as_of=ahead,
        )
    )
    return {"code": code}, None


def _with_query(body: object) -> ClaimExample:
    """A request to an open query by the auditor about the line of a new sampled claim."""

    async def example(world: World, code: str) -> tuple[dict[str, object], object]:
        claim_id, line_id = await _claim(world, code, "sampled")
        query = await ClaimLineQuery.insert(
            ClaimLineQuery(
                claim=claim_id,
                line=line_id,
                raised_by=world.users["auditor"],
                raised_at=dt.datetime.now(dt.UTC),
                reason="Why?",
            )
        ).returning(ClaimLineQuery.id)
        return {"claim_id": claim_id, "query_id": query[0]["id"]}, body

    return example


async def _with_window(world: World, code: str) -> tuple[dict[str, object], object]:
    """A claim window of the programme, open today."""
    [row] = await ClaimWindow.insert(
        ClaimWindow(
            programme=world.programmes[code],
            name=f"Open {next(_names)}",
            opens_on=dt.date.today(),
            closes_on=dt.date.today(),
            as_of=CLAIM_AS_OF,
        )
    ).returning(ClaimWindow.id)
    return {"code": code, "window_id": row["id"]}, None


async def _window_ahead(world: World, code: str) -> tuple[dict[str, object], object]:
    """The forecast page's window: one more, a year and a day from now (names are unique)."""
    ahead = dt.date.today() + dt.timedelta(days=366)
    await ClaimWindow.insert(
        ClaimWindow(
            programme=world.programmes[code],
            name="Next but one",
            opens_on=ahead,
            closes_on=ahead,
            as_of=ahead,
        )
    )
    return {"code": code}, None


WINDOW = {
    "name": "Spring",
    "opens_on": "2014-05-01",
    "closes_on": "2014-06-30",
    "as_of": "2014-06-01",
}
CLAIMS = "/api/v1/claims/{claim_id:int}"
PROGRAMME = "/api/v1/programmes/{code:str}"
CLAIM_EXAMPLES: dict[tuple[str, str], ClaimExample] = {
    ("POST", PROGRAMME + "/claims"): _of_programme({"as_of": CLAIM_AS_OF.isoformat()}),
    ("GET", PROGRAMME + "/claims"): _of_programme(),
    ("POST", PROGRAMME + "/claim-windows"): _of_programme(WINDOW),
    ("GET", PROGRAMME + "/claim-windows"): _of_programme(),
    ("POST", PROGRAMME + "/claim-windows/{window_id:int}/close"): _with_window,
    ("GET", PROGRAMME + "/forecast"): _forecast,
    ("GET", CLAIMS): _in_claim("draft"),
    ("POST", CLAIMS + "/lines/{line_id:int}/exclude"): _in_claim(
        "draft", {"reason": "x"}, line=True
    ),
    ("POST", CLAIMS + "/sample"): _in_claim("draft", {"count": 1, "seed": 3}),
    ("POST", CLAIMS + "/lines/{line_id:int}/sign-off"): _in_claim("sampled", line=True),
    ("POST", CLAIMS + "/submit"): _in_claim("sampled", signed=True),
    ("POST", CLAIMS + "/decision"): _in_claim("submitted", {"rejections": []}, signed=True),
    ("POST", CLAIMS + "/withdraw"): _in_claim("draft", {"reason": "late"}),
    ("GET", CLAIMS + "/export.csv"): _in_claim("draft"),
    ("POST", CLAIMS + "/verify"): _in_claim("draft"),
    # The pages.
    ("GET", "/programmes/{code:str}/claims"): _of_programme(),
    ("POST", "/programmes/{code:str}/claims"): _of_programme({"as_of": CLAIM_AS_OF.isoformat()}),
    ("GET", "/claims/{claim_id:int}"): _in_claim("draft"),
    ("POST", "/claims/{claim_id:int}/lines/{line_id:int}/exclude"): _in_claim(
        "draft", {"reason": "x"}, line=True
    ),
    ("POST", "/claims/{claim_id:int}/sample"): _in_claim("draft", {"count": 1}),
    ("POST", "/claims/{claim_id:int}/lines/{line_id:int}/sign-off"): _in_claim(
        "sampled", line=True
    ),
    ("POST", "/claims/{claim_id:int}/submit"): _in_claim("sampled", signed=True),
    ("GET", "/claims/{claim_id:int}/export.csv"): _in_claim("draft"),
    # Internal audit's line pages and queries.
    ("GET", CLAIMS + "/queries"): _in_claim("draft"),
    ("POST", CLAIMS + "/lines/{line_id:int}/queries"): _in_claim(
        "sampled", {"reason": "x"}, line=True
    ),
    ("POST", CLAIMS + "/queries/{query_id:int}/answer"): _with_query({"answer": "x"}),
    ("GET", "/claims/{claim_id:int}/lines/{line_id:int}"): _in_claim("sampled", line=True),
    ("POST", "/claims/{claim_id:int}/lines/{line_id:int}/audit"): _in_claim(
        "sampled", {"decision": "sign_off"}, line=True
    ),
    ("POST", "/claims/{claim_id:int}/queries/{query_id:int}/answer"): _with_query({"answer": "x"}),
    ("GET", "/claims/{claim_id:int}/verify"): _in_claim("draft"),
    ("GET", "/programmes/{code:str}/claim-windows"): _of_programme(),
    ("GET", "/programmes/{code:str}/claim-windows/new"): _of_programme(),
    ("POST", "/programmes/{code:str}/claim-windows"): _of_programme(
        {**WINDOW, "name": "Spring, by the page"}
    ),
    ("GET", "/programmes/{code:str}/claim-windows/{window_id:int}/close"): _with_window,
    ("POST", "/programmes/{code:str}/claim-windows/{window_id:int}/close"): _with_window,
    ("GET", "/claims/{claim_id:int}/submit"): _in_claim("sampled", signed=True),
    ("GET", "/claims/{claim_id:int}/decision"): _in_claim("submitted", signed=True),
    ("POST", "/claims/{claim_id:int}/decision"): _in_claim(
        "submitted", {"outcome": "accepted"}, signed=True
    ),
    ("GET", "/claims/{claim_id:int}/withdraw"): _in_claim("draft"),
    ("POST", "/claims/{claim_id:int}/withdraw"): _in_claim("draft", {"reason": "late"}),
    ("GET", "/programmes/{code:str}/forecast"): _window_ahead,
}
# Preparing needs a newly claimable result (or a result to reverse, as an accepted line of
# these made-up claims is), which these programmes may have none of: the refusal says so,
# which only a caller who reached the programme's claims is told.
NOTHING_TO_CLAIM = {
    ("POST", PROGRAMME + "/claims"),
    ("POST", "/programmes/{code:str}/claims"),
}


def claim_routes(app: Litestar) -> list[tuple[str, str, Access]]:
    """(method, path template, access) for every route that reads or changes claims."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            access = route_access(handler)
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                if "claim" in route.path:
                    assert access.claims, f"{method} {route.path} is about claims, not marked so"
                if access.claims:
                    found.append((method, route.path, access))
    return found


async def claim_footprint(programme_id: int) -> tuple[object, ...]:
    """What a claim route could change in the programme."""
    return (
        str(
            await Claim.select(
                Claim.id, Claim.status, Claim.sample_seed, Claim.withdrawn_at, Claim.decided_at
            )
            .where(Claim.programme == programme_id)
            .order_by(Claim.id)
        ),
        str(
            await ClaimLine.select(
                ClaimLine.id,
                ClaimLine.is_live,
                ClaimLine.sampled,
                ClaimLine.signed_off_by,
                ClaimLine.rejected_reason,
            )
            .where(ClaimLine.claim.programme == programme_id)
            .order_by(ClaimLine.id)
        ),
        await ClaimWindow.count().where(ClaimWindow.programme == programme_id),
        str(
            await ClaimLineQuery.select(ClaimLineQuery.id, ClaimLineQuery.answered_at)
            .where(ClaimLineQuery.claim.programme == programme_id)
            .order_by(ClaimLineQuery.id)
        ),
        await ClaimWindow.count().where(
            ClaimWindow.programme == programme_id, ClaimWindow.closed_at.is_not_null()
        ),
    )


def test_every_claim_route_has_an_example(app: Litestar) -> None:
    """A new claim route must be added to the claim matrix before the suite passes."""
    routes = claim_routes(app)
    assert len(routes) >= 20, "claim routes not found"
    missing = [(m, p) for m, p, _ in routes if (m, p) not in CLAIM_EXAMPLES]
    assert not missing, f"add example requests for {missing}"


def test_no_claim_route_lets_an_administrator_in(app: Litestar) -> None:
    """No claim route names the administrator role (the policy refuses to declare one)."""
    assert all(ADMIN not in (access.roles or ()) for _, _, access in claim_routes(app))
    with pytest.raises(ValueError, match="programme managers and auditors only"):
        Access(roles=frozenset({ADMIN}), claims=True)


@pytest.mark.parametrize("user", sorted(USERS))
async def test_no_claim_access_outside_role_and_programme(
    client: httpx.AsyncClient, world: World, app: Litestar, user: str
) -> None:
    """Own programme: allowed by role. Other programme: 404 (or 403 by role). Never a change."""
    roles, _, _ = USERS[user]
    for method, template, access in claim_routes(app):
        role_allows = bool(set(roles) & set(access.roles or ()))
        for which, code in (("own", "P1"), ("other", "P2")):
            params, body = await CLAIM_EXAMPLES[(method, template)](world, code)
            path = template
            for name, value in params.items():
                kind = "int" if isinstance(value, int) else "str"
                path = path.replace(f"{{{name}:{kind}}}", str(value))
            before = await claim_footprint(world.programmes[code])
            response = await send(client, world, user, method, path, body)
            label = f"{user} {method} {template} in the {which} programme"
            if not role_allows:
                assert response.status_code == 403, f"{label}: {response.text}"
            elif which == "other":
                assert response.status_code == 404, f"{label}: {response.text}"
                assert "P2-C" not in response.text, label
            elif (method, template) in NOTHING_TO_CLAIM and response.status_code == 422:
                assert "No family has a newly claimable result" in response.text, label
            elif template.startswith("/api/") or method == "GET":
                assert 200 <= response.status_code < 300, f"{label}: {response.text}"
            else:
                assert response.status_code == 303, f"{label}: {response.text}"
            reads = method == "GET" or template.endswith("/verify")
            if which == "other" or not role_allows or reads:
                after = await claim_footprint(world.programmes[code])
                assert after == before, f"{label} changed the claims"


async def test_an_administrator_who_manages_a_programme_reaches_only_its_claims(
    client: httpx.AsyncClient, world: World
) -> None:
    """Being an administrator as well as P1's manager opens none of P2's claims."""
    await UserRole.insert(UserRole(user=world.users["admin"], role="programme_manager"))
    await UserProgramme.insert(
        UserProgramme(user=world.users["admin"], programme=world.programmes["P1"])
    )
    own, _ = await _claim(world, "P1")
    other, _ = await _claim(world, "P2")
    headers = world.headers("admin")
    assert (await client.get(f"/api/v1/claims/{own}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/v1/claims/{other}", headers=headers)).status_code == 404
    listing = await client.get("/api/v1/programmes/P2/claims", headers=headers)
    assert listing.status_code == 404
    withdraw = await client.post(
        f"/api/v1/claims/{other}/withdraw", json={"reason": "mine now"}, headers=headers
    )
    assert withdraw.status_code == 404
