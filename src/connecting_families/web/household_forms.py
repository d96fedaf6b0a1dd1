"""The household section's forms as they are posted, and what the section does with them:
the shapes its posts are read into (`web/forms.py: read`), their labels, and the rules for a
correction (only what the form changed is sent; a stale one shows what someone else changed).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from connecting_families.errors import Invalid
from connecting_families.families.members import Member, PersonDraft
from connecting_families.families.schemas import Name
from connecting_families.http_params import Ref


class NewMemberForm(msgspec.Struct, forbid_unknown_fields=True):
    """A member added on the page: someone new, or (`same`) a person found already known."""

    role: Literal["adult", "child"]
    given_name: Name
    family_name: Name
    date_of_birth: dt.date
    joined_on: dt.date | None = None
    person_ref: Ref | None = None
    upn: Annotated[str, Meta(max_length=13)] | None = None
    ni_number: Annotated[str, Meta(max_length=9)] | None = None
    # The answer to the duplicate check: "new" (someone else) or "person-<id>".
    same: Annotated[str, Meta(max_length=20)] | None = None


class ExistingMemberForm(msgspec.Struct):
    """A person already known, chosen to join the household (`same` is "person-<id>"); the
    other fields the form may hold are not read."""

    role: Literal["adult", "child"]
    same: Annotated[str, Meta(max_length=20)]
    joined_on: dt.date | None = None


class KnownSearchForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100)]


class LeavingForm(msgspec.Struct, forbid_unknown_fields=True):
    version: int
    left_on: dt.date


class CorrectionForm(msgspec.Struct, forbid_unknown_fields=True):
    """A person's details as the correction form posts them; only those changed are sent."""

    version: int
    given_name: Name | None = None
    family_name: Name | None = None
    date_of_birth: dt.date | None = None
    upn: Annotated[str, Meta(max_length=13)] | None = None
    ni_number: Annotated[str, Meta(max_length=9)] | None = None


MEMBER_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "role": "Adult or child",
    "joined_on": "Date they joined the household",
    "person_ref": "Person reference",
    "upn": "Unique pupil number",
    "ni_number": "National Insurance number",
    "same": "Whether this is someone already known",
    "person": "Person",
}
LEAVING_LABELS = {"left_on": "Date they left", "version": "Version"}
# The correctable details, in the order the form shows them.
CORRECTABLE = ("given_name", "family_name", "date_of_birth", "upn", "ni_number")
CORRECTION_LABELS = {name: MEMBER_LABELS[name] for name in CORRECTABLE}
REQUIRED = ("given_name", "family_name", "date_of_birth")
ROLE_CHOICES = [("adult", "Adult"), ("child", "Child")]


def detail_of(member: Member, name: str) -> str:
    """A person's detail as the correction form holds it (a date in ISO form)."""
    value = getattr(member, name)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def correction_values(member: Member) -> dict[str, str]:
    """The form's values for `member`: each detail, and the same again as `was-<name>`, what
    the form was opened with, so that a stale post can say what someone else changed."""
    values = {"version": str(member.person_version)}
    for name in CORRECTABLE:
        values[name] = values[f"was-{name}"] = detail_of(member, name)
    return values


def person_draft(data: NewMemberForm) -> PersonDraft:
    return PersonDraft(
        given_name=data.given_name,
        family_name=data.family_name,
        date_of_birth=data.date_of_birth,
        person_ref=data.person_ref,
        upn=data.upn.upper() if data.upn else None,
        ni_number=data.ni_number.upper().replace(" ", "") if data.ni_number else None,
    )


def correction_changes(values: dict[str, str], data: CorrectionForm) -> dict[str, Any]:
    """The details the form changed from what it was opened with (`was-<name>`); a required
    detail emptied is refused, an optional one emptied is taken away."""
    changes: dict[str, Any] = {}
    blank = []
    for name in CORRECTABLE:
        if name not in values and f"{name}-day" not in values:
            continue
        typed = values.get(name, "")
        if typed == values.get(f"was-{name}"):
            continue
        if not typed and name in REQUIRED:
            blank.append({"field": name, "message": "must not be empty"})
            continue
        value = getattr(data, name)
        if name in ("upn", "ni_number") and value:
            value = value.upper().replace(" ", "")
        changes[name] = value
    if blank:
        raise Invalid("The correction was refused; see errors.", errors=blank)
    return changes


def stale(values: dict[str, str], member: Member) -> tuple[list[str], dict[str, str]]:
    """For a correction made against an older version: the labels of the details someone
    else changed since the form was opened, and the form's values to show again (what the
    user typed kept, the version and `was-` values brought up to date, so that sending it
    again makes the user's changes on top of theirs)."""
    changed = [
        CORRECTION_LABELS[name]
        for name in CORRECTABLE
        if values.get(f"was-{name}", detail_of(member, name)) != detail_of(member, name)
    ]
    kept = dict(values)
    kept["version"] = str(member.person_version)
    for name in CORRECTABLE:
        kept[f"was-{name}"] = detail_of(member, name)
        typed = values.get(name)
        if typed is None or typed == values.get(f"was-{name}"):
            # Not changed by this user: show the other person's value.
            kept[name] = detail_of(member, name)
            for part in ("day", "month", "year"):
                kept.pop(f"{name}-{part}", None)
    return changed, kept
