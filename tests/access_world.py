"""A small programme world for access tests: two programmes, two teams, one user per role."""

from __future__ import annotations

import datetime as dt

import attrs

from connecting_families.accounts.service import AccountService
from connecting_families.accounts.tables import Team, User, UserProgramme, UserRole
from connecting_families.families.tables import Allocation, Family, FamilyShare
from connecting_families.programmes.tables import Programme


@attrs.define
class World:
    """Ids of what `build_world` made, and an access token per user."""

    programmes: dict[str, int] = attrs.Factory(dict)
    users: dict[str, int] = attrs.Factory(dict)
    tokens: dict[str, str] = attrs.Factory(dict)
    # A page session per user, and a CSRF token the app issued (see `page_headers`).
    sessions: dict[str, str] = attrs.Factory(dict)
    csrf: str = ""
    families: dict[str, int] = attrs.Factory(dict)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def page_headers(self, user: str) -> dict[str, str]:
        """What a browser signed in as `user` sends with a form: its cookies and the token."""
        return {
            "Cookie": f"cf_session={self.sessions[user]}; csrftoken={self.csrf}",
            "X-CSRFToken": self.csrf,
        }


# user name -> (roles, team, programmes)
USERS = {
    "kw_own": (["key_worker"], "team_a", ["P1"]),
    "kw_other": (["key_worker"], "team_b", ["P1"]),
    "kw_spare": (["key_worker"], "team_a", ["P1"]),
    "tm": (["team_manager"], "team_a", ["P1"]),
    "pm": (["programme_manager"], None, ["P1"]),
    "auditor": (["auditor"], None, ["P1"]),
    "admin": (["admin"], None, []),
    "fd": (["front_door"], None, ["P1"]),
}

# For each user, a family in their caseload and one outside it.
OWN_AND_OTHER = {
    "kw_own": ("own", "other_team"),
    "kw_other": ("other_team", "own"),
    "kw_spare": ("shared", "own"),
    "tm": ("own", "other_team"),
    "pm": ("own", "other_programme"),
    "auditor": ("own", "other_programme"),
    "admin": ("own", "other_programme"),
    "fd": ("own", "other_programme"),
}


async def _insert(row: object) -> int:
    table = type(row)
    result = await table.insert(row).returning(table._meta.primary_key)
    return int(result[0]["id"])


async def build_world(accounts: AccountService) -> World:
    world = World()
    for code in ("P1", "P2"):
        world.programmes[code] = await _insert(
            Programme(code=code, name=code, local_authority="LA", ruleset_id="tf2012")
        )
    teams = {
        name: await _insert(Team(name=name, programme=world.programmes["P1"]))
        for name in ("team_a", "team_b")
    }
    for username, (roles, team, programmes) in USERS.items():
        user_id = await _insert(
            User(username=username, display_name=username, team=teams[team] if team else None)
        )
        world.users[username] = user_id
        for role in roles:
            await _insert(UserRole(user=user_id, role=role))
        for code in programmes:
            await _insert(UserProgramme(user=user_id, programme=world.programmes[code]))
        world.tokens[username] = (await accounts.issue_token(user_id, "access")).token
        world.sessions[username] = (await accounts.issue_token(user_id, "session")).token

    families = {
        "own": ("P1", "kw_own"),
        "other_team": ("P1", "kw_other"),
        "unallocated": ("P1", None),
        "other_programme": ("P2", None),
        "shared": ("P1", "kw_own"),
    }
    for name, (code, worker) in families.items():
        family_id = await _insert(
            Family(
                programme=world.programmes[code],
                family_ref=f"F-{name}",
                identified_on=dt.date(2013, 1, 1),
            )
        )
        world.families[name] = family_id
        if worker:
            await _insert(
                Allocation(
                    family=family_id,
                    key_worker=world.users[worker],
                    started_at=dt.datetime(2013, 2, 1, tzinfo=dt.UTC),
                )
            )
    await FamilyShare.insert(
        FamilyShare(family=world.families["shared"], user=world.users["kw_spare"])
    )
    return world
