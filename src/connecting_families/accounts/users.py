"""Administering users: create, change, deactivate and reactivate, and passwords set for them.

The one service behind the CLI (`Caller.local_operator`), the API and the admin pages. Every
change is audited; every problem is named by its field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
from collections.abc import Sequence

import attrs

from connecting_families.access.caller import Caller
from connecting_families.access.policy import ADMIN, ROLES
from connecting_families.accounts import credentials
from connecting_families.accounts import repository as repo
from connecting_families.accounts.repository import RevokedTokens, UserSummary
from connecting_families.audit.service import record
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.errors import Conflict, Forbidden, Invalid, NotFound, field_error

# A temporary password is for the first sign-in after an administrator issues it, and is
# told to the user by another channel (in person, by phone): three days covers a weekend,
# and a temporary password forgotten in an email is useless after it.
TEMPORARY_PASSWORD_LIFETIME = dt.timedelta(days=3)

# Lower-case letters, digits, '.', '-' and '_', starting with a letter or digit: a username
# is shown in pages and the audit log, and never needs escaping.
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
USERNAME_RULE = (
    "must be 1 to 64 lower-case letters, digits, full stops, hyphens or underscores, "
    "starting with a letter or digit"
)


@attrs.frozen
class UserDraft:
    """What an administrator gives for a new user, or for a change (None: left as it is)."""

    display_name: str | None = None
    email: str | None = None
    roles: Sequence[str] | None = None
    team: str | None = None
    programmes: Sequence[str] | None = None


@attrs.frozen
class TemporaryPassword:
    """A temporary password, shown to the administrator this once; only its hash is kept."""

    user: UserSummary
    password: str
    expires_at: dt.datetime


def new_temporary_password(username: str) -> str:
    """Four groups of five letters and digits: easy to read out, 100 bits of chance."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    if not username:
        raise ValueError("a temporary password is made for a username")
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4)]
        password = "-".join(groups)
        if credentials.password_problem(password, username) is None:
            return password


def require_admin(caller: Caller) -> None:
    """The routes let only administrators in; the service holds the rule too (the CLI's local
    operator is trusted with everything)."""
    if caller.principal is not None and ADMIN not in caller.principal.roles:
        raise Forbidden("Only an administrator can manage users and teams.")


class UserService:
    """Users as administrators manage them."""

    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_users(self, caller: Caller) -> list[UserSummary]:
        require_admin(caller)
        return await repo.users()

    async def get_user(self, caller: Caller, user_id: int) -> UserSummary:
        require_admin(caller)
        found = await repo.users(user_id=user_id)
        if not found:
            raise NotFound("There is no such user.")
        return found[0]

    async def find_user(self, caller: Caller, username: str) -> UserSummary:
        require_admin(caller)
        found = await repo.users(username=username)
        if not found:
            raise NotFound(f"There is no user named {username!r}.")
        return found[0]

    async def create_user(
        self,
        caller: Caller,
        username: str,
        draft: UserDraft,
        *,
        password: str | None = None,
        create_team: bool = False,
    ) -> TemporaryPassword:
        """A new user, with `password` (the CLI's) or else a temporary password that they must
        change when they first sign in. `create_team`: a team not known is made (the CLI)."""
        require_admin(caller)
        username = username.strip()
        problems = []
        if not username:
            problems.append(field_error("username", "must not be empty"))
        elif not USERNAME.fullmatch(username):
            problems.append(field_error("username", USERNAME_RULE))
        problems += _draft_problems(draft, creating=True)
        temporary = password is None
        if password is not None and (problem := credentials.password_problem(password, username)):
            problems.append(field_error("password", problem))
        if problems:
            raise Invalid("The user cannot be created; see errors.", errors=problems)
        chosen = new_temporary_password(username) if password is None else password
        password_hash = await asyncio.to_thread(credentials.hash_password, chosen)
        expires_at = repo.now() + TEMPORARY_PASSWORD_LIFETIME
        async with write_transaction(self.engine):
            if await repo.username_taken(username):
                raise Conflict(
                    f"A user named {username!r} exists already.",
                    errors=[field_error("username", "is already used by another user")],
                )
            team_id, programme_ids = await _references(draft, create_team)
            user_id = await repo.insert_user(
                username=username,
                display_name=(draft.display_name or "").strip(),
                email=(draft.email or "").strip(),
                password_hash=password_hash,
                team_id=team_id,
            )
            if temporary:
                await repo.update_user(
                    user_id, must_change_password=True, temporary_password_expires_at=expires_at
                )
            await repo.set_roles(user_id, draft.roles or ())
            await repo.set_programmes(user_id, programme_ids)
            await record(
                caller.actor,
                "user.create",
                "user",
                user_id,
                detail={"roles": sorted(set(draft.roles or ())), "temporary": temporary},
            )
        user = (await repo.users(user_id=user_id))[0]
        return TemporaryPassword(
            user=user, password=chosen if temporary else "", expires_at=expires_at
        )

    async def update_user(self, caller: Caller, user_id: int, draft: UserDraft) -> UserSummary:
        """Change the user's name, email, roles, team or programmes (those given)."""
        current = await self.get_user(caller, user_id)
        problems = _draft_problems(draft, creating=False)
        if draft.roles is not None and ADMIN not in draft.roles and _is_self(caller, user_id):
            problems.append(
                field_error("roles", "You cannot take the administrator role from yourself")
            )
        if problems:
            raise Invalid("The user was not changed; see errors.", errors=problems)
        async with write_transaction(self.engine):
            team_id, programme_ids = await _references(draft, create_team=False)
            values: dict[str, object] = {}
            if draft.display_name is not None:
                values["display_name"] = draft.display_name.strip()
            if draft.email is not None:
                values["email"] = draft.email.strip()
            if draft.team is not None:
                values["team"] = team_id
            if values:
                await repo.update_user(user_id, **values)
            if draft.roles is not None:
                await repo.set_roles(user_id, draft.roles)
            if draft.programmes is not None:
                await repo.set_programmes(user_id, programme_ids)
            changed = sorted(k for k, v in attrs.asdict(draft).items() if v is not None)
            await record(
                caller.actor, "user.update", "user", current.id, detail={"changed": changed}
            )
        return (await repo.users(user_id=user_id))[0]

    async def set_active(self, caller: Caller, user_id: int, active: bool) -> RevokedTokens:
        """Deactivate (every credential they hold is revoked) or reactivate a user."""
        await self.get_user(caller, user_id)
        if not active and _is_self(caller, user_id):
            raise Forbidden("You cannot deactivate your own account.")
        async with write_transaction(self.engine):
            await repo.update_user(user_id, is_active=active)
            revoked = RevokedTokens() if active else await repo.revoke_all(user_id)
            action = "user.reactivate" if active else "user.deactivate"
            await record(caller.actor, action, "user", user_id, detail={"revoked": revoked.counts})
        return revoked

    async def issue_temporary_password(self, caller: Caller, user_id: int) -> TemporaryPassword:
        """Reset the user's password to a new temporary one (shown once), which they must
        change when they sign in; every session and token they hold is revoked."""
        user = await self.get_user(caller, user_id)
        password = new_temporary_password(user.username)
        password_hash = await asyncio.to_thread(credentials.hash_password, password)
        expires_at = repo.now() + TEMPORARY_PASSWORD_LIFETIME
        async with write_transaction(self.engine):
            await repo.update_user(
                user_id,
                password_hash=password_hash,
                must_change_password=True,
                temporary_password_expires_at=expires_at,
            )
            revoked = await repo.revoke_all(user_id)
            await record(
                caller.actor,
                "user.reset_password",
                "user",
                user_id,
                detail={"revoked": revoked.counts},
            )
        user = (await repo.users(user_id=user_id))[0]
        return TemporaryPassword(user=user, password=password, expires_at=expires_at)

    async def set_password(self, caller: Caller, username: str, password: str) -> RevokedTokens:
        """Give the user a password of the operator's choosing (the CLI) and revoke every
        credential issued before it: the old password may be known to someone else, who may
        already hold a session or token made with it."""
        require_admin(caller)
        if problem := credentials.password_problem(password, username):
            raise Invalid(f"password: {problem}", errors=[field_error("password", problem)])
        password_hash = await asyncio.to_thread(credentials.hash_password, password)
        async with write_transaction(self.engine):
            user_id = await repo.user_id_of(username)
            if user_id is None:
                raise NotFound(f"There is no user named {username!r}.")
            await repo.update_user(
                user_id,
                password_hash=password_hash,
                must_change_password=False,
                temporary_password_expires_at=None,
            )
            revoked = await repo.revoke_all(user_id)
            await record(
                caller.actor,
                "user.set_password",
                "user",
                user_id,
                detail={"revoked": revoked.counts},
            )
        return revoked


def _is_self(caller: Caller, user_id: int) -> bool:
    return caller.principal is not None and caller.principal.user_id == user_id


def _draft_problems(draft: UserDraft, *, creating: bool) -> list[dict[str, str]]:
    problems = []
    if (creating or draft.display_name is not None) and not 1 <= len(
        (draft.display_name or "").strip()
    ) <= 200:
        problems.append(
            field_error(
                "display_name",
                "must be 200 characters or fewer"
                if (draft.display_name or "").strip()
                else "must not be empty",
            )
        )
    if draft.email is not None and len(draft.email.strip()) > 254:
        problems.append(field_error("email", "must be 254 characters or fewer"))
    if draft.email and "@" not in draft.email:
        problems.append(field_error("email", "must be an email address, like name@example.org"))
    if draft.roles is not None:
        unknown = sorted(set(draft.roles) - set(ROLES))
        if unknown:
            problems.append(
                field_error("roles", f"unknown {', '.join(unknown)}; known: {', '.join(ROLES)}")
            )
        elif not draft.roles:
            problems.append(field_error("roles", "Select at least one role"))
    elif creating:
        problems.append(field_error("roles", "Select at least one role"))
    if draft.team is not None and len(draft.team) > 100:
        problems.append(field_error("team", "must be 100 characters or fewer"))
    return problems


async def _references(draft: UserDraft, create_team: bool) -> tuple[int | None, list[int]]:
    """The team's id (None: no team; `""` is none) and the programmes' ids, or `Invalid`
    naming each one that does not exist."""
    problems = []
    team_id = None
    if draft.team:
        team_id = await repo.team_id_of(draft.team)
        if team_id is None and create_team:
            team_id = await repo.insert_team(draft.team, None)
        elif team_id is None:
            problems.append(field_error("team", "There is no team of that name"))
    codes = list(draft.programmes or ())
    known = await repo.programme_ids(codes)
    missing = [code for code in codes if code not in known]
    if missing:
        problems.append(
            field_error("programmes", f"There is no programme with the code {', '.join(missing)}")
        )
    if problems:
        raise Invalid("The user's team or programmes are not known; see errors.", errors=problems)
    return team_id, sorted(set(known.values()))
