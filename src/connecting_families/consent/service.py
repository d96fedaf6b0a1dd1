"""Consent to share a family's information: recording it, withdrawing it, and what it covers.

A family has current consent while some consent given by one of its members has not been
withdrawn. Without it, an assessment cannot be completed unless the programme allows it
(`Programme.assessment_without_consent`), and then only with a reason, which is recorded.

The `…_of` functions are the repository: unchecked and unaudited, for a caller (a page, or the
service's own checked methods) that has checked and audited its read of the family already.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from piccolo.querystring import QueryString

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor, record
from connecting_families.consent.tables import Consent
from connecting_families.database.engine import AnyEngine, read_by_key
from connecting_families.errors import Conflict, NotFound, check_version, field_error, refuse_if
from connecting_families.families.members import MemberService
from connecting_families.families.scope import require_family, writing_family
from connecting_families.families.service import not_in_future
from connecting_families.programmes.tables import Programme

# How consent was given, in the order a form offers them: (code, as a person reads it).
METHODS: tuple[tuple[str, str], ...] = (
    ("in_person", "In person"),
    ("phone", "By phone"),
    ("writing", "In writing"),
    ("electronic", "Electronically"),
)
# The kinds of agency consent may cover sharing with.
AGENCIES: tuple[tuple[str, str], ...] = (
    ("school", "School or education"),
    ("health", "Health"),
    ("police", "Police"),
    ("housing", "Housing"),
    ("childrens_social_care", "Children's social care"),
    ("dwp", "DWP or Jobcentre Plus"),
    ("council", "Other council services"),
)
METHOD_NAMES = dict(METHODS)
AGENCY_NAMES = dict(AGENCIES)
MAX_REASON_LENGTH = 2000
NO_CONSENT = (
    "The family has no current consent to share information. Record consent before "
    "completing the assessment."
)
REASON_NEEDED = "Enter why the assessment is completed without the family's consent"


@attrs.frozen
class ConsentDraft:
    """Consent as a key worker records it."""

    person_id: int
    given_on: dt.date
    method: str
    agencies: tuple[str, ...]


@attrs.frozen
class ConsentWithdrawal:
    """A withdrawal of consent, made against the version of the consent that was read."""

    version: int
    withdrawn_on: dt.date
    reason: str | None = None


@attrs.frozen
class ConsentEvent:
    """Consent given or withdrawn, as one dated entry of the family's timeline."""

    on: dt.date
    kind: str  # consent_given or consent_withdrawn
    id: int
    person_id: int
    details: dict[str, Any]
    recorded_at: dt.datetime


@attrs.frozen
class ConsentRecord:
    id: int
    family_id: int
    person_id: int
    given_on: dt.date
    method: str
    agencies: tuple[str, ...]
    recorded_by: str
    recorded_at: dt.datetime
    withdrawn_on: dt.date | None
    withdrawn_reason: str | None
    withdrawn_recorded_by: str | None
    withdrawn_recorded_at: dt.datetime | None
    version: int

    @property
    def current(self) -> bool:
        return self.withdrawn_on is None

    @property
    def method_name(self) -> str:
        return METHOD_NAMES.get(self.method, self.method)

    @property
    def agency_names(self) -> list[str]:
        return [AGENCY_NAMES.get(code, code) for code in self.agencies]

    def events(self, instant: dt.datetime | None = None) -> list[ConsentEvent]:
        """Its giving and its withdrawal, as far as they were recorded by `instant` (all of
        them if None); each entry's id is the consent's."""
        events = []
        if instant is None or self.recorded_at <= instant:
            # In words, as the timeline shows them; the codes are in the consent itself.
            given = {"how": self.method_name, "covers": ", ".join(self.agency_names)}
            events.append(
                ConsentEvent(
                    self.given_on,
                    "consent_given",
                    self.id,
                    self.person_id,
                    given,
                    self.recorded_at,
                )
            )
        withdrawn_at = self.withdrawn_recorded_at
        if (
            self.withdrawn_on is not None
            and withdrawn_at is not None
            and (instant is None or withdrawn_at <= instant)
        ):
            withdrawn = {"reason": self.withdrawn_reason}
            events.append(
                ConsentEvent(
                    self.withdrawn_on,
                    "consent_withdrawn",
                    self.id,
                    self.person_id,
                    withdrawn,
                    withdrawn_at,
                )
            )
        return events


@attrs.frozen
class ConsentSummary:
    """Whether the family has current consent, since when, and what it covers: what every page
    of the family shows at its top."""

    current: bool
    since: dt.date | None = None
    agencies: tuple[str, ...] = ()

    @property
    def agency_names(self) -> list[str]:
        return [AGENCY_NAMES.get(code, code) for code in self.agencies]


@attrs.frozen
class CompletionConsent:
    """What the family's consent means for completing an assessment: the problems it raises
    (none when consent is current), and the reason to record when it is completed without."""

    problems: list[dict[str, str]]
    reason: str | None


_CONSENT_COLUMNS = (
    Consent.id,
    Consent.family,
    Consent.given_by,
    Consent.given_on,
    Consent.method,
    Consent.agencies,
    Consent.recorded_by.username.as_alias("recorded_by_name"),
    Consent.recorded_at,
    Consent.withdrawn_on,
    Consent.withdrawn_reason,
    Consent.withdrawn_recorded_by.username.as_alias("withdrawn_by_name"),
    Consent.withdrawn_recorded_at,
    Consent.version,
)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code for code in text.split(",") if code)


def _consent(row: dict[str, Any]) -> ConsentRecord:
    return ConsentRecord(
        id=row["id"],
        family_id=row["family"],
        person_id=row["given_by"],
        given_on=row["given_on"],
        method=row["method"],
        agencies=_codes(row["agencies"]),
        recorded_by=row["recorded_by_name"],
        recorded_at=row["recorded_at"],
        withdrawn_on=row["withdrawn_on"],
        withdrawn_reason=row["withdrawn_reason"],
        withdrawn_recorded_by=row["withdrawn_by_name"],
        withdrawn_recorded_at=row["withdrawn_recorded_at"],
        version=row["version"],
    )


async def consents_of(family_id: int) -> list[ConsentRecord]:
    """The family's consents, current and withdrawn, the most recently given first."""
    rows = (
        await Consent.select(*_CONSENT_COLUMNS)
        .where(Consent.family == family_id)
        .order_by(Consent.given_on, ascending=False)
        .order_by(Consent.id, ascending=False)
    )
    return [_consent(row) for row in rows]


# A plain statement: every family page's header asks it, and a read by key runs at once.
_CURRENT_SQL = "SELECT given_on, agencies FROM consent WHERE family = {} AND withdrawn_on IS NULL"


async def consent_of(family_id: int) -> ConsentSummary:
    """The family's current consent in one query: since the earliest consent not withdrawn,
    covering every kind of agency any of them covers."""
    rows = await read_by_key(QueryString(_CURRENT_SQL, family_id))
    if not rows:
        return ConsentSummary(current=False)
    covered = {code for row in rows for code in _codes(row["agencies"])}
    return ConsentSummary(
        current=True,
        since=min(row["given_on"] for row in rows),
        agencies=tuple(code for code, _ in AGENCIES if code in covered),
    )


async def consent_at_completion(family: dict[str, Any], reason: str | None) -> CompletionConsent:
    """Whether an assessment of `family` (its row, from `writing_family`) may be completed as
    far as consent goes: with current consent, yes; without, only where its programme allows
    it, and then with a reason. Refused outright (409) where the programme does not allow it."""
    if (await consent_of(family["id"])).current:
        return CompletionConsent(problems=[], reason=None)
    programme = (
        await Programme.select(Programme.assessment_without_consent)
        .where(Programme.id == family["programme"])
        .first()
    )
    if programme is None or not programme["assessment_without_consent"]:
        raise Conflict(NO_CONSENT)
    text = (reason or "").strip()
    if not text:
        return CompletionConsent(
            problems=[field_error("no_consent_reason", REASON_NEEDED)], reason=None
        )
    return CompletionConsent(problems=[], reason=text)


def _draft_problems(draft: ConsentDraft) -> list[dict[str, str]]:
    problems = not_in_future("given_on", draft.given_on)
    if draft.method not in METHOD_NAMES:
        methods = ", ".join(code for code, _ in METHODS)
        problems.append(field_error("method", f"must be one of {methods}"))
    if not draft.agencies:
        problems.append(
            field_error("agencies", "Select at least one kind of agency the consent covers")
        )
    elif unknown := [code for code in draft.agencies if code not in AGENCY_NAMES]:
        agencies = ", ".join(code for code, _ in AGENCIES)
        problems.append(
            field_error("agencies", f"unknown choice {unknown[0]!r}: one of {agencies}")
        )
    elif len(set(draft.agencies)) != len(draft.agencies):
        problems.append(field_error("agencies", "Select each kind of agency only once"))
    return problems


class ConsentService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_consents(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[ConsentRecord]:
        """The family's consents, the most recently given first."""
        await require_family(principal, actor, family_id, "read")
        consents = await consents_of(family_id)
        await record(actor, "family.consents.read", "family", family_id)
        return consents

    async def record_consent(
        self, principal: Principal, actor: Actor, family_id: int, draft: ConsentDraft
    ) -> ConsentRecord:
        """Record consent given by a current member of the household."""
        refuse_if(_draft_problems(draft), "The consent")
        async with writing_family(self.engine, principal, actor, family_id):
            members = await MemberService(self.engine).members_of(family_id)
            if not any(m.person_id == draft.person_id and m.current for m in members):
                refuse_if(
                    [
                        field_error(
                            "person_id", "Select a person who is a current member of the household"
                        )
                    ],
                    "The consent",
                )
            inserted = await Consent.insert(
                Consent(
                    family=family_id,
                    given_by=draft.person_id,
                    given_on=draft.given_on,
                    method=draft.method,
                    agencies=",".join(code for code, _ in AGENCIES if code in draft.agencies),
                    recorded_by=principal.user_id,
                    recorded_at=dt.datetime.now(dt.UTC),
                )
            ).returning(Consent.id)
            consent_id = inserted[0]["id"]
            await record(
                actor,
                "family.consent.create",
                "family",
                family_id,
                detail={"consent_id": consent_id, "agencies": sorted(draft.agencies)},
            )
        return await self._consent(family_id, consent_id)

    async def withdraw(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        consent_id: int,
        withdrawal: ConsentWithdrawal,
    ) -> ConsentRecord:
        """Record that consent was withdrawn on a date; the consent stays in the history."""
        problems = not_in_future("withdrawn_on", withdrawal.withdrawn_on)
        reason = (withdrawal.reason or "").strip() or None
        if reason is not None and len(reason) > MAX_REASON_LENGTH:
            problems.append(
                field_error("reason", f"must be {MAX_REASON_LENGTH:,} characters or fewer")
            )
        refuse_if(problems, "The withdrawal")
        async with writing_family(self.engine, principal, actor, family_id, even_if_closed=True):
            current = await self._consent(family_id, consent_id)
            check_version(withdrawal.version, current.version, current, "The consent")
            if current.withdrawn_on is not None:
                raise Conflict("This consent has already been withdrawn.")
            if withdrawal.withdrawn_on < current.given_on:
                refuse_if(
                    [
                        field_error(
                            "withdrawn_on", "must be the same as or after the date it was given"
                        )
                    ],
                    "The withdrawal",
                )
            await Consent.update(
                {
                    Consent.withdrawn_on: withdrawal.withdrawn_on,
                    Consent.withdrawn_reason: reason,
                    Consent.withdrawn_recorded_by: principal.user_id,
                    Consent.withdrawn_recorded_at: dt.datetime.now(dt.UTC),
                    Consent.version: current.version + 1,
                }
            ).where(Consent.id == consent_id)
            await record(
                actor,
                "family.consent.withdraw",
                "family",
                family_id,
                detail={"consent_id": consent_id},
            )
        return await self._consent(family_id, consent_id)

    async def _consent(self, family_id: int, consent_id: int) -> ConsentRecord:
        row = (
            await Consent.select(*_CONSENT_COLUMNS)
            .where(Consent.id == consent_id, Consent.family == family_id)
            .first()
        )
        if row is None:
            raise NotFound(f"There is no consent {consent_id} for this family.")
        return _consent(row)
