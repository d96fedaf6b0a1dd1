"""HTTP shapes for sign-in and tokens. Unknown fields are refused: nothing sets server fields."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from connecting_families.access.policy import Principal


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=200)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class AccessToken(msgspec.Struct):
    """A short-lived bearer token for the API."""

    access_token: str
    token_type: str
    expires_in: int


class PersonalTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    # At most a year; a year when not given.
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None


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
