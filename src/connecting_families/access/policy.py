"""The one access policy. Every service asks it, for single records and for lists alike.

Scopes (Primero's record scopes are the model):

- key worker: the families allocated to them now, or shared with them;
- team manager: the families allocated to a member of their team, and the families of their
  programmes that nobody is allocated to yet (so that they can be allocated);
- programme manager and auditor: the families of the programmes they belong to;
- front door (its practitioners and their manager): the families of the programmes they
  belong to, to read only, so that a contact can be matched to the family it is about and
  decided knowing the family's history; every contact of those programmes. They write no
  family's casework: a decision of family help attaches or reopens the family (and creates a
  new one with its household), and a key worker does the rest;
- admin: users and configuration, and no family data unless also given another role. Claims
  are family data (their lines name families and the routes they met): an administrator
  reaches no claim, its export or its verification, and changes none; being an administrator
  never widens a programme manager's or auditor's claims beyond their own programmes.

Claims belong to programme managers (prepare, exclude, submit, record the decision, withdraw,
claim windows, the forecast of the next claim) and auditors (read, export, verify, sample,
sign off), each in the programmes they belong to. Every claim route declares one of the
`CLAIM_*` accesses (marked `claims`, which refuses the admin role), so none can use
`PROGRAMME_MANAGE`; `claims.service.claims_programme` keeps each to the caller's programmes.

Contacts at the front door (`frontdoor`) are the front door's (`CONTACT_*`): the front door
records and decides them, in its programmes. Anyone else reads a contact only through the
family it is about, as far as they may read that family (a key worker, the contacts of their
own families); a contact about no family yet, or one outside their scope, is not found.

A user's scope is the union of their roles' scopes. The auditor never writes. A family outside
the caller's scope is reported as not found, so its existence is not revealed.
"""

from __future__ import annotations

from typing import Literal

import attrs
from piccolo.columns.combination import Or, WhereRaw

from connecting_families.database.columns import placeholders

KEY_WORKER = "key_worker"
TEAM_MANAGER = "team_manager"
PROGRAMME_MANAGER = "programme_manager"
AUDITOR = "auditor"
ADMIN = "admin"
FRONT_DOOR = "front_door"
ROLES = (FRONT_DOOR, KEY_WORKER, TEAM_MANAGER, PROGRAMME_MANAGER, AUDITOR, ADMIN)

FAMILY_READERS = frozenset({FRONT_DOOR, KEY_WORKER, TEAM_MANAGER, PROGRAMME_MANAGER, AUDITOR})
FAMILY_WRITERS = frozenset({KEY_WORKER, TEAM_MANAGER, PROGRAMME_MANAGER})

FamilyAction = Literal["read", "write"]


@attrs.frozen
class Principal:
    """The signed-in caller, as every service sees it."""

    user_id: int
    username: str
    roles: frozenset[str]
    team_id: int | None
    programme_ids: frozenset[int]

    @property
    def role_names(self) -> str:
        return ",".join(sorted(self.roles))

    def has_any(self, roles: frozenset[str]) -> bool:
        return bool(self.roles & roles)


@attrs.frozen
class Access:
    """What a route requires of its caller; every route declares one in `opt["access"]`.

    `roles` None means anyone, signed in or not; an empty set means any signed-in user.
    `family` marks a route that reads or writes one family's records (the `{family_id}` in
    its path): the caseload matrix test covers every such route, as the contacts matrix covers
    every route marked `contacts`. `claims` marks a route that
    reads or changes claims: the matrix covers those too, and none may let an administrator in.
    """

    roles: frozenset[str] | None
    family: FamilyAction | None = None
    claims: bool = attrs.field(default=False, kw_only=True)
    # A route that reads or changes contacts at the front door: the contacts matrix covers it.
    contacts: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.claims and (self.roles is None or not self.roles or ADMIN in self.roles):
            raise ValueError("a claim route is for programme managers and auditors only")
        if self.contacts and (self.roles is None or not self.roles or ADMIN in self.roles):
            raise ValueError("a contact route is for the front door and family readers only")

    def allows(self, principal: Principal | None) -> bool:
        if self.roles is None:
            return True
        if principal is None:
            return False
        return not self.roles or principal.has_any(self.roles)


PUBLIC = Access(roles=None)
SIGNED_IN = Access(roles=frozenset())
FAMILY_READ = Access(roles=FAMILY_READERS, family="read")
FAMILY_WRITE = Access(roles=FAMILY_WRITERS, family="write")
FAMILY_LIST = Access(roles=FAMILY_READERS)
FAMILY_CREATE = Access(roles=FAMILY_WRITERS)
FAMILY_ALLOCATE = Access(roles=frozenset({TEAM_MANAGER, PROGRAMME_MANAGER}), family="write")
FAMILY_SIGN_OFF = Access(roles=frozenset({TEAM_MANAGER}), family="write")
OWN_CASELOAD = Access(roles=frozenset({KEY_WORKER}))
TEAM_CASELOADS = Access(roles=frozenset({TEAM_MANAGER, PROGRAMME_MANAGER}))
AUDIT_READ = Access(roles=frozenset({AUDITOR, ADMIN}))
PROGRAMME_READ = Access(
    roles=frozenset({PROGRAMME_MANAGER, TEAM_MANAGER, KEY_WORKER, FRONT_DOOR, AUDITOR, ADMIN})
)
PROGRAMME_MANAGE = Access(roles=frozenset({PROGRAMME_MANAGER, ADMIN}))
# A programme's family data in bulk (partner files in, a line a family out): its managers',
# never an administrator's, who sees no family data.
PROGRAMME_DATA = Access(roles=frozenset({PROGRAMME_MANAGER}))
# Programme aggregates: no family's records, so team managers see them too.
PROGRAMME_REPORT = Access(roles=frozenset({PROGRAMME_MANAGER, TEAM_MANAGER, AUDITOR, ADMIN}))
# Claims: never ADMIN (see the module docstring), so no claim route may use PROGRAMME_MANAGE.
CLAIM_READ = Access(roles=frozenset({PROGRAMME_MANAGER, AUDITOR}), claims=True)
CLAIM_MANAGE = Access(roles=frozenset({PROGRAMME_MANAGER}), claims=True)
CLAIM_SAMPLE = Access(roles=frozenset({PROGRAMME_MANAGER, AUDITOR}), claims=True)
CLAIM_SIGN_OFF = Access(roles=frozenset({AUDITOR}), claims=True)
ADMIN_ONLY = Access(roles=frozenset({ADMIN}))
# The front door's queue, recording a contact and deciding it: its own, in its programmes.
CONTACT_RECEIVE = Access(roles=frozenset({FRONT_DOOR}), contacts=True)
# One contact: the front door's, or through its family (see the module docstring).
CONTACT_READ = Access(roles=FAMILY_READERS, contacts=True)


def family_scope(principal: Principal, action: FamilyAction) -> WhereRaw | Or:
    """A where clause matching exactly the families `principal` may read or write.

    Each clause asks about the family at hand (`EXISTS` on its current allocation) rather
    than listing a whole caseload (`IN (SELECT …)`), which both databases built anew for every
    statement: reading one family cost as much as the key worker's caseload was long.
    """
    roles = principal.roles & (FAMILY_WRITERS if action == "write" else FAMILY_READERS)
    clauses: list[WhereRaw] = []
    if KEY_WORKER in roles:
        clauses.append(
            WhereRaw(
                "(EXISTS (SELECT 1 FROM allocation a WHERE a.family = family.id"
                " AND a.key_worker = {} AND a.ended_at IS NULL)"
                " OR EXISTS (SELECT 1 FROM family_share s WHERE s.family = family.id"
                ' AND s."user" = {} AND s.revoked_at IS NULL))',
                principal.user_id,
                principal.user_id,
            )
        )
    if TEAM_MANAGER in roles and principal.team_id is not None:
        clauses.append(
            WhereRaw(
                "(EXISTS (SELECT 1 FROM allocation a JOIN app_user u ON u.id = a.key_worker"
                " WHERE a.family = family.id AND u.team = {} AND a.ended_at IS NULL))",
                principal.team_id,
            )
        )
    if TEAM_MANAGER in roles and principal.programme_ids:
        clauses.append(
            WhereRaw(
                # Only "{}" placeholders are formatted in; the values go as parameters.
                f"(family.programme IN ({placeholders(principal.programme_ids)})"  # noqa: S608
                " AND NOT EXISTS (SELECT 1 FROM allocation a"
                " WHERE a.family = family.id AND a.ended_at IS NULL))",
                *sorted(principal.programme_ids),
            )
        )
    if roles & {FRONT_DOOR, PROGRAMME_MANAGER, AUDITOR} and principal.programme_ids:
        clauses.append(
            WhereRaw(
                f"(family.programme IN ({placeholders(principal.programme_ids)}))",
                *sorted(principal.programme_ids),
            )
        )
    if not clauses:
        return WhereRaw("(1 = 0)")
    scope: WhereRaw | Or = clauses[0]
    for clause in clauses[1:]:
        scope = Or(scope, clause)
    return scope


# An auditor's queue of claims waiting for audit in their programmes (no one claim's page).
AUDIT_QUEUE = Access(roles=frozenset({AUDITOR}))
