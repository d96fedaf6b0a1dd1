"""The demo authority looks like programmes running on the day it is loaded: things due in
the coming weeks, a few overdue by days (not years), families turned around today, and
nothing dated after the day; the historic tf2012 programme keeps its own dates up to its end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connecting_families.accounts import credentials
from connecting_families.assessments.tables import Assessment
from connecting_families.audit.tables import AuditEvent
from connecting_families.consent.tables import Consent
from connecting_families.database.engine import AnyEngine
from connecting_families.demo import CODES, TF2012, demo_programmes, load_demo
from connecting_families.domain.dates import add_working_days, judging_day, today
from connecting_families.evaluation.service import EvaluationService
from connecting_families.evidence.tables import Attendance, EmploymentSpell, WorkProgrammeStart
from connecting_families.families.tables import CaseNote, Family, Membership
from connecting_families.frontdoor.tables import Contact
from connecting_families.hooks.host import PluginHost
from connecting_families.plans.tables import FamilyPlan, PlanAction, PlanReview
from connecting_families.programmes.tables import Programme

FAMILIES = 150
RUNNING = ("DEMO-TF15", "DEMO-SF22")
# "Overdue by days, not years": nothing in a running programme is later than this.
OVERDUE_AT_MOST = dt.timedelta(days=60)
SOON = dt.timedelta(weeks=6)


@pytest.fixture
async def demo(engine: AnyEngine, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """The demo loaded today; each programme's family ids."""
    # Nobody signs in here; hashing forty passwords would take most of the test's time.
    monkeypatch.setattr(credentials, "hash_password", lambda password: "unusable")
    await load_demo(engine, families=FAMILIES)
    rows = await Family.select(Family.id, Family.programme.code.as_alias("code"))
    return {code: [r["id"] for r in rows if r["code"] == code] for code in CODES}


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def test_the_running_programmes_run_on_any_day_they_are_loaded() -> None:
    """Loaded on any day of a leap year and the turn of a financial year, tf2015 and sf2022
    are running on that day and start on 1 April; tf2012 keeps its real dates."""
    for on in days(dt.date(2027, 3, 25), dt.date(2028, 4, 5)):
        historic, *running = demo_programmes(on)
        assert historic == TF2012
        for programme in running:
            assert programme.starts_on < on <= programme.ends_on, (on, programme)
            assert (programme.starts_on.month, programme.starts_on.day) == (4, 1)
            assert (on - programme.starts_on).days > 365, "a year of history at least"
    assert (TF2012.starts_on, TF2012.ends_on) == (dt.date(2012, 4, 1), dt.date(2015, 3, 31))


async def test_a_running_programme_has_actions_overdue_by_days_not_years(
    demo: dict[str, list[int]],
) -> None:
    """Each running programme has open actions overdue today, none by more than 60 days."""
    on = today()
    for code in RUNNING:
        late = await PlanAction.select(PlanAction.due_on).where(
            PlanAction.goal.plan.family.is_in(demo[code]),
            PlanAction.goal.plan.status != "closed",
            PlanAction.completed_on.is_null(),
            PlanAction.due_on < on,
        )
        assert late, code
        assert min(r["due_on"] for r in late) >= on - OVERDUE_AT_MOST, code


async def test_a_running_programme_has_reviews_due_in_the_next_weeks(
    demo: dict[str, list[int]],
) -> None:
    """Each running programme has plan reviews due in the next six weeks, and every open
    plan's next review is overdue by under six weeks if at all."""
    on = today()
    for code in RUNNING:
        plans = await FamilyPlan.select(FamilyPlan.next_review_on).where(
            FamilyPlan.family.is_in(demo[code]), FamilyPlan.status != "closed"
        )
        due = [r["next_review_on"] for r in plans]
        assert None not in due, code
        assert any(on <= day <= on + SOON for day in due), code
        assert all(on - SOON <= day <= on + SOON for day in due), code
        assert any(day < on for day in due), f"{code}: some review is overdue by days"


async def test_a_running_programme_has_assessments_due_soon(demo: dict[str, list[int]]) -> None:
    """Some assessments are still being done, due within the programme's timescale of now."""
    on = today()
    for code in RUNNING:
        open_ones = await Assessment.select(Assessment.started_on).where(
            Assessment.family.is_in(demo[code]), Assessment.completed_on.is_null()
        )
        assert open_ones, code
        for row in open_ones:
            assert add_working_days(row["started_on"], 45) >= on - OVERDUE_AT_MOST, code


async def test_a_running_programme_has_families_turned_around_today(
    engine: AnyEngine, demo: dict[str, list[int]]
) -> None:
    """Judged today, each running programme has families turned around, and some not yet."""
    evaluation = EvaluationService(engine, PluginHost())
    for code in RUNNING:
        ruleset_id = (
            await Programme.select(Programme.ruleset_id).where(Programme.code == code).first()
        )
        assert ruleset_id is not None
        ruleset = evaluation.ruleset(ruleset_id["ruleset_id"])
        verdicts = [
            verdict
            async for _, verdict in evaluation.judged(demo[code], ruleset, {}, today(), None)
        ]
        assert {v.as_of for v in verdicts} == {today()}
        turned_around = sum(v.turned_around for v in verdicts)
        assert 0 < turned_around < len(verdicts), code


async def test_nothing_is_dated_after_its_programmes_judging_day(
    demo: dict[str, list[int]],
) -> None:
    """No attachment, closure, note, review, finished action or assessment, attendance term,
    job or work programme start is dated after today, or after tf2012's end in tf2012."""
    ends = {
        r["code"]: r["ends_on"] for r in await Programme.select(Programme.code, Programme.ends_on)
    }
    assert ends[TF2012.code] == TF2012.ends_on
    for code, ids in demo.items():
        until = judging_day(ends[code], today())
        people = [
            r["person"]
            for r in await Membership.select(Membership.person).where(Membership.family.is_in(ids))
        ]
        latest = {
            "attached": Family.select(Family.attached_on.as_alias("day")).where(
                Family.id.is_in(ids)
            ),
            "closed": Family.select(Family.closed_on.as_alias("day")).where(Family.id.is_in(ids)),
            "note": CaseNote.select(CaseNote.occurred_on.as_alias("day")).where(
                CaseNote.family.is_in(ids)
            ),
            "review": PlanReview.select(PlanReview.reviewed_on.as_alias("day")).where(
                PlanReview.plan.family.is_in(ids)
            ),
            "action done": PlanAction.select(PlanAction.completed_on.as_alias("day")).where(
                PlanAction.goal.plan.family.is_in(ids)
            ),
            "assessment": Assessment.select(Assessment.completed_on.as_alias("day")).where(
                Assessment.family.is_in(ids)
            ),
            "attendance": Attendance.select(Attendance.period_end.as_alias("day")).where(
                Attendance.person.is_in(people)
            ),
            "job": EmploymentSpell.select(EmploymentSpell.start_date.as_alias("day")).where(
                EmploymentSpell.person.is_in(people)
            ),
            "work programme": WorkProgrammeStart.select(
                WorkProgrammeStart.start_date.as_alias("day")
            ).where(WorkProgrammeStart.person.is_in(people)),
        }
        for what, query in latest.items():
            dated = [r["day"] for r in await query if r["day"] is not None]
            assert dated, (code, what)
            assert max(dated) <= until, (code, what, max(dated))


async def test_most_families_gave_consent_and_some_show_the_warning(
    demo: dict[str, list[int]],
) -> None:
    """Nine in ten attached families gave consent to share, by a member of theirs, when they
    joined; the others show the pages' "no current consent" warning."""
    attached = {
        row["id"]: row["attached_on"]
        for row in await Family.select(Family.id, Family.attached_on).where(
            Family.attached_on.is_not_null()
        )
    }
    consents = await Consent.select(Consent.family, Consent.given_by, Consent.given_on)
    given = {row["family"] for row in consents}
    assert given <= set(attached)
    assert 0.8 * len(attached) < len(given) < len(attached)
    for row in consents:
        assert row["given_on"] == attached[row["family"]]
        member = await Membership.exists().where(
            Membership.family == row["family"], Membership.person == row["given_by"]
        )
        assert member


async def test_a_running_programmes_front_door_has_contacts_waiting(
    demo: dict[str, list[int]],
) -> None:
    """Each running programme's front-door practitioner has contacts to decide, one of them
    late already, recorded and audited as theirs; the historic programme has none."""
    contacts = await Contact.select(
        Contact.programme.code.as_alias("code"),
        Contact.decide_by,
        Contact.recorded_by.username.as_alias("by"),
        Contact.decision,
    )
    for code in RUNNING:
        mine = [c for c in contacts if c["code"] == code]
        assert len(mine) == 4
        assert {c["by"] for c in mine} == {f"fd.{code.split('-')[1].lower()}"}
        assert all(c["decision"] is None for c in mine)
        assert any(c["decide_by"] < today() for c in mine)
    assert not [c for c in contacts if c["code"] == TF2012.code]
    audited = await AuditEvent.count().where(AuditEvent.action == "contact.create")
    assert audited == len(contacts)
