"""A contact and a decision as the front door gives them, and what is wrong with each.

The service (`frontdoor.service`) checks every draft with these before it writes anything;
`is_repeat` says when a contact is about a family that came back within 12 months.
"""

from __future__ import annotations

import datetime as dt

import attrs

from connecting_families.domain.dates import day_in_england
from connecting_families.domain.refs import ref_problem
from connecting_families.errors import (
    field_error,
)
from connecting_families.families.members import (
    ROLES,
)
from connecting_families.families.service import (
    RE_REFERRAL_WINDOW,
    not_in_future,
)
from connecting_families.frontdoor.records import (
    CHANNELS,
    CONSENT_TO_SHARE,
    DECISION_LATE_REASONS,
    DECISIONS,
    KINDS,
    NAME_LIMIT,
    REPEAT_REASONS,
    SOURCES,
    SUMMARY_LIMIT,
)


@attrs.frozen
class NewContactPerson:
    """A person the contact is about: someone new, or (`person_id`) someone the programme
    knows, found in the front door's scope. `create_anyway`: the caller has said that someone
    new who looks like someone known is someone else."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    role: str
    person_id: int | None = None
    create_anyway: bool = False


@attrs.frozen
class ContactDraft:
    programme: str
    received_at: dt.datetime
    channel: str
    source: str
    summary: str
    consent_to_share: str
    kind: str = "contact"
    source_name: str | None = None
    family_id: int | None = None
    people: tuple[NewContactPerson, ...] = ()
    concerns: tuple[str, ...] = ()
    social_care_ref: str | None = None
    repeat_reason: str | None = None
    repeat_detail: str | None = None


@attrs.frozen
class DecisionDraft:
    """A decision made against the version of the contact that was read. `family_ref`: the
    new family's reference, when family help creates one (made up if not given)."""

    version: int
    decision: str
    note: str | None = None
    late_reason_code: str | None = None
    late_reason: str | None = None
    social_care_ref: str | None = None
    family_ref: str | None = None


def choice(field: str, value: str, choices: dict[str, str], label: str) -> list[dict[str, str]]:
    return [] if value in choices else [field_error(field, f"Select {label}")]


def text(field: str, value: str | None, limit: int, label: str) -> list[dict[str, str]]:
    if value is not None and len(value) > limit:
        return [field_error(field, f"{label} must be {limit:,} characters or fewer")]
    return []


def draft_problems(draft: ContactDraft, headlines: tuple[str, ...]) -> list[dict[str, str]]:
    problems = choice("kind", draft.kind, KINDS, "what kind of contact it is")
    problems += choice("channel", draft.channel, CHANNELS, "how the contact came")
    problems += choice("source", draft.source, SOURCES, "who the contact is from")
    problems += choice(
        "consent_to_share", draft.consent_to_share, CONSENT_TO_SHARE, "whether the family agreed"
    )
    # A few minutes' grace for a clock a little ahead of ours. Today's date with a later time
    # is the time's mistake, not the date's, and the message says so.
    if draft.received_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
        future_day = day_in_england(draft.received_at) > day_in_england(dt.datetime.now(dt.UTC))
        problems.append(
            field_error("received_at", "Date received must be today or in the past")
            if future_day
            else field_error("received_at", "Time received must be now or earlier")
        )
    problems += not_in_future("received_at", day_in_england(draft.received_at))
    problems += text("source_name", draft.source_name, NAME_LIMIT, "Who they are")
    if not draft.summary.strip():
        problems.append(field_error("summary", "Enter what the contact said"))
    problems += text("summary", draft.summary, SUMMARY_LIMIT, "What the contact said")
    if unknown := [c for c in draft.concerns if c not in headlines]:
        problems.append(field_error("concerns", f"Unknown concern {unknown[0]!r}"))
    if draft.kind == "step_down" and not draft.social_care_ref:
        problems.append(field_error("social_care_ref", "Enter the social care reference"))
    if draft.social_care_ref and (problem := ref_problem(draft.social_care_ref)):
        problems.append(field_error("social_care_ref", f"Social care reference {problem}"))
    if draft.family_id is None and not draft.people:
        problems.append(
            field_error("family_id", "Select the family, or enter the people it is about")
        )
    for index, person in enumerate(draft.people):
        field = f"person-{index}"
        if not person.given_name.strip() or len(person.given_name) > 100:
            problems.append(field_error(f"{field}-given_name", "Enter a first name of 1-100"))
        if not person.family_name.strip() or len(person.family_name) > 100:
            problems.append(field_error(f"{field}-family_name", "Enter a last name of 1-100"))
        problems += not_in_future(f"{field}-date_of_birth", person.date_of_birth)
        if person.role not in ROLES:
            problems.append(field_error(f"{field}-role", "Select adult or child"))
    return problems


def repeat_problems(draft: ContactDraft) -> list[dict[str, str]]:
    if draft.repeat_reason not in REPEAT_REASONS:
        return [field_error("repeat_reason", "Select why the family has come back")]
    if draft.repeat_reason == "other" and not (draft.repeat_detail or "").strip():
        return [field_error("repeat_detail", "Enter why the family has come back")]
    return text("repeat_detail", draft.repeat_detail, SUMMARY_LIMIT, "Why they came back")


def decision_problems(draft: DecisionDraft, late: bool) -> list[dict[str, str]]:
    problems = choice("decision", draft.decision, DECISIONS, "the decision")
    problems += text("note", draft.note, SUMMARY_LIMIT, "Reasons for the decision")
    if draft.decision == "step_up" and not draft.social_care_ref:
        problems.append(field_error("social_care_ref", "Enter the social care reference"))
    if draft.social_care_ref and (problem := ref_problem(draft.social_care_ref)):
        problems.append(field_error("social_care_ref", f"Social care reference {problem}"))
    if draft.family_ref and (problem := ref_problem(draft.family_ref)):
        problems.append(field_error("family_ref", f"Family reference {problem}"))
    if late:
        if draft.late_reason_code not in DECISION_LATE_REASONS:
            problems.append(field_error("late_reason_code", "Select why the decision is late"))
        elif draft.late_reason_code == "other" and not (draft.late_reason or "").strip():
            problems.append(field_error("late_reason", "Enter why the decision is late"))
        problems += text("late_reason", draft.late_reason, SUMMARY_LIMIT, "Why it is late")
    return problems


def is_repeat(family: dict[str, object], received_on: dt.date) -> bool:
    """Whether a contact received on `received_on` about `family` (its row) is a repeat: the
    family's involvement ended within the 12 months before."""
    closed_on = family["closed_on"]
    return (
        family["status"] == "closed"
        and isinstance(closed_on, dt.date)
        and closed_on <= received_on < closed_on + RE_REFERRAL_WINDOW
    )
