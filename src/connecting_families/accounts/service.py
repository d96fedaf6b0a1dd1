"""Users, sign-in with throttling, and tokens. Services own their transactions."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from piccolo.querystring import QueryString

from connecting_families.access.policy import ROLES, Principal
from connecting_families.accounts import credentials
from connecting_families.accounts.tables import (
    AuthToken,
    LoginAttempt,
    Team,
    User,
    UserProgramme,
    UserRole,
)
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import (
    AnyEngine,
    read_by_key,
    take_turns,
    write_transaction,
)
from connecting_families.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from connecting_families.programmes.tables import Programme

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


@attrs.frozen
class UserSummary:
    """A user as listed to administrators and the CLI."""

    id: int
    username: str
    display_name: str
    email: str
    team: str | None
    roles: tuple[str, ...]
    programmes: tuple[str, ...]
    is_active: bool


# A token's row, its user and their roles and programmes, in one statement: it runs on every
# request, where building it with Piccolo's query builder cost more than running it.
_CREDENTIAL_SQL = """
SELECT t.id, t.kind, t.expires_at, u.id AS user_id, u.username, u.team, u.is_active,
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


@attrs.frozen
class RevokedTokens:
    """How many live credentials of each kind were revoked at once."""

    sessions: int = 0
    access: int = 0
    personal: int = 0

    @classmethod
    def of(cls, kinds: Iterable[str]) -> RevokedTokens:
        counts = Counter(kinds)
        return cls(
            sessions=counts["session"], access=counts["access"], personal=counts["personal"]
        )

    @property
    def counts(self) -> dict[str, int]:
        """For the audit entry: codes and counts only."""
        return {"session": self.sessions, "access": self.access, "personal": self.personal}

    @property
    def total(self) -> int:
        return self.sessions + self.access + self.personal


@attrs.frozen
class IssuedToken:
    """A token just issued: `token` is shown to its owner this once and never stored."""

    id: int
    token: str
    kind: str
    expires_at: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AccountService:
    """Everything about accounts and credentials."""

    def __init__(self, engine: AnyEngine, secret_key: str) -> None:
        self.engine = engine
        self.secret_key = secret_key

    # Users ---------------------------------------------------------------------------------

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
        username = username.strip()
        problems = []
        if not username or len(username) > 64 or username != username.lower():
            problems.append("username: 1-64 characters, lower case")
        if not 1 <= len(display_name.strip()) <= 200:
            problems.append("display_name: 1-200 characters")
        if len(email) > 254:
            problems.append("email: at most 254 characters")
        if team is not None and not 1 <= len(team) <= 100:
            problems.append("team: 1-100 characters")
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            problems.append(f"roles: unknown {', '.join(unknown)}; known: {', '.join(ROLES)}")
        if not roles:
            problems.append("roles: give at least one")
        password_problem = credentials.password_problem(password, username)
        if password_problem:
            problems.append(f"password: {password_problem}")
        if problems:
            raise Invalid("The user cannot be created: " + "; ".join(problems))
        password_hash = await asyncio.to_thread(credentials.hash_password, password)

        async with write_transaction(self.engine):
            if await User.exists().where(User.username == username):
                raise Conflict(f"A user named {username!r} exists already.")
            team_id = await self._team_id(team) if team else None
            programme_ids = [await self._programme_id(code) for code in programmes]
            inserted = await User.insert(
                User(
                    username=username,
                    display_name=display_name.strip(),
                    email=email.strip(),
                    password_hash=password_hash,
                    team=team_id,
                )
            ).returning(User.id)
            user_id = inserted[0]["id"]
            for role in sorted(set(roles)):
                await UserRole.insert(UserRole(user=user_id, role=role))
            for programme_id in sorted(set(programme_ids)):
                await UserProgramme.insert(UserProgramme(user=user_id, programme=programme_id))
            await record(actor, "user.create", "user", user_id, detail={"roles": sorted(roles)})
        return await self.get_user(username)

    async def _team_id(self, name: str) -> int:
        row = await Team.select(Team.id).where(Team.name == name).first()
        if row is None:
            row = (await Team.insert(Team(name=name)).returning(Team.id))[0]
        return int(row["id"])

    async def _programme_id(self, code: str) -> int:
        row = await Programme.select(Programme.id).where(Programme.code == code).first()
        if row is None:
            raise Invalid(f"programmes: there is no programme with the code {code!r}")
        return int(row["id"])

    async def set_password(self, actor: Actor, username: str, password: str) -> RevokedTokens:
        """Give the user a new password and revoke every credential issued before it.

        A password is changed because the old one may be known to someone else, who may
        already hold a session or token made with it: those end with the old password.
        """
        problem = credentials.password_problem(password, username)
        if problem:
            raise Invalid(f"password: {problem}")
        password_hash = await asyncio.to_thread(credentials.hash_password, password)
        async with write_transaction(self.engine):
            user_id = await self._user_id(username)
            await User.update({User.password_hash: password_hash, User.updated_at: _now()}).where(
                User.id == user_id
            )
            revoked = await self._revoke_all(user_id)
            await record(
                actor, "user.set_password", "user", user_id, detail={"revoked": revoked.counts}
            )
        return revoked

    async def deactivate(self, actor: Actor, username: str) -> RevokedTokens:
        """Refuse the user from now on and revoke every credential they hold."""
        async with write_transaction(self.engine):
            user_id = await self._user_id(username)
            await User.update({User.is_active: False, User.updated_at: _now()}).where(
                User.id == user_id
            )
            revoked = await self._revoke_all(user_id)
            await record(
                actor, "user.deactivate", "user", user_id, detail={"revoked": revoked.counts}
            )
        return revoked

    async def _revoke_all(self, user_id: int) -> RevokedTokens:
        # Tokens are rows looked up on every request (`credential_for`), so revoking the rows
        # ends them at once; RETURNING counts exactly what this statement revoked.
        rows = await (
            AuthToken.update({AuthToken.revoked_at: _now()})
            .where(AuthToken.user == user_id, AuthToken.revoked_at.is_null())
            .returning(AuthToken.kind)
        )
        return RevokedTokens.of(row["kind"] for row in rows)

    async def _user_id(self, username: str) -> int:
        row = await User.select(User.id).where(User.username == username).first()
        if row is None:
            raise NotFound(f"There is no user named {username!r}.")
        return int(row["id"])

    async def get_user(self, username: str) -> UserSummary:
        users = await self.list_users(username=username)
        if not users:
            raise NotFound(f"There is no user named {username!r}.")
        return users[0]

    async def list_users(self, username: str | None = None) -> list[UserSummary]:
        select = User.select(
            User.id,
            User.username,
            User.display_name,
            User.email,
            User.is_active,
            User.team.name.as_alias("team_name"),
        ).order_by(User.username)
        if username is not None:
            select = select.where(User.username == username)
        users = await select
        ids = [u["id"] for u in users]
        roles: dict[int, list[str]] = {i: [] for i in ids}
        programmes: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for row in await UserRole.select(UserRole.user, UserRole.role).where(
                UserRole.user.is_in(ids)
            ):
                roles[row["user"]].append(row["role"])
            for row in await UserProgramme.select(
                UserProgramme.user, UserProgramme.programme.code.as_alias("code")
            ).where(UserProgramme.user.is_in(ids)):
                programmes[row["user"]].append(row["code"])
        return [
            UserSummary(
                id=u["id"],
                username=u["username"],
                display_name=u["display_name"],
                email=u["email"],
                team=u["team_name"],
                roles=tuple(sorted(roles[u["id"]])),
                programmes=tuple(sorted(programmes[u["id"]])),
                is_active=bool(u["is_active"]),
            )
            for u in users
        ]

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
            retry_after = await self._locked_for(username, address)
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
            await User.select(User.id, User.password_hash, User.is_active)
            .where(User.username == username)
            .first()
        )
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        matched = await asyncio.to_thread(
            credentials.verify_password, user["password_hash"] if user else None, password
        )
        async with write_transaction(self.engine):
            if not (user and matched and user["is_active"]):
                reason = "inactive" if user and matched else "bad_credentials"
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
        if not succeeded:
            raise SignInRefused("The username or password is wrong.")
        return issued

    async def _locked_for(self, username: str, address: str) -> int:
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
        return Credential(principal=principal, token_id=int(row["id"]), kind=row["kind"])
