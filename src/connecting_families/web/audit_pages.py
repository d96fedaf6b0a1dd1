"""The audit log search: for administrators, and for auditors within their programmes; the
entries shown as events a person did (`web.audit_events`), filtered by user, family, person,
action and date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.policy import ADMIN, AUDIT_READ, Principal
from connecting_families.audit.service import Actor, AuditQuery, record, search
from connecting_families.errors import Invalid, field_error
from connecting_families.families.tables import Family, Membership
from connecting_families.web.audit_events import entry_detail, events_of
from connecting_families.web.forms import Form, read, refused, with_dates
from connecting_families.web.templating import page

PAGE_SIZE = 50
Text = Annotated[str, msgspec.Meta(max_length=64)]


class AuditSearch(msgspec.Struct, forbid_unknown_fields=True):
    """The search form: every field optional; dates are whole days (UTC)."""

    actor_name: Text | None = None
    family_ref: Text | None = None
    person_ref: Text | None = None
    action: Text | None = None
    resource_type: Text | None = None
    resource_id: Text | None = None
    allowed: Literal["yes", "no"] | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    before_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None

    def query(self, family_ids: tuple[str, ...] | None) -> AuditQuery:
        def start_of(day: dt.date | None) -> dt.datetime | None:
            return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None

        return AuditQuery(
            actor_name=self.actor_name,
            action=self.action,
            resource_type="family" if family_ids is not None else self.resource_type,
            resource_id=self.resource_id,
            resource_ids=family_ids,
            allowed=None if self.allowed is None else self.allowed == "yes",
            since=start_of(self.since),
            until=start_of(self.until + dt.timedelta(days=1) if self.until else None),
            before_id=self.before_id,
            limit=PAGE_SIZE,
        )


def read_search(values: dict[str, str]) -> AuditSearch:
    """The search form, every problem at once by its label: a date that is not real, and a
    "To" date before the "From" date."""
    problems: list[dict[str, str]] = []
    try:
        wanted = read(values, AuditSearch, AUDIT_LABELS)
    except Invalid as error:
        problems += error.errors
        wanted = None
    if wanted and wanted.since and wanted.until and wanted.until < wanted.since:
        problems.append(field_error("until", "To must be the same as or after From"))
    if problems or wanted is None:
        raise Invalid(
            "The search was refused; see the message beside each field.", errors=problems
        )
    return wanted


async def families_wanted(wanted: AuditSearch, principal: Principal) -> tuple[str, ...] | None:
    """The families the Family and Person fields name, within the caller's programmes (an
    administrator's: all); None when neither is given."""
    if wanted.family_ref is None and wanted.person_ref is None:
        return None
    reach = None if ADMIN in principal.roles else sorted(principal.programme_ids) or [0]
    found: set[int] | None = None
    if wanted.family_ref is not None:
        query = Family.select(Family.id).where(Family.family_ref == wanted.family_ref)
        if reach is not None:
            query = query.where(Family.programme.is_in(reach))
        found = {row["id"] for row in await query}
    if wanted.person_ref is not None:
        query = Membership.select(Membership.family).where(
            Membership.person.person_ref == wanted.person_ref
        )
        if reach is not None:
            query = query.where(Membership.programme.is_in(reach))
        theirs = {row["family"] for row in await query}
        found = theirs if found is None else found & theirs
    return tuple(str(family_id) for family_id in sorted(found or ()))


class AuditPages(Controller):
    include_in_schema = False

    @get("/audit", opt={"access": AUDIT_READ})
    async def audit_page(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
    ) -> Template:
        """Search the audit log, newest first, a page at a time, as events a person did (one
        per page view): the whole log for an administrator, an auditor's programmes' entries
        and their own for an auditor.

        Args:
            request: The search form's fields, in the query string.
            principal: The signed-in caller, whose reach the search keeps to.
            actor: The caller; searching the log is itself logged.
        """
        values = with_dates({name: value.strip() for name, value in request.query_params.items()})
        whole_log = ADMIN in principal.roles
        try:
            wanted = read_search(values)
        except Invalid as error:
            return refused(
                error,
                values,
                AUDIT_LABELS,
                "audit.html",
                events=[],
                more=None,
                whole_log=whole_log,
            )
        rows = await search(wanted.query(await families_wanted(wanted, principal)), principal)
        await record(actor, "audit.search", "audit_log", detail={"returned": len(rows)})
        more = None
        if len(rows) == PAGE_SIZE:
            more = {**{k: v for k, v in values.items() if v}, "before_id": str(rows[-1]["id"])}
        return page(
            "audit.html",
            form=Form(values=values),
            events=events_of(rows),
            more=more,
            whole_log=whole_log,
            entry_detail=entry_detail,
        )


# The search form's fields as its page labels them.
AUDIT_LABELS = {
    "actor_name": "User",
    "family_ref": "Family",
    "person_ref": "Person",
    "action": "Action",
    "resource_type": "Kind of record",
    "resource_id": "Record",
    "allowed": "Outcome",
    "since": "From",
    "until": "To",
}
