"""Writing to and searching the audit log: identifiers and codes only, no personal data."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
from piccolo.columns.combination import Or
from piccolo.custom_types import Combinable

from connecting_families.access.policy import ADMIN, Principal
from connecting_families.audit.chain import append
from connecting_families.audit.page_views import page_view_mark
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
    programme: int | None = None,
) -> None:
    """Append one entry to the hash chain. Runs inside the caller's transaction when there is
    one, and then holds the chain's lock until it ends (on SQLite the transaction already
    holds the one writer's): so record last, after the transaction's other writes, or every
    other audited request waits for the rest of it (and one that locks rows the other way
    round could deadlock on PostgreSQL).

    `programme` is the programme the entry is about; left out, it is found from the record
    (`audit.chain.PROGRAMME_OF`), and an entry about anything else has none: only
    administrators, and the actor themself, see it. Plain statements: every audited request
    writes one, and building a Piccolo row and its insert cost several times what running it
    does.
    """
    if mark := page_view_mark():
        detail = {**(detail or {}), **mark}
    await append(
        AuditEvent._meta.db,
        {
            "occurred_at": dt.datetime.now(dt.UTC),
            "actor": actor.user_id,
            "actor_name": actor.name,
            "actor_role": actor.roles,
            "source": actor.source,
            "action": action,
            "resource_type": resource_type,
            "resource_id": None if resource_id is None else str(resource_id),
            "allowed": allowed,
            "detail": json.dumps(detail or {}),
            "programme": programme,
        },
    )


@attrs.frozen
class AuditQuery:
    """Filters for searching the log; every one is optional. Newest first, by id."""

    actor_name: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    # Any of these records (of `resource_type`): a family found by its reference, say.
    resource_ids: tuple[str, ...] | None = None
    allowed: bool | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before_id: int | None = None
    limit: int = 100


def reader_scope(principal: Principal) -> Combinable | None:
    """The entries `principal` may read: all for an administrator; for anyone else (an
    auditor), the entries about the programmes they belong to, and their own.

    An entry about no programme (a sign-in, a user's account, a refused route) is an
    administrator's only, so every new kind of entry is hidden from auditors until it names
    its programme.
    """
    if ADMIN in principal.roles:
        return None
    own = AuditEvent.actor == principal.user_id
    if not principal.programme_ids:
        return own
    return Or(AuditEvent.programme.is_in(sorted(principal.programme_ids)), own)


async def search(query: AuditQuery, principal: Principal) -> list[dict[str, Any]]:
    """Entries matching `query` that `principal` may read (`reader_scope`), newest first."""
    conditions: list[Any] = []
    scope = reader_scope(principal)
    if scope is not None:
        conditions.append(scope)
    if query.actor_name is not None:
        conditions.append(AuditEvent.actor_name == query.actor_name)
    if query.action is not None:
        conditions.append(AuditEvent.action == query.action)
    if query.resource_type is not None:
        conditions.append(AuditEvent.resource_type == query.resource_type)
    if query.resource_id is not None:
        conditions.append(AuditEvent.resource_id == query.resource_id)
    if query.resource_ids is not None:
        conditions.append(AuditEvent.resource_id.is_in(list(query.resource_ids) or [""]))
    if query.allowed is not None:
        conditions.append(AuditEvent.allowed == query.allowed)
    if query.since is not None:
        conditions.append(AuditEvent.occurred_at >= query.since)
    if query.until is not None:
        conditions.append(AuditEvent.occurred_at < query.until)
    if query.before_id is not None:
        conditions.append(AuditEvent.id < query.before_id)
    select = AuditEvent.select(*SHOWN).order_by(AuditEvent.id, ascending=False)
    if conditions:
        select = select.where(*conditions)
    rows: list[dict[str, Any]] = await select.limit(min(max(query.limit, 1), MAX_PAGE)).output(
        load_json=True
    )
    return rows


# What a search returns: not the entry's programme (an auditor's own entry about another
# programme's family would tell them where it is) nor the chain's columns.
SHOWN = (
    AuditEvent.id,
    AuditEvent.occurred_at,
    AuditEvent.actor,
    AuditEvent.actor_name,
    AuditEvent.actor_role,
    AuditEvent.source,
    AuditEvent.action,
    AuditEvent.resource_type,
    AuditEvent.resource_id,
    AuditEvent.allowed,
    AuditEvent.detail,
)
