"""Early help assessments and the needs they identify.

Both are append-and-supersede: completing, signing off or recording an outcome writes a new
version of the row and marks the old one superseded, so every earlier state stays readable.
They are addressed by their reference (stable across versions), and updates name the version
they were made against.

A reference is unique in its programme, not its family: it is the authority's identifier, and an
import matches a row by it across the programme (a corrected row may move a need to another
household). So a caller-given ref taken by another family's record is refused; in words that
say nothing of it when that family is outside the caller's scope (`families.existence`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import attrs

from connecting_families.access.policy import Principal, family_scope
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.audit.service import Actor, record
from connecting_families.consent.service import consent_at_completion
from connecting_families.database.engine import AnyEngine
from connecting_families.domain import dates
from connecting_families.errors import (
    Conflict,
    NotFound,
    check_version,
    field_error,
    refuse_if,
)
from connecting_families.families.existence import audited_refusals, refuse_taken_ref
from connecting_families.families.scope import require_family, writing_family
from connecting_families.families.service import not_in_future, validate_ref
from connecting_families.families.tables import Family, Membership
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.tables import Programme

NEED_OUTCOMES = ("achieved", "not_achieved")


@attrs.frozen
class AssessmentRecord:
    assessment_ref: str
    family_id: int
    subject_person_id: int | None
    started_on: dt.date
    completed_on: dt.date | None
    lead_professional: str | None
    agency: str | None
    due_by: dt.date
    working_days_taken: int | None
    within_timescale: bool | None
    late_reason: str | None
    signed_off_by: str | None
    signed_off_at: dt.datetime | None
    version: int


@attrs.frozen
class NeedRecord:
    need_ref: str
    family_id: int
    person_id: int | None
    headline: str
    identified_on: dt.date
    evidence: str | None
    outcome: str | None
    outcome_on: dt.date | None
    version: int


_ASSESSMENT_COLUMNS = (
    Assessment.id,
    Assessment.programme,
    Assessment.family,
    Assessment.assessment_ref,
    Assessment.subject_person,
    Assessment.started_on,
    Assessment.completed_on,
    Assessment.lead_professional,
    Assessment.agency,
    Assessment.late_reason,
    Assessment.signed_off_by,
    Assessment.signed_off_by.username.as_alias("signed_off_by_username"),
    Assessment.signed_off_at,
    Assessment.version,
)


AWAITING_LIMIT = 200


@attrs.frozen
class Awaiting:
    """An assessment waiting for a team manager's sign-off, with its family's reference."""

    family_ref: str
    assessment: AssessmentRecord


def _assessment(row: dict[str, Any], timescale_days: int) -> AssessmentRecord:
    taken = (
        dates.working_days_between(row["started_on"], row["completed_on"])
        if row["completed_on"]
        else None
    )
    return AssessmentRecord(
        assessment_ref=row["assessment_ref"],
        family_id=row["family"],
        subject_person_id=row["subject_person"],
        started_on=row["started_on"],
        completed_on=row["completed_on"],
        lead_professional=row["lead_professional"],
        agency=row["agency"],
        due_by=dates.add_working_days(row["started_on"], timescale_days),
        working_days_taken=taken,
        within_timescale=None if taken is None else taken <= timescale_days,
        late_reason=row["late_reason"],
        signed_off_by=row["signed_off_by_username"],
        signed_off_at=row["signed_off_at"],
        version=row["version"],
    )


def _need(row: dict[str, Any]) -> NeedRecord:
    return NeedRecord(
        need_ref=row["need_ref"],
        family_id=row["family"],
        person_id=row["person"],
        headline=row["headline"],
        identified_on=row["identified_on"],
        evidence=row["evidence"],
        outcome=row["outcome"],
        outcome_on=row["outcome_on"],
        version=row["version"],
    )


async def needs_of(family_id: int) -> list[NeedRecord]:
    """The family's current needs, oldest first. Unchecked: the caller has checked the
    family's scope (a service method, or `FamilyPageServices.open` for a page)."""
    rows = (
        await Need.select()
        .where(Need.family == family_id, Need.superseded_at.is_null())
        .order_by(Need.identified_on)
    )
    return [_need(row) for row in rows]


async def _is_member(family_id: int, person_id: int | None, role: str | None = None) -> bool:
    """Whether `person_id` (if given) is a current member (with `role`, if given)."""
    if person_id is None:
        return True
    conditions = [
        Membership.family == family_id,
        Membership.person == person_id,
        Membership.superseded_at.is_null(),
        Membership.left_on.is_null(),
    ]
    if role is not None:
        conditions.append(Membership.role == role)
    return bool(await Membership.exists().where(*conditions))


async def _supersede(
    table: Any, row: dict[str, Any], changes: dict[str, Any], user_id: int
) -> None:
    """Write the next version of an append-and-supersede row."""
    now = dt.datetime.now(dt.UTC)
    await table.update({table.superseded_at: now}).where(table.id == row["id"])
    names = {column._meta.name for column in table._meta.columns} - {"id"}
    values = {k: v for k, v in row.items() if k in names}
    values.update(changes)
    values.update(
        recorded_at=now,
        superseded_at=None,
        import_run=None,
        recorded_by=user_id,
        version=row["version"] + 1,
    )
    await table.insert(table(**values))


class AssessmentService:
    def __init__(self, engine: AnyEngine, plugins: PluginHost) -> None:
        self.engine = engine
        self.plugins = plugins

    async def list_assessments(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[AssessmentRecord]:
        family = await require_family(principal, actor, family_id, "read")
        rows = (
            await Assessment.select(*_ASSESSMENT_COLUMNS)
            .where(Assessment.family == family_id, Assessment.superseded_at.is_null())
            .order_by(Assessment.started_on)
        )
        await record(actor, "family.assessments.read", "family", family_id)
        return [_assessment(row, family["assessment_timescale_days"]) for row in rows]

    async def awaiting_sign_off(self, principal: Principal, actor: Actor) -> list[Awaiting]:
        """Completed assessments not yet signed off, of the families the caller may write to
        (a team manager: their team's and the unallocated), oldest completion first."""
        rows = await (
            Assessment.select(
                *_ASSESSMENT_COLUMNS,
                Assessment.family.family_ref.as_alias("family_ref"),
            )
            .where(
                Assessment.superseded_at.is_null(),
                Assessment.completed_on.is_not_null(),
                Assessment.signed_off_at.is_null(),
                Assessment.family.id.is_in(
                    Family.select(Family.id).where(family_scope(principal, "write"))
                ),
            )
            .order_by(Assessment.completed_on)
            .limit(AWAITING_LIMIT)
        )
        await record(
            actor, "assessments.awaiting_sign_off", "family", None, detail={"returned": len(rows)}
        )
        timescales = {
            p["id"]: p["assessment_timescale_days"]
            for p in await Programme.select(Programme.id, Programme.assessment_timescale_days)
        }
        return [
            Awaiting(row["family_ref"], _assessment(row, timescales[row["programme"]]))
            for row in rows
        ]

    async def _current(self, family_id: int, assessment_ref: str) -> dict[str, Any]:
        row = (
            await Assessment.select()
            .where(
                Assessment.family == family_id,
                Assessment.assessment_ref == assessment_ref,
                Assessment.superseded_at.is_null(),
            )
            .first()
        )
        if row is None:
            raise NotFound(f"This family has no assessment {assessment_ref!r}.")
        return dict(row)

    async def _record_of(self, family: dict[str, Any], assessment_ref: str) -> AssessmentRecord:
        row = (
            await Assessment.select(*_ASSESSMENT_COLUMNS)
            .where(
                Assessment.family == family["id"],
                Assessment.assessment_ref == assessment_ref,
                Assessment.superseded_at.is_null(),
            )
            .first()
        )
        assert row is not None
        return _assessment(row, family["assessment_timescale_days"])

    async def start(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        *,
        started_on: dt.date,
        assessment_ref: str | None = None,
        subject_person_id: int | None = None,
        lead_professional: str | None = None,
        agency: str | None = None,
    ) -> AssessmentRecord:
        """Open an assessment for the whole family or one child in it."""
        problems = not_in_future("started_on", started_on)
        if assessment_ref is not None:
            problems += validate_ref("assessment_ref", assessment_ref)
        refuse_if(problems, "The assessment")
        ref = assessment_ref or f"EHA-{secrets.token_hex(4).upper()}"
        async with (
            audited_refusals(actor),
            writing_family(self.engine, principal, actor, family_id) as family,
        ):
            if not await _is_member(family_id, subject_person_id, role="child"):
                refuse_if(
                    [field_error("subject_person_id", "not a child of this household")],
                    "The assessment",
                )
            holders = await Assessment.select(Assessment.family).where(
                Assessment.programme == family["programme"],
                Assessment.assessment_ref == ref,
                Assessment.superseded_at.is_null(),
            )
            await refuse_taken_ref(
                principal,
                "assessment_ref",
                [row["family"] for row in holders],
                from_family=family_id,
            )
            await Assessment.insert(
                Assessment(
                    programme=family["programme"],
                    family=family_id,
                    assessment_ref=ref,
                    subject_person=subject_person_id,
                    started_on=started_on,
                    lead_professional=lead_professional,
                    agency=agency,
                    recorded_by=principal.user_id,
                )
            )
            await record(actor, "assessment.start", "family", family_id)
            return await self._record_of(family, ref)

    async def complete(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        assessment_ref: str,
        *,
        version: int,
        completed_on: dt.date,
        late_reason: str | None,
        no_consent_reason: str | None = None,
    ) -> AssessmentRecord:
        """Complete an assessment; one completed outside the timescale needs a reason, and one
        of a family without current consent is refused unless the programme allows it, and
        then needs a reason too (`consent.service.consent_at_completion`)."""
        refuse_if(not_in_future("completed_on", completed_on), "The completion")
        async with writing_family(self.engine, principal, actor, family_id) as family:
            row = await self._current(family_id, assessment_ref)
            check_version(
                version,
                row["version"],
                await self._record_of(family, assessment_ref),
                "The assessment",
            )
            if row["completed_on"] is not None:
                raise Conflict("The assessment is already complete.")
            problems = []
            if completed_on < row["started_on"]:
                problems.append(field_error("completed_on", "before started_on"))
            timescale = family["assessment_timescale_days"]
            late = dates.working_days_between(row["started_on"], completed_on) > timescale
            if late and not (late_reason or "").strip():
                problems.append(
                    field_error(
                        "late_reason",
                        f"completed after {timescale} working days: say why it was late",
                    )
                )
            consent = await consent_at_completion(family, no_consent_reason)
            problems += consent.problems
            refuse_if(problems, "The completion")
            await _supersede(
                Assessment,
                row,
                {
                    "completed_on": completed_on,
                    "late_reason": (late_reason or "").strip() or None,
                    "no_consent_reason": consent.reason,
                },
                principal.user_id,
            )
            await record(actor, "assessment.complete", "family", family_id, detail={"late": late})
            return await self._record_of(family, assessment_ref)

    async def sign_off(
        self, principal: Principal, actor: Actor, family_id: int, assessment_ref: str, version: int
    ) -> AssessmentRecord:
        """A team manager signs off a completed assessment."""
        async with writing_family(self.engine, principal, actor, family_id) as family:
            row = await self._current(family_id, assessment_ref)
            check_version(
                version,
                row["version"],
                await self._record_of(family, assessment_ref),
                "The assessment",
            )
            if row["completed_on"] is None:
                raise Conflict("Only a completed assessment can be signed off.")
            if row["signed_off_at"] is not None:
                raise Conflict("The assessment is already signed off.")
            await _supersede(
                Assessment,
                row,
                {
                    "signed_off_by": principal.user_id,
                    "signed_off_at": dt.datetime.now(dt.UTC),
                },
                principal.user_id,
            )
            await record(actor, "assessment.sign_off", "family", family_id)
            return await self._record_of(family, assessment_ref)

    # Needs ---------------------------------------------------------------------------------

    async def list_needs(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[NeedRecord]:
        await require_family(principal, actor, family_id, "read")
        await record(actor, "family.needs.read", "family", family_id)
        return await needs_of(family_id)

    async def add_need(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        *,
        headline: str,
        identified_on: dt.date,
        need_ref: str | None = None,
        person_id: int | None = None,
        evidence: str | None = None,
    ) -> NeedRecord:
        """Record a need under one of the programme's headlines."""
        problems = not_in_future("identified_on", identified_on)
        if need_ref is not None:
            problems += validate_ref("need_ref", need_ref)
        refuse_if(problems, "The need")
        ref = need_ref or f"NEED-{secrets.token_hex(4).upper()}"
        async with (
            audited_refusals(actor),
            writing_family(self.engine, principal, actor, family_id) as family,
        ):
            known = self.plugins.headlines(family["ruleset_id"])
            problems = []
            if headline not in known:
                problems.append(field_error("headline", f"must be one of {', '.join(known)}"))
            if not await _is_member(family_id, person_id):
                problems.append(field_error("person_id", "not a member of this family"))
            refuse_if(problems, "The need")
            holders = await Need.select(Need.family).where(
                Need.programme == family["programme"],
                Need.need_ref == ref,
                Need.superseded_at.is_null(),
            )
            await refuse_taken_ref(
                principal, "need_ref", [row["family"] for row in holders], from_family=family_id
            )
            await Need.insert(
                Need(
                    programme=family["programme"],
                    family=family_id,
                    person=person_id,
                    need_ref=ref,
                    headline=headline,
                    identified_on=identified_on,
                    evidence=(evidence or "").strip() or None,
                    recorded_by=principal.user_id,
                )
            )
            await record(actor, "need.add", "family", family_id, detail={"headline": headline})
            return _need(await self._current_need(family_id, ref))

    async def _current_need(self, family_id: int, need_ref: str) -> dict[str, Any]:
        row = (
            await Need.select()
            .where(
                Need.family == family_id, Need.need_ref == need_ref, Need.superseded_at.is_null()
            )
            .first()
        )
        if row is None:
            raise NotFound(f"This family has no need {need_ref!r}.")
        return dict(row)

    async def record_outcome(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        need_ref: str,
        *,
        version: int,
        outcome: str,
        outcome_on: dt.date,
    ) -> NeedRecord:
        """Record whether a need's outcome was achieved, and when."""
        problems = not_in_future("outcome_on", outcome_on)
        if outcome not in NEED_OUTCOMES:
            problems.append(field_error("outcome", "must be achieved or not_achieved"))
        refuse_if(problems, "The outcome")
        async with writing_family(self.engine, principal, actor, family_id):
            row = await self._current_need(family_id, need_ref)
            check_version(version, row["version"], _need(row), "The need")
            if outcome_on < row["identified_on"]:
                refuse_if([field_error("outcome_on", "before identified_on")], "The outcome")
            await _supersede(
                Need, row, {"outcome": outcome, "outcome_on": outcome_on}, principal.user_id
            )
            await record(actor, "need.outcome", "family", family_id, detail={"outcome": outcome})
            return _need(await self._current_need(family_id, need_ref))
