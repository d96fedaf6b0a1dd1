"""The front door: a contact recorded, the queue of contacts to decide, and the decision.

A contact is about a family the front door found (it reads its programmes' families) or about
people it names, each checked against the programme as a new household's people are
(`MemberService.duplicate_check`). It is to be decided within the programme's timescale
(`Programme.contact_decision_days` working days, England's bank holidays excluded); a late
decision says why. A contact about a family whose involvement ended within the 12 months
before it came is a repeat contact, and says why the family came back.

Deciding "family help" brings the family in, in the same transaction: a family found is
attached, or reopened if closed (a re-referral, as `FamilyService.change_status` counts one);
otherwise the family is created with the contact's people as its household, attached and
waiting for a team manager to allocate it. A decision is final.
"""

from __future__ import annotations

import datetime as dt
import secrets

import attrs

from connecting_families.access.caller import Caller
from connecting_families.access.policy import FRONT_DOOR, Principal, family_scope
from connecting_families.audit.service import record
from connecting_families.database.engine import AnyEngine, take_turns, write_transaction
from connecting_families.domain.dates import add_working_days, as_utc, day_in_england, today
from connecting_families.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    check_version,
    field_error,
    refuse_if,
)
from connecting_families.families.existence import (
    AuditedRefusal,
    audited_refusals,
    households,
    readable,
)
from connecting_families.families.members import (
    KNOWN_ELSEWHERE,
    MemberService,
    PersonDraft,
)
from connecting_families.families.scope import family_row, require_family
from connecting_families.families.service import (
    FamilyDraft,
    FamilyService,
)
from connecting_families.frontdoor.drafts import (
    ContactDraft,
    DecisionDraft,
    decision_problems,
    draft_problems,
    is_repeat,
    repeat_problems,
)
from connecting_families.frontdoor.records import (
    ContactRecord,
    contact_of,
    contacts_of_family,
    contacts_where,
)
from connecting_families.frontdoor.tables import Contact, ContactPerson
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.tables import Programme
from connecting_families.programmes.versions import evidence_changed

NOT_YOURS = "There is no contact {}, or it is not yours to see."
# The queue shows at most this many contacts waiting (the oldest due first).
QUEUE_LIMIT = 500


@attrs.define
class FrontDoorService:
    engine: AnyEngine
    plugins: PluginHost
    families: FamilyService
    members: MemberService

    @staticmethod
    def _front_door(caller: Caller) -> Principal:
        principal = caller.principal
        if principal is None or FRONT_DOOR not in principal.roles:
            raise Forbidden("Only the front door records and decides contacts.")
        return principal

    async def programme_of(self, caller: Caller, code: str) -> dict[str, object]:
        """The programme's row, if the front-door caller works in it."""
        principal = self._front_door(caller)
        row = (
            await Programme.select(
                Programme.id, Programme.code, Programme.ruleset_id, Programme.contact_decision_days
            )
            .where(Programme.code == code)
            .first()
        )
        if row is None or row["id"] not in principal.programme_ids:
            raise Invalid(
                "programme: not a programme you work in",
                errors=[field_error("programme", "unknown or not yours")],
            )
        return row

    async def record_contact(self, caller: Caller, draft: ContactDraft) -> ContactRecord:
        """Record a contact as the front door received it; audited as `contact.create`."""
        principal = self._front_door(caller)
        # An instant without an offset is UTC, as everywhere in the API.
        received_at = as_utc(draft.received_at)
        assert received_at is not None
        draft = attrs.evolve(draft, received_at=received_at)
        programme = await self.programme_of(caller, draft.programme)
        programme_id = int(programme["id"])  # type: ignore[call-overload]
        problems = draft_problems(draft, self.plugins.headlines(str(programme["ruleset_id"])))
        received_on = day_in_england(draft.received_at)
        repeat = False
        if draft.family_id is not None:
            family = await family_row(draft.family_id, family_scope(principal, "read"))
            if family is None or family["programme"] != programme_id:
                await record(caller.actor, "family.read", "family", draft.family_id, allowed=False)
                problems.append(field_error("family_id", "Select a family from the search"))
            elif repeat := is_repeat(family, received_on):
                problems += repeat_problems(draft)
        refuse_if(problems, "The contact")
        async with audited_refusals(caller.actor):
            await self._check_people(principal, programme_id, draft)
        days = int(programme["contact_decision_days"])  # type: ignore[call-overload]
        now = dt.datetime.now(dt.UTC)
        async with write_transaction(self.engine):
            inserted = await Contact.insert(
                Contact(
                    programme=programme_id,
                    kind=draft.kind,
                    received_at=draft.received_at,
                    channel=draft.channel,
                    source=draft.source,
                    source_name=(draft.source_name or "").strip() or None,
                    family=draft.family_id,
                    concerns=",".join(draft.concerns),
                    consent_to_share=draft.consent_to_share,
                    summary=draft.summary.strip(),
                    social_care_ref=draft.social_care_ref or None,
                    is_repeat=repeat,
                    repeat_reason=draft.repeat_reason if repeat else None,
                    repeat_detail=((draft.repeat_detail or "").strip() or None)
                    if repeat
                    else None,
                    decide_by=add_working_days(received_on, days),
                    recorded_by=principal.user_id,
                    recorded_at=now,
                )
            ).returning(Contact.id)
            contact_id = int(inserted[0]["id"])
            for person in draft.people:
                await ContactPerson.insert(
                    ContactPerson(
                        contact=contact_id,
                        person=person.person_id,
                        given_name=person.given_name.strip(),
                        family_name=person.family_name.strip(),
                        date_of_birth=person.date_of_birth,
                        role=person.role,
                    )
                )
            await record(
                caller.actor,
                "contact.create",
                "contact",
                contact_id,
                detail={"family": draft.family_id, "repeat": repeat, "kind": draft.kind},
                programme=programme_id,
            )
        found = await contact_of(contact_id)
        assert found is not None
        return found

    async def _check_people(
        self, principal: Principal, programme_id: int, draft: ContactDraft
    ) -> None:
        """Refuse a person who may be someone known (the page asked already; this holds for a
        form sent after someone else recorded them), and a known person out of scope."""
        known = [p.person_id for p in draft.people if p.person_id is not None]
        if known:
            homes = await households(known)
            visible = await readable(principal, set().union(*homes.values()))
            for index, person in enumerate(draft.people):
                if person.person_id is not None and not homes[person.person_id] & visible:
                    refuse_if(
                        [field_error(f"person-{index}", "Select a person from the search")],
                        "The contact",
                    )
        for index, person in enumerate(draft.people):
            if person.person_id is not None or person.create_anyway:
                continue
            check = await self.members.duplicate_check(
                principal,
                programme_id,
                PersonDraft(person.given_name, person.family_name, person.date_of_birth),
                from_family=None,
            )
            if check.offered or check.known_elsewhere:
                message = (
                    "This person may already be known: check the people found"
                    if check.offered
                    else KNOWN_ELSEWHERE
                )
                raise AuditedRefusal(
                    Conflict(
                        "A person the contact is about may already be known.",
                        errors=[field_error(f"person-{index}", message)],
                        extra={"matches": [attrs.asdict(m) for m in check.offered]},
                    ),
                    check.probes,
                )

    async def queue(self, caller: Caller) -> list[ContactRecord]:
        """The contacts waiting for a decision in the caller's programmes, the one due first
        first; audited as the list of the contacts shown."""
        principal = self._front_door(caller)
        waiting = await contacts_where(
            Contact.programme.is_in(sorted(principal.programme_ids) or [0]),
            Contact.decision.is_null(),
            newest_first=False,
        )
        waiting = sorted(waiting, key=lambda c: (c.decide_by, c.received_at))[:QUEUE_LIMIT]
        await record(
            caller.actor,
            "contact.list",
            "contact",
            None,
            detail={"contacts": [c.id for c in waiting]},
        )
        return waiting

    async def recently_decided(self, caller: Caller, days: int = 7) -> list[ContactRecord]:
        """The contacts decided in the caller's programmes over the last `days` days."""
        principal = self._front_door(caller)
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        decided = await contacts_where(
            Contact.programme.is_in(sorted(principal.programme_ids) or [0]),
            Contact.decided_at >= since,
        )
        decided = sorted(decided, key=lambda c: c.decision.decided_at if c.decision else since)
        decided.reverse()
        await record(
            caller.actor,
            "contact.list",
            "contact",
            None,
            detail={"contacts": [c.id for c in decided], "decided": True},
        )
        return decided

    async def _visible(self, caller: Caller, contact_id: int) -> ContactRecord:
        """The contact if the caller may see it: the front door in its programme, anyone else
        through its family; otherwise audited and not found (nothing says it exists)."""
        principal = caller.principal
        contact = await contact_of(contact_id)
        if contact is not None and principal is not None:
            if FRONT_DOOR in principal.roles and contact.programme_id in principal.programme_ids:
                return contact
            if contact.family_id is not None and await readable(principal, [contact.family_id]):
                return contact
        if contact is not None and principal is None:
            return contact  # the local operator
        await record(caller.actor, "contact.read", "contact", contact_id, allowed=False)
        raise NotFound(NOT_YOURS.format(contact_id))

    async def get_contact(self, caller: Caller, contact_id: int) -> ContactRecord:
        contact = await self._visible(caller, contact_id)
        await record(
            caller.actor,
            "contact.read",
            "contact",
            contact_id,
            detail={"family": contact.family_id},
            programme=contact.programme_id,
        )
        return contact

    async def family_contacts(self, caller: Caller, family_id: int) -> list[ContactRecord]:
        """The contacts about the family (the ones that brought it in), the latest first."""
        assert caller.principal is not None
        await require_family(caller.principal, caller.actor, family_id, "read")
        contacts = await contacts_of_family(family_id)
        await record(caller.actor, "family.contacts.read", "family", family_id)
        return contacts

    async def decide(self, caller: Caller, contact_id: int, draft: DecisionDraft) -> ContactRecord:
        """Decide the contact; "family help" brings the family in (see the module docstring).
        Audited as `contact.decide`, with whether it was in time."""
        principal = self._front_door(caller)
        contact = await self._visible(caller, contact_id)
        if contact.programme_id not in principal.programme_ids:
            raise NotFound(NOT_YOURS.format(contact_id))
        decided_on = today()
        late = decided_on > contact.decide_by
        refuse_if(decision_problems(draft, late), "The decision")
        programme = (
            await Programme.select(Programme.code).where(Programme.id == contact.programme_id)
        )[0]
        async with audited_refusals(caller.actor), write_transaction(self.engine):
            # The family's other writers (its key worker) take turns with this one too; the
            # locks first, then the programme's row (`evidence_changed`), as `writing_family`.
            keys = [f"contact:{contact_id}"]
            if draft.decision == "family_help" and contact.family_id is not None:
                keys.append(f"family:{contact.family_id}")
            await take_turns(self.engine, *keys)
            current = await contact_of(contact_id)
            assert current is not None
            check_version(draft.version, current.version, None, "The contact")
            if current.decided:
                raise Conflict("This contact has been decided already.")
            family_id = current.family_id
            brought_in = None
            if draft.decision == "family_help":
                await evidence_changed(current.programme_id)
                family_id, brought_in = await self._bring_in(
                    caller, principal, current, programme["code"], draft, decided_on
                )
            await Contact.update(
                {
                    Contact.decision: draft.decision,
                    Contact.decided_at: dt.datetime.now(dt.UTC),
                    Contact.decided_by: principal.user_id,
                    Contact.decision_note: (draft.note or "").strip() or None,
                    Contact.late_reason_code: draft.late_reason_code if late else None,
                    Contact.late_reason: ((draft.late_reason or "").strip() or None)
                    if late
                    else None,
                    Contact.social_care_ref: draft.social_care_ref or current.social_care_ref,
                    Contact.family: family_id,
                    Contact.version: current.version + 1,
                }
            ).where(Contact.id == contact_id)
            await record(
                caller.actor,
                "contact.decide",
                "contact",
                contact_id,
                detail={
                    "decision": draft.decision,
                    "family": family_id,
                    "within_timescale": not late,
                    "family_change": brought_in,
                },
                programme=current.programme_id,
            )
        decided = await contact_of(contact_id)
        assert decided is not None
        return decided

    async def _bring_in(
        self,
        caller: Caller,
        principal: Principal,
        contact: ContactRecord,
        programme_code: str,
        draft: DecisionDraft,
        on: dt.date,
    ) -> tuple[int, str]:
        """Inside the decision's transaction: the family joins family help (created from the
        contact's people if it has no family yet); its id, and what changed."""
        if contact.family_id is not None:
            row = await family_row(contact.family_id)
            assert row is not None
            return contact.family_id, await self.families.admit(principal, caller.actor, row, on)
        received_on = day_in_england(contact.received_at)
        family_ref = draft.family_ref or f"CF-{secrets.token_hex(4).upper()}"
        family_id = await self.families.insert_family(
            principal,
            caller.actor,
            contact.programme_id,
            FamilyDraft(
                programme=programme_code, family_ref=family_ref, identified_on=received_on
            ),
        )
        for person in contact.people:
            person_id = person.person_id or await self.members.create_person(
                principal,
                None,
                contact.programme_id,
                PersonDraft(person.given_name, person.family_name, person.date_of_birth),
            )
            await self.members.insert_membership(
                principal,
                caller.actor,
                contact.programme_id,
                family_id,
                person_id,
                person.role,
                None,
            )
        row = await family_row(family_id)
        assert row is not None
        await self.families.admit(principal, caller.actor, row, on)
        return family_id, "created"
