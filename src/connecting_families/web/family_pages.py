"""A key worker's pages: the caseload and the family's pages. Its forms are in `family_forms`.

A family's record is a summary page and a sub-page per section (`SECTIONS`), each its own
address, read through `FamilyPageServices.open`: one scope check and one audit entry for the
page, then the section's own records read unchecked. Every form is a page of its own and works
as `web/forms.py` says; accepted, it goes back to its section, which shows a success banner.
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from connecting_families.access.policy import (
    FAMILY_READ,
    OWN_CASELOAD,
    Principal,
    family_scope,
)
from connecting_families.assessments.service import AssessmentService
from connecting_families.audit.service import Actor, record
from connecting_families.domain.dates import judging_day, today
from connecting_families.domain.verdict import Verdict
from connecting_families.evaluation.service import EvaluationService
from connecting_families.evidence.recording import SINGLE_KINDS
from connecting_families.evidence.service import EvidenceService
from connecting_families.families.allocation import AllocationService
from connecting_families.families.members import Member, MemberService
from connecting_families.families.notes import NOTE_KINDS, NoteService
from connecting_families.families.scope import family_row, require_family
from connecting_families.families.service import FamilyFilters, FamilyRecord, FamilyService
from connecting_families.http_params import RecordId
from connecting_families.imports.cells import OneOf, parse_date
from connecting_families.imports.kinds import KINDS
from connecting_families.plans.service import RATINGS, PlanService
from connecting_families.programmes.service import programme_ends
from connecting_families.web.explain import explain
from connecting_families.web.forms import SAVED, Form
from connecting_families.web.templating import humanise, page


@attrs.frozen
class EvidenceField:
    """One column of an evidence kind, as a form field."""

    name: str
    required: bool
    type: str  # text, date or select
    choices: tuple[str, ...] = ()


def evidence_fields(kind: str) -> list[EvidenceField]:
    """The columns a key worker fills in for one item of `kind`: the subject is chosen from
    the family's members (or the household), so the partners' identifiers are left out."""
    fields = []
    for column in KINDS[kind].columns:
        if column.name in ("upn", "ni_number", "family_ref", "person_ref"):
            continue
        if isinstance(column.parse, OneOf):
            choices = column.parse.codes
            fields.append(EvidenceField(column.name, column.required, "select", choices))
        elif column.parse is parse_date:
            fields.append(EvidenceField(column.name, column.required, "date"))
        else:
            fields.append(EvidenceField(column.name, column.required, "text"))
    return fields


# The sub-pages of a family's record, in the order the navigation lists them: (path under
# /families/{id}, name). The summary is the family's own address.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("", "Summary"),
    ("household", "Household"),
    ("assessments", "Assessments and needs"),
    ("plan", "Plan"),
    ("notes", "Notes"),
    ("evidence", "Evidence"),
    ("result", "Result"),
)


@attrs.frozen
class FamilyHeader:
    """What every page of a family shows: the family, its household, and what the caller may
    do there."""

    family: FamilyRecord
    members: list[Member]
    may_write: bool

    @property
    def current_members(self) -> list[Member]:
        return [member for member in self.members if member.current]

    @property
    def may_add(self) -> bool:
        """Whether the add-forms are shown: to those who may write, while the family is open."""
        return self.may_write and self.family.status != "closed"

    def context(self) -> dict[str, Any]:
        """The layout's part of a page's context."""
        return {
            "family": self.family,
            "members": self.members,
            "current_members": self.current_members,
            "may_write": self.may_write,
            "may_add": self.may_add,
            "sections": SECTIONS,
            "today": today(),
        }


@attrs.define
class FamilyPageServices:
    """What the family's pages read, gathered once per request."""

    families: FamilyService
    members: MemberService
    allocations: AllocationService
    assessments: AssessmentService
    plans: PlanService
    notes: NoteService
    evidence: EvidenceService
    evaluation: EvaluationService

    async def open(
        self, principal: Principal, actor: Actor, family_id: int, section: str
    ) -> FamilyHeader:
        """The family, if `principal` may read it, with one audit entry for the page; the
        section's own records are then read unchecked (their `…_of` functions)."""
        row = await require_family(principal, actor, family_id, "read")
        await record(actor, "family.page.read", "family", family_id, detail={"section": section})
        writable = await family_row(family_id, family_scope(principal, "write")) is not None
        return FamilyHeader(
            family=await self.families.record_of(row),
            members=await self.members.members_of(family_id),
            may_write=writable,
        )

    async def context(self, principal: Principal, actor: Actor, family_id: int) -> dict[str, Any]:
        on = today()
        header = await self.open(principal, actor, family_id, "")
        verdict = await self.evaluation.family_verdict(principal, actor, family_id, on, None)
        return {
            **header.context(),
            "allocations": await self.allocations.history(principal, actor, family_id),
            "assessments": await self.assessments.list_assessments(principal, actor, family_id),
            "needs": await self.assessments.list_needs(principal, actor, family_id),
            "plans": await self.plans.list_plans(principal, actor, family_id),
            "notes": await self.notes.list_notes(principal, actor, family_id),
            "timeline": await self.evidence.timeline(principal, actor, family_id, None),
            "verdict": verdict,
            "explained": explain(verdict),
            "today": on,
            "note_kinds": [(kind, humanise(kind)) for kind in NOTE_KINDS],
            "ratings": [(rating, humanise(rating)) for rating in RATINGS],
            "evidence_kinds": SINGLE_KINDS,
            "evidence_fields": {kind: evidence_fields(kind) for kind in SINGLE_KINDS},
            "blank": Form(),
        }


def provide_family_page(
    families: NamedDependency[FamilyService],
    members: NamedDependency[MemberService],
    allocations: NamedDependency[AllocationService],
    assessments: NamedDependency[AssessmentService],
    plans: NamedDependency[PlanService],
    notes: NamedDependency[NoteService],
    evidence_service: NamedDependency[EvidenceService],
    evaluation: NamedDependency[EvaluationService],
) -> FamilyPageServices:
    return FamilyPageServices(
        families, members, allocations, assessments, plans, notes, evidence_service, evaluation
    )


class FamilyPages(Controller):
    """My caseload and the family page."""

    include_in_schema = False
    request_class = HTMXRequest
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/caseload", opt={"access": OWN_CASELOAD})
    async def caseload_page(
        self,
        families: NamedDependency[FamilyService],
        plans: NamedDependency[PlanService],
        evaluation: NamedDependency[EvaluationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        """The signed-in key worker's families, with the next review, what is overdue and
        whether each is turned around today, or on its programme's last day once it has ended.

        Args:
            families: The family service.
            plans: The plan service.
            evaluation: The evaluation service.
            principal: The signed-in key worker.
            actor: The caller, for the audit log.
            cursor: The next page of families.
        """
        listed = await families.list_families(
            principal,
            actor,
            FamilyFilters(key_worker=principal.username, sort="family_ref", cursor=cursor),
        )
        ids = [family.id for family in listed.families]
        overdue = await plans.overdue(principal, actor, key_worker=principal.username)
        reviews = await plans.next_reviews(principal, actor, ids)
        on = today()
        ends = await programme_ends(family.programme for family in listed.families)
        # A family is judged on its programme's judging day: today, or the programme's end.
        judged_on = {f.id: judging_day(ends[f.programme], on) for f in listed.families}
        verdicts: dict[int, Verdict] = {}
        for day in sorted(set(judged_on.values())):
            same_day = [family_id for family_id, judged in judged_on.items() if judged == day]
            verdicts |= await evaluation.caseload_verdicts(principal, actor, same_day, day)
        rows = [
            {
                "family": family,
                "judged_on": judged_on[family.id],
                "next_review": reviews.get(family.id),
                "overdue": [
                    item
                    for item in overdue
                    if item.family_id == family.id and item.due_on < judged_on[family.id]
                ],
                "verdict": verdicts.get(family.id),
            }
            for family in listed.families
        ]
        return page(
            "caseload.html",
            rows=rows,
            next_cursor=listed.next_cursor,
            today=on,
            # The last days of the ended programmes, each said once above the table.
            ended=sorted({day for day in judged_on.values() if day != on}),
        )

    @get("/families/{family_id:int}", opt={"access": FAMILY_READ})
    async def summary_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family at a glance: who they are, their key worker, and what is due next.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        context = await family_page.context(principal, actor, family_id)
        return page("family/summary.html", **context, forms={})

    @get(
        [
            "/families/{family_id:int}/household",
            "/families/{family_id:int}/assessments",
            "/families/{family_id:int}/plan",
            "/families/{family_id:int}/result",
        ],
        opt={"access": FAMILY_READ},
    )
    async def section_page(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """One section of the family's record (`SECTIONS`), read through `context`.

        Args:
            request: The request, whose path names the section.
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        section = request.url.path.rsplit("/", 1)[-1]
        context = await family_page.context(principal, actor, family_id)
        return page(f"family/{section}.html", **context, forms={})

    @get("/families/{family_id:int}/evidence-fields", opt={"access": FAMILY_READ})
    async def evidence_form_fields(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        evidence_kind: FromQuery[str] = "",
    ) -> Response[Any]:
        """The fields of one evidence kind, for the evidence form (HTMX swaps them in).

        Args:
            request: The request; without HTMX, the family page is shown with the fields.
            family_page: What the page reads: the family's members.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            evidence_kind: The evidence kind chosen.
        """
        kind = evidence_kind
        members = await family_page.members.list_members(principal, actor, family_id)
        if not request.htmx:
            return Redirect(f"/families/{family_id}/evidence?kind={kind}#evidence-form")
        return page(
            "family/evidence_fields.html",
            kind=kind if kind in SINGLE_KINDS else "",
            fields=evidence_fields(kind) if kind in SINGLE_KINDS else [],
            current_members=[m for m in members if m.current],
            form=Form(values={"evidence_kind": kind}),
        )


SAVED.update(
    {
        "outcome": "The need's outcome was recorded.",
        "action": "The action was added to the plan.",
        "review": "The review was recorded.",
        "evidence": "The evidence was recorded.",
    }
)
