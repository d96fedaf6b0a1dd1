"""HTTP shapes for administering users and teams, and for a user's own password.

Unknown fields are refused: nothing sets a server-owned field (ids, the active flag, hashes).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from connecting_families.accounts.repository import TeamSummary, UserSummary
from connecting_families.accounts.users import TemporaryPassword

RoleName = Literal["key_worker", "team_manager", "programme_manager", "auditor", "admin"]
Name = Annotated[str, msgspec.Meta(max_length=200)]
Code = Annotated[str, msgspec.Meta(max_length=64)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new user; they are given a temporary password to change when they first sign in."""

    username: Annotated[str, msgspec.Meta(max_length=64)]
    display_name: Name
    roles: list[RoleName]
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    team: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    # Not `programmes`: a body field may not share a dependency's name (the programme service).
    programme_codes: list[Code] = []


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; those left out stay as they are. `team: ""` takes them out of
    their team."""

    display_name: Name | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    roles: list[RoleName] | None = None
    team: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    programme_codes: list[Code] | None = None


class User(msgspec.Struct):
    """A user as administrators see them."""

    id: int
    username: str
    display_name: str
    email: str
    roles: list[str]
    team: str | None
    programmes: list[str]
    is_active: bool
    must_change_password: bool

    @classmethod
    def of(cls, user: UserSummary) -> User:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            roles=list(user.roles),
            team=user.team,
            programmes=list(user.programmes),
            is_active=user.is_active,
            must_change_password=user.must_change_password,
        )


class UserWithPassword(msgspec.Struct):
    """The user and their temporary password, which is in this answer only (it is stored
    hashed) and must be changed when they first sign in, before `expires_at`."""

    user: User
    temporary_password: str
    expires_at: dt.datetime

    @classmethod
    def of(cls, issued: TemporaryPassword) -> UserWithPassword:
        return cls(
            user=User.of(issued.user),
            temporary_password=issued.password,
            expires_at=issued.expires_at,
        )


class Revoked(msgspec.Struct):
    """How many live credentials of each kind were revoked."""

    sessions: int
    access: int
    personal: int


class TeamCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=100)]
    programme: Code | None = None


class TeamUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A new name, and/or the members (usernames) and which of them manages the team."""

    name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    # Not `members`: a body field may not share a dependency's name (the member service).
    member_usernames: list[Annotated[str, msgspec.Meta(max_length=64)]] | None = None
    manager: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class Team(msgspec.Struct):
    id: int
    name: str
    programme: str | None
    members: list[str]
    managers: list[str]

    @classmethod
    def of(cls, team: TeamSummary) -> Team:
        return cls(
            id=team.id,
            name=team.name,
            programme=team.programme,
            members=list(team.members),
            managers=list(team.managers),
        )


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(max_length=1024)]
    new_password: Annotated[str, msgspec.Meta(max_length=1024)]
