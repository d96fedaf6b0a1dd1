"""Sign-in with throttling, and tokens. Services own their transactions.

Users are administered in `users.py`, teams in `teams.py`, a user's own password and
sessions in `passwords.py`; their queries are in `repository.py`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs
from piccolo.querystring import QueryString

from connecting_families.access.caller import Caller
from connecting_families.access.policy import Principal
from connecting_families.accounts import credentials
from connecting_families.accounts import repository as repo
from connecting_families.accounts.repository import RevokedTokens, UserSummary
from connecting_families.accounts.tables import AuthToken, LoginAttempt, User
from connecting_families.accounts.users import UserDraft, UserService
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import (
    AnyEngine,
    read_by_key,
    take_turns,
    write_transaction,
)
from connecting_families.errors import DomainError, Forbidden, NotFound

SESSION_LIFETIME = dt.timedelta(hours=8)
ACCESS_TOKEN_LIFETIME = dt.timedelta(minutes=15)
PERSONAL_TOKEN_MAX_LIFETIME = dt.timedelta(days=365)

# Throttling: this many failures within the window locks the username, or the address.
THROTTLE_WINDOW = dt.timedelta(minutes=15)
USERNAME_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20

TOKEN_PREFIXES = {"session": "cfs", "access": "cfa", "personal": "cfp"}


class SignInRefused(DomainError):
    """The username and password did not match an active account."""

    status_code = 401
    title = "Unauthorised"


class SignInThrottled(DomainError):
    """Too many failed attempts; Retry-After says how many seconds to wait."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


# A token's row, its user and their roles and programmes, in one statement: it runs on every
# request, where building it with Piccolo's query builder cost more than running it.
_CREDENTIAL_SQL = """
SELECT t.id, t.kind, t.expires_at, u.id AS user_id, u.username, u.team, u.is_active,
       u.must_change_password,
       (SELECT {aggregate} FROM user_role r WHERE r."user" = u.id) AS roles,
       (SELECT {programmes} FROM user_programme p WHERE p."user" = u.id) AS programmes
FROM auth_token t JOIN app_user u ON u.id = t."user"
WHERE t.token_hash = {{}} AND t.revoked_at IS NULL
"""
CREDENTIAL_SQL = {
    "sqlite": _CREDENTIAL_SQL.format(
        aggregate="group_concat(r.role, ',')", programmes="group_concat(p.programme, ',')"
    ),
    "postgres": _CREDENTIAL_SQL.format(
        aggregate="string_agg(r.role, ',')", programmes="string_agg(p.programme::text, ',')"
    ),
}


def _split(joined: str | None) -> list[str]:
    return joined.split(",") if joined else []


@attrs.frozen
class Credential:
    """The token a request was made with, and whose it is."""

    principal: Principal
    token_id: int
    kind: str
    # Signed in with a temporary password: nothing but changing it is allowed (the guard).
    must_change_password: bool = False


@attrs.frozen
class IssuedToken:
    """A token just issued: `token` is shown to its owner this once and never stored."""

    id: int
    token: str
    kind: str
    expires_at: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


TEMPORARY_EXPIRED = "The temporary password has expired. Ask an administrator to issue a new one."


def _temporary_expired(user: dict[str, Any]) -> bool:
    expires_at = user["temporary_password_expires_at"]
    return bool(user["must_change_password"]) and (expires_at is None or expires_at <= _now())


class AccountService:
    """Everything about accounts and credentials."""

    def __init__(self, engine: AnyEngine, secret_key: str) -> None:
        self.engine = engine
        self.secret_key = secret_key
        self._users = UserService(engine)

    # Users, as callers written before `users.py` ask; each goes to the one `UserService`
    # as the local operator (`actor`), which is how they were called: the CLI and tests.

    async def create_user(
        self,
        actor: Actor,
        *,
        username: str,
        display_name: str,
        password: str,
        email: str = "",
        roles: Sequence[str] = (),
        team: str | None = None,
        programmes: Sequence[str] = (),
    ) -> UserSummary:
        draft = UserDraft(
            display_name=display_name, email=email, roles=roles, team=team, programmes=programmes
        )
        created = await self._users.create_user(
            self._operator(actor), username, draft, password=password, create_team=True
        )
        return created.user

    async def set_password(self, actor: Actor, username: str, password: str) -> RevokedTokens:
        return await self._users.set_password(self._operator(actor), username, password)

    async def deactivate(self, actor: Actor, username: str) -> RevokedTokens:
        user = await self.get_user(username)
        return await self._users.set_active(self._operator(actor), user.id, active=False)

    async def get_user(self, username: str) -> UserSummary:
        return await self._users.find_user(self._operator(Actor.operator("-")), username)

    async def list_users(self) -> list[UserSummary]:
        return await repo.users()

    @staticmethod
    def _operator(actor: Actor) -> Caller:
        return Caller(actor=actor, principal=None)

    # Sign-in -------------------------------------------------------------------------------

    async def sign_in(self, username: str, password: str, address: str, kind: str) -> IssuedToken:
        """Check a password, throttled per username and per address; issue a token of `kind`.

        The attempt is counted and recorded (as failed, until the password proves otherwise)
        in one write transaction that concurrent attempts take in turn, so parallel guesses
        cannot slip past the limit; a locked account is not even checked.
        """
        username = username.strip().lower()[:64]
        address = address[:64]
        actor = Actor.anonymous(username, address)
        async with write_transaction(self.engine):
            await take_turns(self.engine, f"login-user:{username}", f"login-address:{address}")
            retry_after = await locked_for(username, address)
            if retry_after:
                await record(
                    actor,
                    "auth.login",
                    "user",
                    None,
                    allowed=False,
                    detail={"reason": "throttled"},
                )
            else:
                attempt = await LoginAttempt.insert(
                    LoginAttempt(username=username, address=address, succeeded=False)
                ).returning(LoginAttempt.id)
        if retry_after:
            minutes = max(1, round(retry_after / 60))
            raise SignInThrottled(
                f"Too many failed sign-ins; try again in about {minutes} minute(s).", retry_after
            )

        user = (
            await User.select(
                User.id,
                User.password_hash,
                User.is_active,
                User.must_change_password,
                User.temporary_password_expires_at,
            )
            .where(User.username == username)
            .first()
        )
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        matched = await asyncio.to_thread(
            credentials.verify_password, user["password_hash"] if user else None, password
        )
        expired = bool(user and matched and _temporary_expired(user))
        async with write_transaction(self.engine):
            if not (user and matched and user["is_active"]) or expired:
                reason = "inactive" if user and matched else "bad_credentials"
                reason = "temporary_password_expired" if expired else reason
                await record(
                    actor,
                    "auth.login",
                    "user",
                    user["id"] if user else None,
                    allowed=False,
                    detail={"reason": reason},
                )
                succeeded = False
            else:
                await LoginAttempt.update({LoginAttempt.succeeded: True}).where(
                    LoginAttempt.id == attempt[0]["id"]
                )
                issued = await self.issue_token(user["id"], kind)
                await record(
                    Actor(name=username, source=address, user_id=user["id"]),
                    "auth.login",
                    "user",
                    user["id"],
                    detail={"credential": kind},
                )
                succeeded = True
        if expired:
            # Only someone who knew the temporary password is told it has expired.
            raise SignInRefused(TEMPORARY_EXPIRED)
        if not succeeded:
            raise SignInRefused("The username or password is wrong.")
        return issued

    # Tokens --------------------------------------------------------------------------------

    async def issue_token(
        self,
        user_id: int,
        kind: str,
        *,
        name: str = "",
        lifetime: dt.timedelta | None = None,
    ) -> IssuedToken:
        token = credentials.new_token(TOKEN_PREFIXES[kind])
        if kind == "session":
            lifetime = SESSION_LIFETIME
        elif kind == "access":
            lifetime = ACCESS_TOKEN_LIFETIME
        expires_at = _now() + lifetime if lifetime else None
        row = await AuthToken.insert(
            AuthToken(
                user=user_id,
                kind=kind,
                name=name,
                token_hash=credentials.token_digest(self.secret_key, token),
                expires_at=expires_at,
            )
        ).returning(AuthToken.id)
        return IssuedToken(id=row[0]["id"], token=token, kind=kind, expires_at=expires_at)

    async def create_personal_token(
        self, actor: Actor, credential: Credential, name: str, lifetime: dt.timedelta
    ) -> IssuedToken:
        """A long-lived token, made only with a fresh access token (a password just given),
        so that a stolen session or personal token cannot mint itself a longer life."""
        if credential.kind != "access":
            raise Forbidden(
                "Personal tokens are made with an access token from POST /api/v1/auth/token."
            )
        async with write_transaction(self.engine):
            issued = await self.issue_token(
                credential.principal.user_id, "personal", name=name, lifetime=lifetime
            )
            await record(actor, "auth.create_token", "token", issued.id)
        return issued

    async def revoke_token(self, actor: Actor, token_id: int, owner_id: int) -> None:
        """Revoke one of `owner_id`'s tokens; another user's token is not found."""
        async with write_transaction(self.engine):
            found = await AuthToken.exists().where(
                AuthToken.id == token_id, AuthToken.user == owner_id
            )
            if not found:
                raise NotFound("There is no such token.")
            await AuthToken.update({AuthToken.revoked_at: _now()}).where(
                AuthToken.id == token_id, AuthToken.revoked_at.is_null()
            )
            await record(actor, "auth.revoke_token", "token", token_id)

    async def list_tokens(self, owner_id: int, kind: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await (
            AuthToken.select(
                AuthToken.id,
                AuthToken.name,
                AuthToken.created_at,
                AuthToken.expires_at,
                AuthToken.revoked_at,
            )
            .where(AuthToken.user == owner_id, AuthToken.kind == kind)
            .order_by(AuthToken.id)
        )
        return rows

    async def credential_for(self, token: str, kinds: frozenset[str]) -> Credential | None:
        """The live token of one of `kinds` that `token` is, with its active user.

        Every request asks this, so it is one plain statement (see `CREDENTIAL_SQL`).
        """
        rows = await read_by_key(
            QueryString(
                CREDENTIAL_SQL[self.engine.engine_type],
                credentials.token_digest(self.secret_key, token),
            )
        )
        row = rows[0] if rows else None
        if row is None or row["kind"] not in kinds or not row["is_active"]:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= _now():
            return None
        principal = Principal(
            user_id=row["user_id"],
            username=row["username"],
            roles=frozenset(_split(row["roles"])),
            team_id=row["team"],
            programme_ids=frozenset(int(p) for p in _split(row["programmes"])),
        )
        return Credential(
            principal=principal,
            token_id=int(row["id"]),
            kind=row["kind"],
            must_change_password=bool(row["must_change_password"]),
        )


async def locked_for(username: str, address: str) -> int:
    """Seconds until another attempt is allowed (0: allowed now)."""
    since = _now() - THROTTLE_WINDOW
    waits = []
    for column, value, limit in (
        (LoginAttempt.username, username, USERNAME_FAILURE_LIMIT),
        (LoginAttempt.address, address, ADDRESS_FAILURE_LIMIT),
    ):
        failures = await (
            LoginAttempt.select(LoginAttempt.attempted_at)
            .where(
                column == value,
                LoginAttempt.attempted_at >= since,
                LoginAttempt.succeeded.eq(False),
            )
            .order_by(LoginAttempt.attempted_at, ascending=False)
            .limit(limit)
        )
        if len(failures) >= limit:
            oldest_counted = failures[-1]["attempted_at"]
            waits.append((oldest_counted + THROTTLE_WINDOW - _now()).total_seconds())
    return max(0, int(max(waits, default=0)) + 1) if waits else 0
