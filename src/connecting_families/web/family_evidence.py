"""A family's evidence: the outcome timeline in words, and the form to record one item.

"Record evidence" is a page of its own (`web/forms.py`). Its fields depend on the kind of
evidence: with JavaScript, choosing a kind swaps the kind's fields in (HTMX, an enhancement);
without it, "Continue" sends the kind and the same page comes back with the kind's fields.
An item is checked as a row of the partner's import file would be; refused, every wrong field
is named by its label.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid
from connecting_families.evidence.recording import SINGLE_KINDS, EvidenceRecorder
from connecting_families.evidence.service import TimelineEntry
from connecting_families.families.members import Member
from connecting_families.http_params import RecordId
from connecting_families.imports.cells import OneOf, parse_date
from connecting_families.imports.kinds import KINDS
from connecting_families.meetings.service import KINDS as MEETING_KINDS
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.family_summary import names_of
from connecting_families.web.forms import FORM_LABELS, SAVED, Form, accepted, form_values, refused
from connecting_families.web.templating import day, humanise, page

# The columns a key worker does not type: the subject is chosen from the household, and the
# partners' identifiers are the import files' way of naming people.
_NOT_TYPED = ("upn", "ni_number", "family_ref", "person_ref")
# The timeline's details that are no one's business on the page: identifiers and links.
_NOT_SHOWN = ("id", "family", "person", "person_ref", "family_ref", "subject_person", "programme")


# Each kind of evidence as the page names it.
KIND_NAMES = {
    "attendance": "School attendance",
    "exclusions": "School exclusion",
    "offences": "Offence",
    "asb": "Anti-social behaviour",
    "benefits": "Out-of-work benefit",
    "employment": "Job",
    "work_programme": "Work Programme start",
    "observations": "Observation",
    "assessments": "Assessment",
    "needs": "Need",
    # Family meetings (`meetings.service.MeetingRecord.event`).
    **{f"{code}_meeting": name for code, name in MEETING_KINDS},
}


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, humanise(kind))


@attrs.frozen
class EvidenceField:
    """One column of an evidence kind, as a form field."""

    name: str
    label: str
    required: bool
    type: str  # text, date or select
    choices: tuple[str, ...] = ()


def field_label(name: str) -> str:
    """A column's name as a form's label: `offence_ref` → "Offence reference"."""
    words = humanise(name)
    return words.removesuffix(" ref") + " reference" if words.endswith(" ref") else words


def evidence_fields(kind: str) -> list[EvidenceField]:
    """The columns a key worker fills in for one item of `kind` (none for a kind unknown)."""
    if kind not in SINGLE_KINDS:
        return []
    fields = []
    for column in KINDS[kind].columns:
        if column.name in _NOT_TYPED:
            continue
        label = field_label(column.name)
        if isinstance(column.parse, OneOf):
            choices = column.parse.codes
            fields.append(EvidenceField(column.name, label, column.required, "select", choices))
        elif column.parse is parse_date:
            fields.append(EvidenceField(column.name, label, column.required, "date"))
        else:
            fields.append(EvidenceField(column.name, label, column.required, "text"))
    return fields


def evidence_labels(kind: str) -> dict[str, str]:
    """The form's labels: the kind, the subject, and the kind's own fields."""
    return {
        "evidence_kind": "Kind of evidence",
        "person_ref": "Who it is about",
        **{field.name: field.label for field in evidence_fields(kind)},
    }


@attrs.frozen
class TimelineLine:
    """One entry of the outcome timeline, in words."""

    on: dt.date
    what: str
    who: str
    details: tuple[tuple[str, str], ...]


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date | dt.datetime):
        return day(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return day(value)
        except ValueError:
            return value
    return str(value)


def timeline_lines(entries: list[TimelineEntry], members: list[Member]) -> list[TimelineLine]:
    """The timeline's records (notes are in their own section), each kind and field in
    words and each person by name."""
    names = names_of(members)
    by_id = {m.person_id: f"{m.given_name} {m.family_name}" for m in members}
    lines = []
    for entry in entries:
        if entry.kind == "note":
            continue
        who = by_id.get(entry.person_id or 0) or names.get(entry.person_ref or "", "")
        details = tuple(
            (field_label(name), _shown(value))
            for name, value in entry.details.items()
            if value is not None and value != "" and name not in _NOT_SHOWN
        )
        lines.append(
            TimelineLine(entry.on, kind_name(entry.kind), who or "The household", details)
        )
    return lines


def _form_context(header: FamilyHeader, kind: str) -> dict[str, Any]:
    return {
        **header.context(),
        "evidence_kinds": [(k, kind_name(k)) for k in SINGLE_KINDS],
        "kind": kind if kind in SINGLE_KINDS else "",
        "fields": evidence_fields(kind),
        "subjects": [
            (m.person_ref, f"{m.given_name} {m.family_name}") for m in header.current_members
        ],
    }


# The evidence form's labels as its route declares them: every kind's fields, which the 403
# page gives back whichever kind was chosen.
EVERY_KIND_LABELS = {
    name: label for kind in SINGLE_KINDS for name, label in evidence_labels(kind).items()
}


class EvidencePages(Controller):
    """The evidence section of a family's record."""

    include_in_schema = False
    request_class = HTMXRequest
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/evidence", opt={"access": FAMILY_READ})
    async def evidence_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family's outcome timeline, newest first, in words.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "evidence")
        entries = await family_page.evidence.timeline_of(family_id)
        return page(
            "family/evidence.html",
            **header.context(),
            timeline=timeline_lines(entries, header.members),
        )

    @get("/families/{family_id:int}/evidence/new", opt={"access": FAMILY_WRITE})
    async def evidence_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        evidence_kind: FromQuery[str] = "",
    ) -> Template:
        """The form to record one item of evidence; its fields are those of the kind chosen.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            evidence_kind: The kind chosen, if any (a kind is not personal).
        """
        header = await family_page.open(principal, actor, family_id, "evidence")
        kind = evidence_kind if evidence_kind in SINGLE_KINDS else ""
        form = Form(values={"evidence_kind": kind})
        return page("family/evidence_form.html", **_form_context(header, kind), form=form)

    @get("/families/{family_id:int}/evidence-fields", opt={"access": FAMILY_WRITE})
    async def evidence_form_fields(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        evidence_kind: FromQuery[str] = "",
    ) -> Response[Any]:
        """The fields of one evidence kind, for the form (HTMX swaps them in).

        Args:
            request: The request; without HTMX, the form's page with the kind's fields.
            family_page: What the page reads: the family's members.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            evidence_kind: The evidence kind chosen.
        """
        kind = evidence_kind if evidence_kind in SINGLE_KINDS else ""
        header = await family_page.open(principal, actor, family_id, "evidence")
        if not request.htmx:
            query = f"?evidence_kind={kind}" if kind else ""
            return Redirect(f"/families/{family_id}/evidence/new{query}")
        return page(
            "family/evidence_fields.html",
            **_form_context(header, kind),
            form=Form(values={"evidence_kind": kind}),
        )

    @post(
        "/families/{family_id:int}/evidence",
        opt={"access": FAMILY_WRITE, FORM_LABELS: EVERY_KIND_LABELS},
    )
    async def record_evidence(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        recorder: NamedDependency[EvidenceRecorder],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Record one evidence item (a school period, an offence, a job, …) for the family;
        "Continue" (without JavaScript) shows the chosen kind's fields instead.

        Args:
            request: The form post: the kind, then the kind's fields.
            family_page: What the page reads.
            recorder: The evidence recorder, which checks the item as an import row.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        # Not "kind": that is a column of some kinds (an ASB record's incident or intervention).
        kind = values.get("evidence_kind", "")
        labels = evidence_labels(kind)
        try:
            if kind not in SINGLE_KINDS:
                raise Invalid(
                    "Select the kind of evidence.",
                    errors=[{"field": "evidence_kind", "message": "Select the kind of evidence"}],
                )
            if values.pop("continue", None) is not None:
                header = await family_page.open(principal, actor, family_id, "evidence")
                form = Form(values=values)
                return page("family/evidence_form.html", **_form_context(header, kind), form=form)
            # Every field of the kind goes, blank or not, so a blank one is named as missing.
            fields = {field.name: values.get(field.name, "") for field in evidence_fields(kind)}
            if values.get("person_ref"):
                fields["person_ref"] = values["person_ref"]
            await recorder.record_one(principal, actor, family_id, kind, fields)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "evidence")
            context = _form_context(header, kind)
            return refused(error, values, labels, "family/evidence_form.html", **context)
        return accepted(f"/families/{family_id}/evidence", "evidence")


SAVED["evidence"] = "The evidence was recorded."
