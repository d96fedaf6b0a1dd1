"""Every query the account services make about users, teams and tokens, returning attrs values.

Services own the transactions and the rules; these only read and write rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from connecting_families.accounts.tables import AuthToken, Team, User, UserProgramme, UserRole
from connecting_families.programmes.tables import Programme


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    team_id: int | None = None
    must_change_password: bool = False


@attrs.frozen
class TeamSummary:
    """A team, its programme, its members and which of them manage it."""

    id: int
    name: str
    programme: str | None
    members: tuple[str, ...]
    managers: tuple[str, ...]


@attrs.frozen
class TokenSummary:
    """One of a user's credentials, without its value."""

    id: int
    kind: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def live(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


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


async def users(
    username: str | None = None, user_id: int | None = None, team_id: int | None = None
) -> list[UserSummary]:
    """Users by username, ordered; one when `username` or `user_id` is given."""
    select = User.select(
        User.id,
        User.username,
        User.display_name,
        User.email,
        User.is_active,
        User.team,
        User.must_change_password,
        User.team.name.as_alias("team_name"),
    ).order_by(User.username)
    if username is not None:
        select = select.where(User.username == username)
    if user_id is not None:
        select = select.where(User.id == user_id)
    if team_id is not None:
        select = select.where(User.team == team_id)
    rows = await select
    ids = [row["id"] for row in rows]
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
            id=row["id"],
            username=row["username"],
            display_name=row["display_name"],
            email=row["email"],
            team=row["team_name"],
            roles=tuple(sorted(roles[row["id"]])),
            programmes=tuple(sorted(programmes[row["id"]])),
            is_active=bool(row["is_active"]),
            team_id=row["team"],
            must_change_password=bool(row["must_change_password"]),
        )
        for row in rows
    ]


async def user_id_of(username: str) -> int | None:
    row = await User.select(User.id).where(User.username == username).first()
    return None if row is None else int(row["id"])


async def username_taken(username: str) -> bool:
    return bool(await User.exists().where(User.username == username))


async def insert_user(
    *, username: str, display_name: str, email: str, password_hash: str, team_id: int | None
) -> int:
    inserted = await User.insert(
        User(
            username=username,
            display_name=display_name,
            email=email,
            password_hash=password_hash,
            team=team_id,
        )
    ).returning(User.id)
    return int(inserted[0]["id"])


async def update_user(user_id: int, **values: object) -> None:
    columns: dict[Any, Any] = {
        User._meta.get_column_by_name(name): value for name, value in values.items()
    }
    columns[User.updated_at] = now()
    await User.update(columns).where(User.id == user_id)


async def set_roles(user_id: int, roles: Iterable[str]) -> None:
    await UserRole.delete().where(UserRole.user == user_id)
    for role in sorted(set(roles)):
        await UserRole.insert(UserRole(user=user_id, role=role))


async def set_programmes(user_id: int, programme_ids: Iterable[int]) -> None:
    await UserProgramme.delete().where(UserProgramme.user == user_id)
    for programme_id in sorted(set(programme_ids)):
        await UserProgramme.insert(UserProgramme(user=user_id, programme=programme_id))


async def add_role(user_id: int, role: str) -> None:
    if not await UserRole.exists().where(UserRole.user == user_id, UserRole.role == role):
        await UserRole.insert(UserRole(user=user_id, role=role))


async def programme_ids(codes: Sequence[str]) -> dict[str, int]:
    """The ids of those of `codes` that are programmes."""
    if not codes:
        return {}
    rows = await Programme.select(Programme.id, Programme.code).where(
        Programme.code.is_in(list(codes))
    )
    return {row["code"]: int(row["id"]) for row in rows}


async def programme_codes() -> list[tuple[str, str]]:
    """Every programme as (code, name), by code."""
    rows = await Programme.select(Programme.code, Programme.name).order_by(Programme.code)
    return [(row["code"], row["name"]) for row in rows]


async def team_id_of(name: str) -> int | None:
    row = await Team.select(Team.id).where(Team.name == name).first()
    return None if row is None else int(row["id"])


async def insert_team(name: str, programme_id: int | None) -> int:
    row = await Team.insert(Team(name=name, programme=programme_id)).returning(Team.id)
    return int(row[0]["id"])


async def rename_team(team_id: int, name: str) -> None:
    await Team.update({Team.name: name}).where(Team.id == team_id)


async def teams(team_id: int | None = None) -> list[TeamSummary]:
    """Teams by name, each with its members (usernames) and managers."""
    select = Team.select(Team.id, Team.name, Team.programme.code.as_alias("code")).order_by(
        Team.name
    )
    if team_id is not None:
        select = select.where(Team.id == team_id)
    rows = await select
    ids = [row["id"] for row in rows]
    members: dict[int, list[str]] = {i: [] for i in ids}
    managers: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for member in await users():
            if member.team_id in members:
                members[member.team_id].append(member.username)
                if "team_manager" in member.roles:
                    managers[member.team_id].append(member.username)
    return [
        TeamSummary(
            id=row["id"],
            name=row["name"],
            programme=row["code"],
            members=tuple(members[row["id"]]),
            managers=tuple(managers[row["id"]]),
        )
        for row in rows
    ]


async def move_members(team_id: int, keep: Sequence[int]) -> None:
    """Members of `team_id` not in `keep` leave it; those in `keep` join it."""
    leaving = User.update({User.team: None, User.updated_at: now()}).where(User.team == team_id)
    if keep:
        leaving = leaving.where(User.id.not_in(list(keep)))
        await User.update({User.team: team_id, User.updated_at: now()}).where(
            User.id.is_in(list(keep))
        )
    await leaving


async def revoke_all(user_id: int, except_token: int | None = None) -> RevokedTokens:
    """Revoke every live credential of the user (but `except_token`), counting each kind.

    Tokens are rows looked up on every request, so revoking the rows ends them at once;
    RETURNING counts exactly what this statement revoked."""
    where = (AuthToken.user == user_id) & AuthToken.revoked_at.is_null()
    if except_token is not None:
        where = where & (AuthToken.id != except_token)
    rows = await (
        AuthToken.update({AuthToken.revoked_at: now()}).where(where).returning(AuthToken.kind)
    )
    return RevokedTokens.of(row["kind"] for row in rows)


async def tokens_of(user_id: int, kinds: Sequence[str]) -> list[TokenSummary]:
    rows = await (
        AuthToken.select(
            AuthToken.id,
            AuthToken.kind,
            AuthToken.name,
            AuthToken.created_at,
            AuthToken.expires_at,
            AuthToken.revoked_at,
        )
        .where(AuthToken.user == user_id, AuthToken.kind.is_in(list(kinds)))
        .order_by(AuthToken.id)
    )
    return [
        TokenSummary(
            id=row["id"],
            kind=row["kind"],
            name=row["name"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
        )
        for row in rows
    ]


async def password_row(user_id: int) -> tuple[str | None, bool]:
    """The user's password hash and whether they are active."""
    row = await User.select(User.password_hash, User.is_active).where(User.id == user_id).first()
    if row is None:
        return None, False
    return row["password_hash"], bool(row["is_active"])
