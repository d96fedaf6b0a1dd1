"""The audit log as events a person did: one event per page view (its entries share the
view's mark, `audit.page_views`), and one per other entry, each said in words."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from connecting_families.web.templating import humanise

# A page view by its route, in words; a route not here is said by its path.
PAGE_WORDS = {
    "/caseload": "Opened their caseload",
    "/families/{family_id}": "Opened a family's summary",
    "/families/search": "Searched for a family",
    "/team": "Opened the team page",
    "/programmes": "Opened the list of programmes",
    "/programmes/{code}": "Opened a programme's dashboard",
    "/programmes/{code}/claims": "Opened a programme's claims",
    "/claims/{claim_id}": "Opened a claim",
    "/claims/{claim_id}/lines/{line_id}": "Opened a claim line to audit it",
    "/claims/{claim_id}/verify": "Verified a claim",
    "/audit": "Searched the audit log",
    "/audit/queue": "Opened the claims to audit",
}
_FAMILY_SECTION = re.compile(r"^/families/\{family_id\}/([a-z_-]+)$")
_TYPED = re.compile(r"\{(\w+):\w+\}")
# Other entries by their action, in words; an action not here is said by its code.
ACTION_WORDS = {
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.revoke_token": "Signed out, or revoked a token",
    "auth.create_token": "Was issued a token",
    "claim.read": "Read a claim",
    "claim.list": "Listed a programme's claims",
    "claim.line.read": "Read a claim line",
    "claim.queries.read": "Read a claim's queries",
    "claim.queue.read": "Opened the claims to audit",
    "access.denied": "Was refused a page or action their role does not allow",
    "family.read": "Read a family's record",
    "family.write": "Changed a family's record",
    "claim.prepare": "Prepared a claim",
    "claim.sample": "Drew a claim's audit sample",
    "claim.line.exclude": "Left a line out of a claim",
    "claim.line.sign_off": "Signed off a claim line",
    "claim.line.query": "Queried a claim line",
    "claim.line.query.answer": "Answered a query about a claim line",
    "claim.submit": "Submitted a claim",
    "claim.withdraw": "Withdrew a claim",
    "claim.export": "Downloaded a claim return",
    "claim.verify": "Verified a claim",
    "audit.search": "Searched the audit log",
}


@attrs.frozen
class AuditEventView:
    """One thing a person did, and the entries it wrote, newest first."""

    occurred_at: dt.datetime
    actor_name: str
    actor_role: str | None
    what: str
    records: tuple[str, ...]
    allowed: bool
    entries: tuple[dict[str, Any], ...]

    @property
    def oldest_id(self) -> int:
        return int(self.entries[-1]["id"])


def page_words(template: str) -> str:
    """A page's route in words; `{family_id:int}` and `{family_id}` alike."""
    template = _TYPED.sub(r"{\1}", template)
    if template in PAGE_WORDS:
        return PAGE_WORDS[template]
    if section := _FAMILY_SECTION.match(template):
        return f"Opened a family's {humanise(section.group(1)).lower()}"
    return f"Opened the page {template}"


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, humanise(action))


def entry_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """An entry's detail without the page view's mark (the event already says the page)."""
    return {k: v for k, v in (detail or {}).items() if k not in ("page_view", "page")}


def _records(entries: list[dict[str, Any]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for entry in entries:
        if entry["resource_id"]:
            seen.setdefault(f"{entry['resource_type']} {entry['resource_id']}")
    return tuple(seen)


def events_of(rows: list[dict[str, Any]]) -> list[AuditEventView]:
    """`rows` (newest first) as events: the entries of one page view together."""
    groups: list[list[dict[str, Any]]] = []
    for row in rows:
        mark = (row.get("detail") or {}).get("page_view")
        last = groups[-1] if groups else None
        if mark and last and (last[0].get("detail") or {}).get("page_view") == mark:
            last.append(row)
        else:
            groups.append([row])
    events = []
    for entries in groups:
        first = entries[0]
        page = (first.get("detail") or {}).get("page")
        events.append(
            AuditEventView(
                occurred_at=entries[-1]["occurred_at"],
                actor_name=first["actor_name"],
                actor_role=first["actor_role"],
                what=page_words(page) if page else action_words(first["action"]),
                records=_records(entries),
                allowed=all(bool(entry["allowed"]) for entry in entries),
                entries=tuple(entries),
            )
        )
    return events
