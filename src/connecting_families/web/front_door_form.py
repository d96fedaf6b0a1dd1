"""The record-a-contact form as the page reads it: its labels, its fields, and the people
rows it holds (`web/front_door_record.py` is the page)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from connecting_families.domain.dates import ENGLAND
from connecting_families.errors import Invalid, field_error
from connecting_families.web.family_form_labels import NumberedLabels
from connecting_families.web.forms import (
    read_choosing,
)

TEMPLATE = "front_door/record.html"
CONTACT_LABELS = {
    "programme": "Programme",
    "kind": "What kind of contact it is",
    "social_care_ref": "Social care reference",
    "received_on": "Date received",
    "received_time": "Time received",
    "channel": "How the contact came",
    "source": "Who the contact is from",
    "source_name": "Who they are",
    "find": "Name or reference of the family",
    "family_id": "The family",
    "concerns": "Concerns",
    "consent_to_share": "Whether the family agreed to it being shared",
    "summary": "What the contact said",
    "repeat_reason": "Why the family has come back",
    "repeat_detail": "Why the family has come back, in words",
}
PERSON_FIELDS = {
    "given_name": "First name",
    "family_name": "Last name",
    "date_of_birth": "Date of birth",
    "role": "Adult or child",
    "same": "Is this one of the people found",
}
CHOICES = ("programme", "kind", "channel", "source", "consent_to_share", "repeat_reason")
ROLE_CHOICES = [("adult", "Adult"), ("child", "Child")]
# "Add another person" adds at most this many (the API takes 30).
MOST_PEOPLE = 30
_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")
# The family radios' answer for "the family is not known: these are its people".
NEW_FAMILY = "new"


def person_label(index: int, field: str) -> str | None:
    words = PERSON_FIELDS.get(field)
    return f"{words} of person {index + 1}" if words else None


TYPED_CONTACT_LABELS = NumberedLabels(
    CONTACT_LABELS,
    ((re.compile(r"person-(\d{1,2})-(\w+)"), lambda i, f: person_label(int(i), f)),),
)


class ContactForm(msgspec.Struct, forbid_unknown_fields=True):
    """The contact's own questions as the page posts them (the people are read one by one)."""

    programme: Annotated[str, Meta(min_length=1, max_length=32)]
    kind: Literal["contact", "step_down"]
    received_on: dt.date
    channel: Annotated[str, Meta(min_length=1, max_length=32)]
    source: Annotated[str, Meta(min_length=1, max_length=32)]
    consent_to_share: Annotated[str, Meta(min_length=1, max_length=32)]
    summary: Annotated[str, Meta(max_length=5000)]
    received_time: Annotated[str, Meta(max_length=8)] | None = None
    social_care_ref: Annotated[str, Meta(max_length=64)] | None = None
    source_name: Annotated[str, Meta(max_length=200)] | None = None
    repeat_reason: Annotated[str, Meta(max_length=32)] | None = None
    repeat_detail: Annotated[str, Meta(max_length=5000)] | None = None


class PersonForm(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Annotated[str, Meta(min_length=1, max_length=100)]
    family_name: Annotated[str, Meta(min_length=1, max_length=100)]
    date_of_birth: dt.date
    role: Literal["adult", "child"]
    # The answer to "may already be known": someone new, a person found, or their family.
    same: (
        Annotated[str, Meta(pattern=r"^(new|person-[1-9][0-9]{0,8}|family-[1-9][0-9]{0,8})$")]
        | None
    ) = None


def people_count(values: dict[str, str]) -> int:
    """How many people the form holds: the rows posted, at least one."""
    numbers = [
        int(match.group(1))
        for name in values
        if (match := re.fullmatch(r"person-(\d{1,2})-\w+", name))
    ]
    count = int(values.get("people", "0")) if values.get("people", "").isdigit() else 0
    return min(max([count, *(n + 1 for n in numbers), 1]), MOST_PEOPLE)


def _person_values(values: dict[str, str], index: int) -> dict[str, str]:
    prefix = f"person-{index}-"
    return {
        name.removeprefix(prefix): value
        for name, value in values.items()
        if name.startswith(prefix)
        and name.removeprefix(prefix).rsplit("-", 1)[-1] not in ("day", "month", "year")
    }


def _blank(values: dict[str, str], index: int) -> bool:
    fields = ("given_name", "family_name", "date_of_birth", "role")
    return not any(values.get(f"person-{index}-{field}") for field in fields)


def received_at(data: ContactForm) -> tuple[dt.datetime | None, list[dict[str, str]]]:
    """The instant received: the date and the time typed, on England's clocks."""
    hour, minute = 0, 0
    if data.received_time:
        match = _TIME.fullmatch(data.received_time)
        if match is None:
            message = "Time received must be a time, like 14:30"
            return None, [field_error("received_time", message)]
        hour, minute = int(match.group(1)), int(match.group(2))
    local = dt.datetime.combine(data.received_on, dt.time(hour, minute), tzinfo=ENGLAND)
    return local.astimezone(dt.UTC), []


def read_people(values: dict[str, str]) -> tuple[list[PersonForm], list[dict[str, str]]]:
    """Every person typed (rows left blank dropped), each wrong field named by its label."""
    people: list[PersonForm] = []
    problems: list[dict[str, str]] = []
    for index in range(people_count(values)):
        if _blank(values, index):
            continue
        labels = {field: person_label(index, field) or field for field in PERSON_FIELDS}
        try:
            people.append(
                read_choosing(_person_values(values, index), PersonForm, labels, ("role",))
            )
        except Invalid as error:
            for problem in error.errors:
                problems.append(
                    field_error(f"person-{index}-{problem['field']}", problem["message"])
                )
    return people, problems
