"""A key worker's pages: the caseload, the family's summary and its result.

A family's record is a summary page and a sub-page per section (`SECTIONS`), each its own
address, read through `FamilyPageServices.open`: one scope check and one audit entry for the
page, then the section's own records read unchecked. Every form is a page of its own and works
as `web/forms.py` says; accepted, it goes back to its section, which shows a success banner.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import attrs
import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from connecting_families.access.policy import (
    FAMILY_READ,
    OWN_CASELOAD,
    Principal,
    family_scope,
)
from connecting_families.assessments.due import assessments_due_of
from connecting_families.assessments.service import AssessmentService
from connecting_families.audit.service import Actor, record
from connecting_families.consent.service import ConsentSummary, consent_of
from connecting_families.domain.dates import judging_day, today
from connecting_families.errors import Invalid
from connecting_families.evaluation.kept import Result
from connecting_families.evaluation.service import EvaluationService
from connecting_families.evidence.service import EvidenceService
from connecting_families.families.allocation import AllocationService
from connecting_families.families.closures import sent_back_closure_of
from connecting_families.families.members import Member, MemberService, current_members_of
from connecting_families.families.notes import NoteService
from connecting_families.families.scope import family_row, require_family
from connecting_families.families.service import FamilyFilters, FamilyRecord, FamilyService
from connecting_families.frontdoor.records import contacts_of_family
from connecting_families.http_params import RecordId
from connecting_families.meetings.service import next_meeting_of
from connecting_families.plans.due import plans_due_of
from connecting_families.plans.service import PlanService
from connecting_families.programmes.service import programme_ends
from connecting_families.web.caseload_due import due_on_caseload
from connecting_families.web.explain import Wording, explain
from connecting_families.web.family_summary import names_of, people_of, tasks_of
from connecting_families.web.forms import SAVED, Form, read, with_dates
from connecting_families.web.templating import page

# The sub-pages of a family's record, in the order the navigation lists them: (path under
# /families/{id}, name). The summary is the family's own address.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("", "Summary"),
    ("household", "Household"),
    ("consent", "Consent"),
    ("assessments", "Assessments and needs"),
    ("plan", "Plan"),
    ("meetings", "Family meetings"),
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
    # Whether the family has current consent to share its information: shown on every page.
    consent: ConsentSummary

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
            "consent": self.consent,
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
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        section: str,
        detail: dict[str, str] | None = None,
    ) -> FamilyHeader:
        """The family, if `principal` may read it, with one audit entry for the page (with
        `detail`: what else the page was asked for, such as a date); the section's own
        records are then read unchecked (their `…_of` functions)."""
        row = await require_family(principal, actor, family_id, "read")
        # The scope is checked: the audit entry is written while the page's reads run (each
        # waits on its own connection), and the page fails if the entry cannot be written.
        _, writable, family, members, consent = await asyncio.gather(
            record(
                actor,
                "family.page.read",
                "family",
                family_id,
                detail={"section": section, **(detail or {})},
            ),
            family_row(family_id, family_scope(principal, "write")),
            self.families.record_of(row),
            self.members.members_of(family_id),
            consent_of(family_id),
        )
        return FamilyHeader(
            family=family, members=members, may_write=writable is not None, consent=consent
        )


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
        evaluation: NamedDependency[EvaluationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        """The signed-in key worker's families, with the next review, what is overdue and
        whether each is turned around today, or on its programme's last day once it has ended.

        Args:
            families: The family service.
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
        on = today()
        ends = await programme_ends(family.programme for family in listed.families)
        # A family is judged on its programme's judging day: today, or the programme's end.
        judged_on = {f.id: judging_day(ends[f.programme], on) for f in listed.families}
        verdicts: dict[int, Result] = {}
        for day in sorted(set(judged_on.values())):
            same_day = [family_id for family_id, judged in judged_on.items() if judged == day]
            verdicts |= await evaluation.caseload_verdicts(principal, actor, same_day, day)
        # The listing above checked and audited these families: what is due and their names
        # are read for them alone, unchecked.
        due = await due_on_caseload(judged_on)
        members = await current_members_of(list(judged_on))
        rows = [
            {
                "family": family,
                "members": members[family.id],
                "judged_on": judged_on[family.id],
                "next_review": due.next_reviews.get(family.id),
                "overdue": due.overdue.get(family.id, []),
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
        header = await family_page.open(principal, actor, family_id, "summary")
        on = today()
        plans, assessments, verdict, next_meeting, contacts = await asyncio.gather(
            plans_due_of(family_id, on),
            assessments_due_of(family_id),
            family_page.evaluation.result_of(family_id, on),
            next_meeting_of(family_id, on),
            # How the family came in: its contacts at the front door (the read of the family
            # is checked and audited above, by `open`).
            contacts_of_family(family_id),
        )
        tasks = tasks_of(
            on,
            plans,
            assessments,
            open_family=header.family.status != "closed",
            consent_current=header.consent.current,
        )
        return page(
            "family/summary.html",
            **header.context(),
            people=people_of(header.members, on),
            tasks=tasks,
            verdict=verdict,
            # The next family meeting, while it is still to come.
            next_meeting=next_meeting,
            # A closure a team manager sent back: why, until the family's status changes again.
            sent_back=await sent_back_closure_of(family_id),
            contacts=contacts,
        )

    @get("/families/{family_id:int}/result", opt={"access": FAMILY_READ})
    async def result_page(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family's verdict in plain English, on a day the reader may choose.

        Args:
            request: The request, whose query may hold the "Judge on" date (three fields).
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = with_dates(
            {k: v.strip() for k, v in request.query_params.items() if k in AS_OF_FIELDS}
        )
        form = Form(values=values)
        on = today()
        try:
            chosen = read(values, JudgeOn, AS_OF_LABELS).as_of
        except Invalid as error:
            form, chosen = Form.refusing(values, error, AS_OF_LABELS), None
        as_of = chosen or on
        detail = {"as_of": as_of.isoformat()}
        header = await family_page.open(principal, actor, family_id, "result", detail)
        verdict = await family_page.evaluation.verdict_of(family_id, as_of)
        plugins = family_page.evaluation.plugins
        wording = Wording(
            ruleset=plugins.rulesets().get(verdict.ruleset),
            criteria=plugins.criteria(),
            names=names_of(header.members),
        )
        if not form.refused and chosen:
            form = Form(values={"as_of": as_of.isoformat()})
        return page(
            "family/result.html",
            status=422 if form.refused else 200,
            **header.context(),
            verdict=verdict,
            explained=explain(verdict, wording),
            as_of=as_of,
            form=form,
        )


class JudgeOn(msgspec.Struct, forbid_unknown_fields=True):
    """The result page's "Judge on" date: today when left blank."""

    as_of: dt.date | None = None


AS_OF_LABELS = {"as_of": "Judge on"}
AS_OF_FIELDS = ("as_of", "as_of-day", "as_of-month", "as_of-year")


SAVED.update(
    {
        "outcome": "The need's outcome was recorded.",
    }
)
