"""What the family's summary page shows: the people by name and age, and what is due next.

A key worker reads the summary in ten seconds, so what is due is worked out here, from the
few records it rests on (`plans_due_of`, `assessments_due_of`), as a GOV.UK task list: each
task links to the section where it is done, and one overdue says so in red.
"""

from __future__ import annotations

import datetime as dt

import attrs

from connecting_families.assessments.due import AssessmentDue
from connecting_families.families.members import Member
from connecting_families.plans.due import PlansDue
from connecting_families.web.templating import day, humanise


@attrs.frozen
class Person:
    """A member of the household as the summary lists them."""

    name: str
    age: int
    role: str
    person_ref: str


def age_on(born: dt.date, on: dt.date) -> int:
    """Whole years from `born` to `on` (someone born on 29 February is a year older on
    1 March in a year without one)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def people_of(members: list[Member], on: dt.date) -> list[Person]:
    """The household's current members, eldest first."""
    current = sorted((m for m in members if m.current), key=lambda m: m.date_of_birth)
    return [
        Person(
            name=f"{m.given_name} {m.family_name}",
            age=age_on(m.date_of_birth, on),
            role=humanise(m.role),
            person_ref=m.person_ref,
        )
        for m in current
    ]


def names_of(members: list[Member]) -> dict[str, str]:
    """Each member's name by person ref, past members too (a verdict may name them)."""
    return {m.person_ref: f"{m.given_name} {m.family_name}" for m in members}


@attrs.frozen
class Task:
    """One item of the task list: what to do, where, and how urgent it is."""

    title: str
    section: str  # the section's path under the family, where the task is done
    status: str  # Overdue, Due, To do
    hint: str = ""

    @property
    def colour(self) -> str:
        """The status tag's colour class: red for overdue, blue for what is due."""
        return {"Overdue": "govuk-tag--red", "Due": "govuk-tag--blue"}.get(
            self.status, "govuk-tag--grey"
        )


# How soon a review or an assessment counts as due (rather than only planned).
DUE_WITHIN = dt.timedelta(days=14)


def _when(on: dt.date, due: dt.date, overdue_words: str, due_words: str) -> tuple[str, str]:
    if due < on:
        return "Overdue", f"{overdue_words} {day(due)}"
    return ("Due" if due - on <= DUE_WITHIN else "To do"), f"{due_words} {day(due)}"


def tasks_of(
    on: dt.date,
    plans: PlansDue,
    assessments: list[AssessmentDue],
    *,
    open_family: bool,
    consent_current: bool | None,
) -> list[Task]:
    """What is due next for the family on `on`, overdue first: consent missing, assessments
    to complete, no plan yet, the plan's review, overdue actions. A closed family has none.
    `consent_current` is None while the service does not know of consent."""
    if not open_family:
        return []
    tasks: list[Task] = []
    if consent_current is False:
        tasks.append(
            Task("Record the family's consent", "consent", "Overdue", "No current consent")
        )
    for assessment in assessments:
        status, hint = _when(on, assessment.due_by, "Was due by", "Due by")
        title = f"Complete assessment {assessment.assessment_ref}"
        tasks.append(Task(title, "assessments", status, hint))
    if not plans.has_plan:
        tasks.append(Task("Agree the family plan", "plan", "To do", "The family has no plan yet"))
    elif plans.next_review_on is None:
        tasks.append(Task("Set the date of the plan's next review", "plan", "To do"))
    else:
        status, hint = _when(on, plans.next_review_on, "Was due on", "Due on")
        tasks.append(Task("Review the plan", "plan", status, hint))
    for action in plans.overdue_actions:
        tasks.append(
            Task(action.description, "plan", "Overdue", f"Was due on {day(action.due_on)}")
        )
    order = {"Overdue": 0, "Due": 1, "To do": 2}
    return sorted(tasks, key=lambda task: order[task.status])
