"""Writing to and searching the audit log: identifiers and codes only, no personal data."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
from piccolo.querystring import QueryString

from connecting_families.access.policy import Principal
from connecting_families.audit.tables import AuditEvent

MAX_PAGE = 500


@attrs.frozen
class Actor:
    """Who is acting: a signed-in user, or a named local operator running the CLI."""

    name: str
    source: str | None
    user_id: int | None = None
    roles: str | None = None

    @classmethod
    def of(cls, principal: Principal, source: str | None) -> Actor:
        return cls(
            name=principal.username,
            source=source,
            user_id=principal.user_id,
            roles=principal.role_names,
        )

    @classmethod
    def anonymous(cls, claimed_username: str, source: str | None) -> Actor:
        """A caller not (yet) signed in, named by the username they tried."""
        return cls(name=claimed_username[:80], source=source)

    @classmethod
    def operator(cls, name: str) -> Actor:
        return cls(name=f"cli:{name}"[:80], source="cli")


async def record(
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object = None,
    *,
    allowed: bool = True,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry. Runs inside the caller's transaction when there is one.

    A plain statement: every audited request writes one, and building a Piccolo row and its
    insert cost several times what running it does.
    """
    await AuditEvent._meta.db.run_querystring(
        QueryString(
            _INSERT,
            dt.datetime.now(dt.UTC),
            actor.user_id,
            actor.name,
            actor.roles,
            actor.source,
            action,
            resource_type,
            None if resource_id is None else str(resource_id),
            allowed,
            json.dumps(detail or {}),
        )
    )


_INSERT = (
    "INSERT INTO audit_event (occurred_at, actor, actor_name, actor_role, source, action,"
    " resource_type, resource_id, allowed, detail) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
)


@attrs.frozen
class AuditQuery:
    """Filters for searching the log; every one is optional. Newest first, by id."""

    actor_name: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    allowed: bool | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before_id: int | None = None
    limit: int = 100


async def search(query: AuditQuery) -> list[dict[str, Any]]:
    """Entries matching `query`, newest first."""
    conditions = []
    if query.actor_name is not None:
        conditions.append(AuditEvent.actor_name == query.actor_name)
    if query.action is not None:
        conditions.append(AuditEvent.action == query.action)
    if query.resource_type is not None:
        conditions.append(AuditEvent.resource_type == query.resource_type)
    if query.resource_id is not None:
        conditions.append(AuditEvent.resource_id == query.resource_id)
    if query.allowed is not None:
        conditions.append(AuditEvent.allowed == query.allowed)
    if query.since is not None:
        conditions.append(AuditEvent.occurred_at >= query.since)
    if query.until is not None:
        conditions.append(AuditEvent.occurred_at < query.until)
    if query.before_id is not None:
        conditions.append(AuditEvent.id < query.before_id)
    select = AuditEvent.select().order_by(AuditEvent.id, ascending=False)
    if conditions:
        select = select.where(*conditions)
    rows: list[dict[str, Any]] = await select.limit(min(max(query.limit, 1), MAX_PAGE)).output(
        load_json=True
    )
    return rows
