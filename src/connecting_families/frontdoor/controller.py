"""Front-door routes: the queue, a contact recorded, read and decided, and a family's contacts."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CONTACT_READ, CONTACT_RECEIVE, FAMILY_READ
from connecting_families.frontdoor import drafts, schemas, service
from connecting_families.http_params import RecordId, to_schema


def contact_draft(data: schemas.ContactCreate) -> drafts.ContactDraft:
    return drafts.ContactDraft(
        programme=data.programme,
        received_at=data.received_at,
        channel=data.channel,
        source=data.source,
        summary=data.summary,
        consent_to_share=data.consent_to_share,
        kind=data.kind,
        source_name=data.source_name,
        family_id=data.family_id,
        people=tuple(
            drafts.NewContactPerson(
                given_name=p.given_name,
                family_name=p.family_name,
                date_of_birth=p.date_of_birth,
                role=p.role,
                person_id=p.person_id,
                create_anyway=p.create_anyway,
            )
            for p in data.people
        ),
        concerns=tuple(data.concerns),
        social_care_ref=data.social_care_ref,
        repeat_reason=data.repeat_reason,
        repeat_detail=data.repeat_detail,
    )


class ContactController(Controller):
    path = "/api/v1/contacts"
    tags = ["front door"]

    @get(opt={"access": CONTACT_RECEIVE})
    async def queue(
        self,
        front_door: NamedDependency[service.FrontDoorService],
        caller: NamedDependency[Caller],
    ) -> list[schemas.Contact]:
        """The contacts waiting for a decision in your programmes, the one due first first.

        Args:
            front_door: The front-door service.
            caller: The signed-in caller.
        """
        return to_schema(await front_door.queue(caller), list[schemas.Contact])

    @post(opt={"access": CONTACT_RECEIVE})
    async def record_contact(
        self,
        front_door: NamedDependency[service.FrontDoorService],
        caller: NamedDependency[Caller],
        data: JSONBody[schemas.ContactCreate],
    ) -> schemas.Contact:
        """Record a contact or request for support as it came to the front door; it is due for
        a decision within the programme's timescale (`decide_by`). A person who may already be
        known is refused (409, with the matches you may see) unless `create_anyway`.

        Args:
            front_door: The front-door service.
            caller: The signed-in caller.
            data: When, how and from whom it came, whom it is about, and what it said.
        """
        recorded = await front_door.record_contact(caller, contact_draft(data))
        return to_schema(recorded, schemas.Contact)

    @get("/{contact_id:int}", opt={"access": CONTACT_READ})
    async def get_contact(
        self,
        front_door: NamedDependency[service.FrontDoorService],
        caller: NamedDependency[Caller],
        contact_id: RecordId,
    ) -> schemas.Contact:
        """One contact: the front door's, or one about a family you may read.

        Args:
            front_door: The front-door service.
            caller: The signed-in caller.
            contact_id: The contact.
        """
        return to_schema(await front_door.get_contact(caller, contact_id), schemas.Contact)

    @post("/{contact_id:int}/decision", opt={"access": CONTACT_RECEIVE}, status_code=200)
    async def decide(
        self,
        front_door: NamedDependency[service.FrontDoorService],
        caller: NamedDependency[Caller],
        contact_id: RecordId,
        data: JSONBody[schemas.DecisionCreate],
    ) -> schemas.Contact:
        """Decide the contact (final); 409 with nothing changed if `version` is stale.
        Family help brings the family in: attached, reopened, or created with the contact's
        people as its household, waiting for allocation.

        Args:
            front_door: The front-door service.
            caller: The signed-in caller.
            contact_id: The contact.
            data: The decision, against the version you read.
        """
        draft = drafts.DecisionDraft(
            version=data.version,
            decision=data.decision,
            note=data.note,
            late_reason_code=data.late_reason_code,
            late_reason=data.late_reason,
            social_care_ref=data.social_care_ref,
            family_ref=data.family_ref,
        )
        decided = await front_door.decide(caller, contact_id, draft)
        return to_schema(decided, schemas.Contact)


class FamilyContactController(Controller):
    path = "/api/v1/families/{family_id:int}/contacts"
    tags = ["families"]

    @get(opt={"access": FAMILY_READ})
    async def family_contacts(
        self,
        front_door: NamedDependency[service.FrontDoorService],
        caller: NamedDependency[Caller],
        family_id: RecordId,
    ) -> list[schemas.Contact]:
        """The contacts about the family, and their decisions: the ones that brought it in.

        Args:
            front_door: The front-door service.
            caller: The signed-in caller.
            family_id: The family.
        """
        contacts = await front_door.family_contacts(caller, family_id)
        return to_schema(contacts, list[schemas.Contact])
