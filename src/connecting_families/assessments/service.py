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
import json
import secrets
from typing import Any

import attrs

from connecting_families.access.caller import Caller
from connecting_families.access.policy import TEAM_MANAGER, Principal, family_scope
from connecting_families.assessments.records import (
    ASSESSMENT_COLUMNS,
    CONTENT_LIMIT,
    HEADLINE_LIMIT,
    LATE_REASONS,
    NEED_OUTCOMES,
    AssessmentContent,
    AssessmentRecord,
    NeedRecord,
    assessments_of,
    need_from_row,
    needs_of,
)
from connecting_families.assessments.records import (
    assessment_from_row as _assessment,
)
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.audit.service import Actor, record
from connecting_families.consent.service import consent_at_completion
from connecting_families.database.engine import AnyEngine
from connecting_families.domain import dates
from connecting_families.errors import (
    Conflict,
    Forbidden,
    NotFound,
    check_version,
    field_error,
    refuse_if,
)
from connecting_families.families.existence import audited_refusals, refuse_taken_ref
from connecting_families.families.scope import family_row, require_family, writing_family
from connecting_families.families.service import not_in_future, validate_ref
from connecting_families.families.tables import Family, Membership
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.tables import Programme

AWAITING_LIMIT = 200


@attrs.frozen
class Awaiting:
    """An assessment waiting for a team manager's sign-off, with its family's reference."""

    family_ref: str
    assessment: AssessmentRecord


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


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _headline_json(texts: dict[str, str]) -> str | None:
    """The headlines' texts as the column holds them: only those with words, or NULL."""
    kept = {headline: text.strip() for headline, text in texts.items() if text.strip()}
    return json.dumps(kept) if kept else None


def late_reason_problems(code: str | None, words: str | None) -> list[dict[str, str]]:
    """What is wrong with the reason a late completion gives: a code from `LATE_REASONS`,
    and for "other", the reason in words."""
    if code not in LATE_REASONS:
        return [field_error("late_reason_code", f"must be one of {', '.join(LATE_REASONS)}")]
    if code == "other" and not words:
        return [field_error("late_reason", "must not be empty")]
    return []


def content_problems(
    content: AssessmentContent, headlines: tuple[str, ...]
) -> list[dict[str, str]]:
    """What is wrong with an assessment's content: a part too long, or a headline that is not
    one of the programme's rule set's."""
    problems = []
    parts = (
        ("family_view", content.family_view),
        ("strengths", content.strengths),
        ("child_voice", content.child_voice),
        ("analysis", content.analysis),
    )
    for name, value in parts:
        if value and len(value.strip()) > CONTENT_LIMIT:
            problems.append(field_error(name, f"must be {CONTENT_LIMIT:,} characters or fewer"))
    for headline, text in content.headline_needs.items():
        field = f"headline_needs.{headline}"
        if headline not in headlines:
            problems.append(field_error(field, "is not a headline of this programme's rule set"))
        elif len(text.strip()) > HEADLINE_LIMIT:
            problems.append(field_error(field, f"must be {HEADLINE_LIMIT:,} characters or fewer"))
    return problems


def sending_back(caller: Caller) -> Principal:
    """The team manager sending a record back; anyone else is refused (403)."""
    if caller.principal is None or TEAM_MANAGER not in caller.principal.roles:
        raise Forbidden("Only a team manager can send work back to a key worker.")
    return caller.principal


class AssessmentService:
    def __init__(self, engine: AnyEngine, plugins: PluginHost) -> None:
        self.engine = engine
        self.plugins = plugins

    async def list_assessments(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[AssessmentRecord]:
        await require_family(principal, actor, family_id, "read")
        await record(actor, "family.assessments.read", "family", family_id)
        return await assessments_of(family_id)

    async def headlines_of(self, family_id: int) -> tuple[str, ...]:
        """The headlines of the family's programme's rule set, in the rule set's order;
        unchecked, for a page that has checked its read of the family already."""
        row = await family_row(family_id)
        return self.plugins.headlines(row["ruleset_id"]) if row else ()

    async def awaiting_sign_off(self, principal: Principal, actor: Actor) -> list[Awaiting]:
        """Completed assessments not yet signed off, of the families the caller may write to
        (a team manager: their team's and the unallocated), oldest completion first."""
        rows = await (
            Assessment.select(
                *ASSESSMENT_COLUMNS,
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
            await Assessment.select(*ASSESSMENT_COLUMNS)
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

    async def save_content(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        assessment_ref: str,
        *,
        version: int,
        content: AssessmentContent,
    ) -> AssessmentRecord:
        """Save the assessment's content as a draft, as often as needed until it is completed;
        each save is a new version, and names the version it was made against."""
        async with writing_family(self.engine, principal, actor, family_id) as family:
            row = await self._current(family_id, assessment_ref)
            check_version(
                version,
                row["version"],
                await self._record_of(family, assessment_ref),
                "The assessment",
            )
            if row["completed_on"] is not None:
                raise Conflict("The assessment is complete: its content can no longer change.")
            refuse_if(
                content_problems(content, self.plugins.headlines(family["ruleset_id"])),
                "The assessment",
            )
            await _supersede(
                Assessment,
                row,
                {
                    "family_view": _text(content.family_view),
                    "strengths": _text(content.strengths),
                    "headline_needs": _headline_json(content.headline_needs),
                    "child_voice": _text(content.child_voice),
                    "analysis": _text(content.analysis),
                },
                principal.user_id,
            )
            await record(actor, "assessment.save_content", "family", family_id)
            return await self._record_of(family, assessment_ref)

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
        late_reason_code: str | None = None,
        no_consent_reason: str | None = None,
    ) -> AssessmentRecord:
        """Complete an assessment; one completed outside the timescale needs a reason from
        `LATE_REASONS` ("other" with the reason in words). Words without a code are "other",
        as every reason was before the codes. One of a family without current consent is
        refused unless the programme allows it, and then needs a reason too
        (`consent.service.consent_at_completion`)."""
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
            words = (late_reason or "").strip() or None
            code = (
                late_reason_code if late_reason_code is not None else ("other" if words else None)
            )
            if late:
                problems += late_reason_problems(code, words)
            consent = await consent_at_completion(family, no_consent_reason)
            problems += consent.problems
            refuse_if(problems, "The completion")
            await _supersede(
                Assessment,
                row,
                {
                    "completed_on": completed_on,
                    "late_reason_code": code if late else None,
                    "late_reason": words if late else None,
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
        async with writing_family(
            self.engine, principal, actor, family_id, even_if_closed=True
        ) as family:
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

    async def send_back(
        self, caller: Caller, family_id: int, assessment_ref: str, *, version: int, reason: str
    ) -> AssessmentRecord:
        """A team manager sends a completed assessment back to the key worker, not signed
        off, with a reason: its next version is a draft again (its content can change and it
        is completed again), and carries who sent it back, when and why, for the key worker
        to read on the assessment's page."""
        principal = sending_back(caller)
        words = reason.strip()
        refuse_if([] if words else [field_error("reason", "must not be empty")], "Sending back")
        async with writing_family(self.engine, principal, caller.actor, family_id) as family:
            row = await self._current(family_id, assessment_ref)
            check_version(
                version,
                row["version"],
                await self._record_of(family, assessment_ref),
                "The assessment",
            )
            if row["signed_off_at"] is not None:
                raise Conflict("The assessment is signed off already; it cannot be sent back.")
            if row["completed_on"] is None:
                raise Conflict("Only a completed assessment can be sent back.")
            await _supersede(
                Assessment,
                row,
                {
                    "completed_on": None,
                    "late_reason_code": None,
                    "late_reason": None,
                    "no_consent_reason": None,
                    "sent_back_by": principal.user_id,
                    "sent_back_at": dt.datetime.now(dt.UTC),
                    "sent_back_reason": words,
                },
                principal.user_id,
            )
            await record(caller.actor, "assessment.send_back", "family", family_id)
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
            return need_from_row(await self._current_need(family_id, ref))

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
            check_version(version, row["version"], need_from_row(row), "The need")
            if outcome_on < row["identified_on"]:
                refuse_if([field_error("outcome_on", "before identified_on")], "The outcome")
            await _supersede(
                Need, row, {"outcome": outcome, "outcome_on": outcome_on}, principal.user_id
            )
            await record(actor, "need.outcome", "family", family_id, detail={"outcome": outcome})
            return need_from_row(await self._current_need(family_id, need_ref))
