"""A small demo authority for the schema tests: a bearer token per role, and the real ids
that generated requests put in their paths and queries some of the time.

Random ids almost always miss, so a generated request would rarely get past "not found";
with the ids of records that exist, it reaches the handlers' real work (and their bugs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import httpx
from hypothesis import strategies as st
from litestar import Litestar

from connecting_families.accounts.tables import Team, User, UserRole
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.claims.tables import Claim, ClaimLine
from connecting_families.demo import CODES, TF2012, load_demo
from connecting_families.evidence.recording import SINGLE_KINDS
from connecting_families.families.tables import Allocation, Family, FamilyStatusChange, Membership
from connecting_families.imports.service import IMPORT_KINDS
from connecting_families.plans.tables import FamilyPlan, PlanAction, PlanGoal

from conftest import running

# Few families keep the seeding quick; enough that every demo team has some.
DEMO_FAMILIES = 24
DEMO_SEED = 2012
PERSONAL_TOKEN_LIFETIME = dt.timedelta(days=2)
# Who plays each role; the key worker and team manager are chosen from the data (see `_cast`).
FIXED_USERS = {
    "programme_manager": "pm.tf12",
    "auditor": "demo.auditor",
    "admin": "demo.admin",
}
ROLES = ("key_worker", "team_manager", "programme_manager", "auditor", "admin", "anonymous")
# Path parameters whose real values depend on the family in the same path.
FAMILY_PARTS = (
    "membership_id",
    "person_id",
    "plan_id",
    "goal_id",
    "action_id",
    "closure_id",
    "assessment_ref",
    "need_ref",
)


@attrs.frozen
class SchemaWorld:
    """What `seed_world` made: tokens by role and the real values of path and query parameters."""

    tokens: Mapping[str, str]
    # A second token per role, for the route that revokes the token it was called with.
    spare_tokens: Mapping[str, str]
    # For each family id, the real values of the other parameters of paths under it.
    families: Mapping[int, Mapping[str, Sequence[Any]]]
    # Parameter name -> real values, for parameters that do not hang off a family.
    values: Mapping[str, Sequence[Any]]
    claim_lines: Sequence[tuple[int, int]]
    # The ids of the tokens in `tokens`, which no generated request may revoke.
    own_token_ids: frozenset[int]

    def headers(self, role: str, *, spare: bool = False) -> dict[str, str]:
        if role == "anonymous":
            return {}
        token = (self.spare_tokens if spare else self.tokens)[role]
        return {"Authorization": f"Bearer {token}"}


async def seed_world(app: Litestar) -> SchemaWorld:
    """Load a demo authority into `app`'s database, prepare a claim, and issue tokens."""
    async with (
        running(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http,
    ):
        await load_demo(app.state.engine, families=DEMO_FAMILIES, seed=DEMO_SEED)
        users = await _cast()
        tokens: dict[str, str] = {}
        spare: dict[str, str] = {}
        own_ids: list[int] = []
        spare_ids: list[int] = []
        for role, user_id in users.items():
            for into, ids in ((tokens, own_ids), (spare, spare_ids)):
                issued = await app.state.accounts.issue_token(
                    user_id, "personal", name=f"schema {role}", lifetime=PERSONAL_TOKEN_LIFETIME
                )
                into[role] = issued.token
                ids.append(issued.id)
        # A draft claim and a claim window, so claim routes have something real to act on.
        programme = TF2012
        pm = {"Authorization": f"Bearer {tokens['programme_manager']}"}
        claim_url = f"/api/v1/programmes/{programme.code}/claims"
        prepared = await http.post(claim_url, json={"as_of": str(programme.ends_on)}, headers=pm)
        assert prepared.status_code == 201, prepared.text
        window = await http.post(
            f"/api/v1/programmes/{programme.code}/claim-windows",
            json={
                "name": "year end",
                "opens_on": str(programme.ends_on),
                "closes_on": str(programme.ends_on + dt.timedelta(days=60)),
                "as_of": str(programme.ends_on),
            },
            headers=pm,
        )
        assert window.status_code == 201, window.text
        return SchemaWorld(
            tokens=tokens,
            spare_tokens=spare,
            families=await _family_parts(),
            values={
                "code": list(CODES),
                "programme": list(CODES),
                "team_id": [r["id"] for r in await Team.select(Team.id)],
                "key_worker": [r["username"] for r in await User.select(User.username)],
                "claim_id": [r["id"] for r in await Claim.select(Claim.id)],
                "token_id": spare_ids,
            },
            claim_lines=[
                (r["claim"], r["id"])
                for r in await ClaimLine.select(ClaimLine.id, ClaimLine.claim)
            ],
            own_token_ids=frozenset(own_ids),
        )


async def _cast() -> dict[str, int]:
    """A user id per role: the busiest key worker of the first programme, and their manager."""
    by_name = {r["username"]: r for r in await User.select(User.id, User.username, User.team)}
    live = await Allocation.select(Allocation.key_worker).where(Allocation.ended_at.is_null())
    counts: dict[int, int] = {}
    for row in live:
        counts[row["key_worker"]] = counts.get(row["key_worker"], 0) + 1
    short = TF2012.code.split("-")[1].lower()
    workers = [u for name, u in by_name.items() if name.startswith(f"kw.{short}.")]
    worker = max(workers, key=lambda u: counts.get(u["id"], 0))
    managers = await UserRole.select(UserRole.user).where(UserRole.role == "team_manager")
    manager_ids = {r["user"] for r in managers}
    manager = next(
        u for u in by_name.values() if u["id"] in manager_ids and u["team"] == worker["team"]
    )
    cast = {"key_worker": worker["id"], "team_manager": manager["id"]}
    cast.update({role: by_name[name]["id"] for role, name in FIXED_USERS.items()})
    return cast


async def _family_parts() -> dict[int, dict[str, list[Any]]]:
    parts: dict[int, dict[str, list[Any]]] = {
        r["id"]: {name: [] for name in FAMILY_PARTS} for r in await Family.select(Family.id)
    }

    def add(rows: list[dict[str, Any]], name: str, column: str) -> None:
        for row in rows:
            parts[row["family"]][name].append(row[column])

    memberships = await Membership.select(Membership.id, Membership.family, Membership.person)
    add(memberships, "membership_id", "id")
    add(memberships, "person_id", "person")
    add(await FamilyPlan.select(FamilyPlan.id, FamilyPlan.family), "plan_id", "id")
    goals = await PlanGoal.select(PlanGoal.id, PlanGoal.plan.family.as_alias("family"))
    add(goals, "goal_id", "id")
    actions = await PlanAction.select(
        PlanAction.id, PlanAction.goal.plan.family.as_alias("family")
    )
    add(actions, "action_id", "id")
    closures = await FamilyStatusChange.select(
        FamilyStatusChange.id, FamilyStatusChange.family
    ).where(FamilyStatusChange.status == "closed")
    add(closures, "closure_id", "id")
    assessments = await Assessment.select(Assessment.assessment_ref, Assessment.family)
    add(assessments, "assessment_ref", "assessment_ref")
    add(await Need.select(Need.need_ref, Need.family), "need_ref", "need_ref")
    return parts


def _sometimes(generated: Any, real: Sequence[Any]) -> st.SearchStrategy[Any]:
    """The generated value or, as often, a real one."""
    if not real:
        return st.just(generated)
    return st.one_of(st.just(generated), st.sampled_from(real))


def path_parameters(
    world: SchemaWorld,
) -> Callable[[str, dict[str, Any]], st.SearchStrategy[dict[str, Any]]]:
    """A strategy of path parameters for an operation's path, mixing in real ids."""
    family_ids = sorted(world.families)
    kinds = {"evidence": list(SINGLE_KINDS), "imports": list(IMPORT_KINDS)}

    def strategy(path: str, generated: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        if generated.get("token_id") in world.own_token_ids:
            # Small ids are likely; revoking the run's own token would turn the rest into 401s.
            generated = {**generated, "token_id": world.values["token_id"][0]}

        def values(family_id: Any) -> dict[str, Sequence[Any]]:
            real: dict[str, Sequence[Any]] = dict(world.values)
            real.update(world.families.get(family_id, {}))
            real["kind"] = kinds["evidence" if "/evidence/" in path else "imports"]
            return real

        def mix(family_id: Any) -> st.SearchStrategy[dict[str, Any]]:
            real = values(family_id)
            drawn: dict[str, st.SearchStrategy[Any]] = {
                name: _sometimes(value, real.get(name, ())) for name, value in generated.items()
            }
            if "family_id" in generated:
                drawn["family_id"] = st.just(family_id)
            if "line_id" in generated and world.claim_lines:
                pairs = st.sampled_from(world.claim_lines)
                return st.fixed_dictionaries(drawn).flatmap(
                    lambda d: st.one_of(
                        st.just(d), pairs.map(lambda p: {**d, "claim_id": p[0], "line_id": p[1]})
                    )
                )
            return st.fixed_dictionaries(drawn)

        if "family_id" in generated:
            return _sometimes(generated["family_id"], family_ids).flatmap(mix)
        return mix(None)

    return strategy


REAL_QUERY = frozenset({"programme", "team_id", "key_worker"})


def query(world: SchemaWorld, generated: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Query parameters with real programme codes, team ids and usernames some of the time."""
    drawn = {
        name: _sometimes(value, world.values.get(name, ()) if name in REAL_QUERY else ())
        for name, value in generated.items()
    }
    return st.fixed_dictionaries(drawn)
