"""Consent routes: a family's consents, recording one, and withdrawing it."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.consent import service
from connecting_families.consent.schemas import Consent, ConsentCreate, ConsentWithdrawal
from connecting_families.http_params import RecordId, to_schema


class ConsentController(Controller):
    path = "/api/v1/families/{family_id:int}/consents"
    tags = ["families"]

    @get(opt={"access": FAMILY_READ})
    async def list_consents(
        self,
        consents: NamedDependency[service.ConsentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[Consent]:
        """The family's consents to share its information, current and withdrawn, the most
        recently given first.

        Args:
            consents: The consent service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        return to_schema(await consents.list_consents(principal, actor, family_id), list[Consent])

    @post(opt={"access": FAMILY_WRITE})
    async def record_consent(
        self,
        consents: NamedDependency[service.ConsentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[ConsentCreate],
    ) -> Consent:
        """Record consent given by a current member of the household (an adult, or the young
        person), how it was given, and the kinds of agency it covers.

        Args:
            consents: The consent service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: Who gave it, when, how, and what it covers.
        """
        draft = service.ConsentDraft(
            person_id=data.person_id,
            given_on=data.given_on,
            method=data.method,
            agencies=tuple(data.agencies),
        )
        return to_schema(
            await consents.record_consent(principal, actor, family_id, draft), Consent
        )

    @post("/{consent_id:int}/withdraw", opt={"access": FAMILY_WRITE}, status_code=200)
    async def withdraw_consent(
        self,
        consents: NamedDependency[service.ConsentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        consent_id: RecordId,
        data: JSONBody[ConsentWithdrawal],
    ) -> Consent:
        """Record that consent was withdrawn; 409 with the current state if `version` is stale.

        Args:
            consents: The consent service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            consent_id: The consent withdrawn.
            data: The version you read, the date it was withdrawn and, optionally, why.
        """
        withdrawal = service.ConsentWithdrawal(
            version=data.version, withdrawn_on=data.withdrawn_on, reason=data.reason
        )
        withdrawn = await consents.withdraw(principal, actor, family_id, consent_id, withdrawal)
        return to_schema(withdrawn, Consent)
