"""HTTP shapes for sign-in and tokens. Unknown fields are refused: nothing sets server fields."""

from __future__ import annotations

import datetime as dt

import msgspec

from connecting_families.access.policy import Principal


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    username: str = msgspec.field()
    password: str = msgspec.field()


class AccessToken(msgspec.Struct):
    """A short-lived bearer token for the API."""

    access_token: str
    token_type: str
    expires_in: int


class PersonalTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    expires_in_days: int | None = None


class PersonalTokenIssued(msgspec.Struct):
    """The token is in this answer only; it is stored hashed and cannot be shown again."""

    id: int
    name: str
    token: str
    expires_at: dt.datetime | None


class PersonalToken(msgspec.Struct):
    id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class Me(msgspec.Struct):
    """The signed-in user."""

    username: str
    roles: list[str]
    team_id: int | None
    programme_ids: list[int]

    @classmethod
    def of(cls, principal: Principal) -> Me:
        return cls(
            username=principal.username,
            roles=sorted(principal.roles),
            team_id=principal.team_id,
            programme_ids=sorted(principal.programme_ids),
        )
