"""Family routes: list, create, read, update and the status lifecycle."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from connecting_families.access.caller import Caller
from connecting_families.access.policy import (
    FAMILY_CREATE,
    FAMILY_LIST,
    FAMILY_READ,
    FAMILY_SIGN_OFF,
    FAMILY_WRITE,
    TEAM_CASELOADS,
    Principal,
)
from connecting_families.audit.service import Actor
from connecting_families.families import service
from connecting_families.families.closures import ClosureService
from connecting_families.families.members import MemberService
from connecting_families.families.schemas import (
    Closure,
    ClosureSendBack,
    Family,
    FamilyCreate,
    FamilyDetail,
    FamilyPage,
    FamilyUpdate,
    Member,
    StatusChangeCreate,
)
from connecting_families.http_params import MAX_ID, RecordId, sent_fields, to_schema


class FamilyController(Controller):
    path = "/api/v1/families"
    tags = ["families"]

    @get(opt={"access": FAMILY_LIST})
    async def list_families(
        self,
        families: NamedDependency[service.FamilyService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        programme: FromQuery[str | None] = None,
        key_worker: FromQuery[str | None] = None,
        team_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        status: FromQuery[str | None] = None,
        ward: FromQuery[str | None] = None,
        postcode: FromQuery[str | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        sort: FromQuery[str] = "id",
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_PAGE)] = 50,
    ) -> FamilyPage:
        """The families you may see, filtered and sorted, one page at a time.

        Args:
            families: The family service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            programme: Only this programme (code).
            key_worker: Only families allocated to this key worker (username).
            team_id: Only families allocated to members of this team.
            status: Only `identified`, `attached` or `closed` families.
            ward: Only this ward.
            postcode: Only postcodes starting with this.
            q: Text in the family reference or a member's name.
            sort: `id`, `family_ref`, `-family_ref`, `identified_on` or `-identified_on`.
            cursor: The `next_cursor` of the previous page.
            limit: Families per page.
        """
        filters = service.FamilyFilters(
            programme=programme,
            key_worker=key_worker,
            team_id=team_id,
            status=status,
            ward=ward,
            postcode=postcode,
            text=q,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
        return to_schema(await families.list_families(principal, actor, filters), FamilyPage)

    @post(opt={"access": FAMILY_CREATE})
    async def create_family(
        self,
        families: NamedDependency[service.FamilyService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        data: JSONBody[FamilyCreate],
    ) -> Family:
        """Record a family identified for the programme.

        A key worker who records a family becomes its key worker.

        Args:
            families: The family service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            data: The family.
        """
        draft = service.FamilyDraft(
            programme=data.programme,
            family_ref=data.family_ref,
            identified_on=data.identified_on,
            postcode=data.postcode,
            ward=data.ward,
            local_filter=data.local_filter,
            expectant_parent=data.expectant_parent,
        )
        return to_schema(await families.create_family(principal, actor, draft), Family)

    @get("/{family_id:int}", opt={"access": FAMILY_READ})
    async def get_family(
        self,
        families: NamedDependency[service.FamilyService],
        members: NamedDependency[MemberService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> FamilyDetail:
        """One family, with its key worker, team, version and household members.

        Args:
            families: The family service.
            members: The member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        family = await families.get_family(principal, actor, family_id)
        household = await members.members_of(family_id)
        return FamilyDetail(
            **msgspec.structs.asdict(to_schema(family, Family)),
            members=to_schema(household, list[Member]),
        )

    @patch("/{family_id:int}", opt={"access": FAMILY_WRITE})
    async def update_family(
        self,
        families: NamedDependency[service.FamilyService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[FamilyUpdate],
    ) -> Family:
        """Change a family's details; 409 with the current state if `version` is stale.

        Args:
            families: The family service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The version you read and the fields you change.
        """
        updated = await families.update_family(
            principal, actor, family_id, data.version, sent_fields(data)
        )
        return to_schema(updated, Family)

    @post("/{family_id:int}/status", opt={"access": FAMILY_WRITE}, status_code=200)
    async def change_family_status(
        self,
        families: NamedDependency[service.FamilyService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[StatusChangeCreate],
    ) -> Family:
        """Attach, close or reopen the family; a reopening within 12 months is a re-referral.

        Args:
            families: The family service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The version you read, the new status, its date and (to close) a reason.
        """
        change = service.StatusChange(
            version=data.version, status=data.status, on=data.on, reason=data.reason
        )
        return to_schema(await families.change_status(principal, actor, family_id, change), Family)


class ClosureController(Controller):
    """Closures waiting for a team manager's sign-off, and the sign-off."""

    path = "/api/v1"
    tags = ["families"]

    @get("/closures/awaiting-sign-off", opt={"access": TEAM_CASELOADS})
    async def list_closures_awaiting_sign_off(
        self,
        closures: NamedDependency[ClosureService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
    ) -> list[Closure]:
        """Closures not yet signed off, of the families the caller may write to, oldest first.

        Args:
            closures: The closure service.
            principal: The signed-in manager.
            actor: The caller, for the audit log.
        """
        return to_schema(await closures.awaiting_sign_off(principal, actor), list[Closure])

    @post(
        "/families/{family_id:int}/closures/{closure_id:int}/sign-off",
        opt={"access": FAMILY_SIGN_OFF},
        status_code=200,
    )
    async def sign_off_closure(
        self,
        closures: NamedDependency[ClosureService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        closure_id: RecordId,
    ) -> Closure:
        """Sign off the family's closure; 409 if it is signed off already.

        Args:
            closures: The closure service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            closure_id: The closure (its status change's id).
        """
        signed = await closures.sign_off(principal, actor, family_id, closure_id)
        return to_schema(signed, Closure)

    @post(
        "/families/{family_id:int}/closures/{closure_id:int}/send-back",
        opt={"access": FAMILY_SIGN_OFF},
        status_code=200,
    )
    async def send_back_closure(
        self,
        closures: NamedDependency[ClosureService],
        caller: NamedDependency[Caller],
        family_id: RecordId,
        closure_id: RecordId,
        data: JSONBody[ClosureSendBack],
    ) -> Closure:
        """Send the family's closure back to the key worker, not signed off, with a reason:
        the family is open again (not a reopening). 409 if it is signed off already.

        Args:
            closures: The closure service.
            caller: The signed-in team manager.
            family_id: The family.
            closure_id: The closure (its status change's id).
            data: Why it goes back.
        """
        sent = await closures.send_back(caller, family_id, closure_id, reason=data.reason)
        return to_schema(sent, Closure)
