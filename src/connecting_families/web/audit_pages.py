"""The audit log search: for administrators, and for auditors within their programmes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.policy import ADMIN, AUDIT_READ, Principal
from connecting_families.audit.service import Actor, AuditQuery, record, search
from connecting_families.errors import Invalid
from connecting_families.web.forms import Form, read, refused, with_dates
from connecting_families.web.templating import page

PAGE_SIZE = 50
Text = Annotated[str, msgspec.Meta(max_length=64)]


class AuditSearch(msgspec.Struct, forbid_unknown_fields=True):
    """The search form: every field optional; dates are whole days (UTC)."""

    actor_name: Text | None = None
    action: Text | None = None
    resource_type: Text | None = None
    resource_id: Text | None = None
    allowed: Literal["yes", "no"] | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    before_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None

    def query(self) -> AuditQuery:
        def start_of(day: dt.date | None) -> dt.datetime | None:
            return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None

        return AuditQuery(
            actor_name=self.actor_name,
            action=self.action,
            resource_type=self.resource_type,
            resource_id=self.resource_id,
            allowed=None if self.allowed is None else self.allowed == "yes",
            since=start_of(self.since),
            until=start_of(self.until + dt.timedelta(days=1) if self.until else None),
            before_id=self.before_id,
            limit=PAGE_SIZE,
        )


class AuditPages(Controller):
    include_in_schema = False

    @get("/audit", opt={"access": AUDIT_READ})
    async def audit_page(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
    ) -> Template:
        """Search the audit log, newest first, a page at a time: the whole log for an
        administrator, an auditor's programmes' entries and their own for an auditor.

        Args:
            request: The search form's fields, in the query string.
            principal: The signed-in caller, whose reach the search keeps to.
            actor: The caller; searching the log is itself logged.
        """
        values = with_dates({name: value.strip() for name, value in request.query_params.items()})
        whole_log = ADMIN in principal.roles
        try:
            wanted = read(values, AuditSearch, AUDIT_LABELS)
        except Invalid as error:
            return refused(
                error, values, AUDIT_LABELS, "audit.html", rows=[], more=None, whole_log=whole_log
            )
        rows = await search(wanted.query(), principal)
        await record(actor, "audit.search", "audit_log", detail={"returned": len(rows)})
        more = None
        if len(rows) == PAGE_SIZE:
            more = {**{k: v for k, v in values.items() if v}, "before_id": str(rows[-1]["id"])}
        return page(
            "audit.html", form=Form(values=values), rows=rows, more=more, whole_log=whole_log
        )


# The search form's fields as its page labels them.
AUDIT_LABELS = {
    "actor_name": "Who",
    "action": "Action",
    "resource_type": "Kind of record",
    "resource_id": "Record",
    "allowed": "Outcome",
    "since": "From",
    "until": "To",
}
