"""Searching the audit log (auditors and administrators)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from connecting_families.access.policy import AUDIT_READ, Principal
from connecting_families.audit.service import MAX_PAGE, Actor, AuditQuery, record, search
from connecting_families.domain.dates import as_utc
from connecting_families.http_params import BeforeId


class AuditEntry(msgspec.Struct):
    id: int
    occurred_at: dt.datetime
    actor_name: str
    actor_role: str | None
    source: str | None
    action: str
    resource_type: str
    resource_id: str | None
    allowed: bool
    detail: dict[str, Any]


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get(opt={"access": AUDIT_READ})
    async def search_audit_log(
        self,
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        actor_name: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        resource_type: FromQuery[str | None] = None,
        resource_id: FromQuery[str | None] = None,
        allowed: FromQuery[bool | None] = None,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
        before_id: BeforeId = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> list[AuditEntry]:
        """Search the log, newest first; page with `before_id` (the last id you saw).

        An administrator searches the whole log; an auditor, the entries about the programmes
        they belong to and their own (`audit.service.reader_scope`).

        Args:
            principal: The signed-in caller, whose reach the search keeps to.
            actor: The caller; searching the log is itself logged.
            actor_name: Only entries by this username (or `cli:operator`).
            action: Only this action, e.g. `family.read` or `auth.login`.
            resource_type: Only this kind of record, e.g. `family`.
            resource_id: Only this record.
            allowed: Only allowed (true) or denied (false) entries.
            since: Only entries at or after this instant.
            until: Only entries before this instant.
            before_id: Only entries older than this id (the next page).
            limit: At most this many entries.
        """
        # An instant without a zone is taken as UTC, the same on either database.
        since, until = (as_utc(t) for t in (since, until))
        query = AuditQuery(
            actor_name=actor_name,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            allowed=allowed,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        )
        rows = await search(query, principal)
        await record(actor, "audit.search", "audit_log", detail={"returned": len(rows)})
        return [
            AuditEntry(
                id=row["id"],
                occurred_at=row["occurred_at"],
                actor_name=row["actor_name"],
                actor_role=row["actor_role"],
                source=row["source"],
                action=row["action"],
                resource_type=row["resource_type"],
                resource_id=row["resource_id"],
                allowed=bool(row["allowed"]),
                detail=row["detail"],
            )
            for row in rows
        ]
