"""Users and teams for administrators (`/api/v1/users`, `/api/v1/teams/admin`), and a user's
own password (`/api/v1/auth/password`, `/api/v1/auth/sign-out-everywhere`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.caller import Caller
from connecting_families.access.guard import BEFORE_PASSWORD_CHANGE
from connecting_families.access.policy import ADMIN_ONLY, SIGNED_IN
from connecting_families.accounts.passwords import PasswordService
from connecting_families.accounts.repository import RevokedTokens
from connecting_families.accounts.teams import TeamService
from connecting_families.accounts.user_schemas import (
    PasswordChange,
    Revoked,
    Team,
    TeamCreate,
    TeamUpdate,
    User,
    UserCreate,
    UserUpdate,
    UserWithPassword,
)
from connecting_families.accounts.users import UserDraft, UserService
from connecting_families.http_params import RecordId
from connecting_families.problems import problem_responses

ADMIN_PROBLEMS = problem_responses([403, 404, 409, 422])


def _revoked(revoked: RevokedTokens) -> Revoked:
    return Revoked(sessions=revoked.sessions, access=revoked.access, personal=revoked.personal)


class UserController(Controller):
    """Administrators create and change users; every change is audited."""

    path = "/api/v1/users"
    tags = ["users"]

    @get(opt={"access": ADMIN_ONLY})
    async def list_users(
        self, user_admin: NamedDependency[UserService], caller: NamedDependency[Caller]
    ) -> list[User]:
        """Every user, by username.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
        """
        return [User.of(user) for user in await user_admin.list_users(caller)]

    @post(opt={"access": ADMIN_ONLY}, responses=ADMIN_PROBLEMS)
    async def create_user(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        data: JSONBody[UserCreate],
    ) -> UserWithPassword:
        """Create a user with a temporary password, shown in this answer only.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            data: The user.
        """
        draft = UserDraft(
            display_name=data.display_name,
            email=data.email,
            roles=data.roles,
            team=data.team,
            programmes=data.programme_codes,
        )
        return UserWithPassword.of(await user_admin.create_user(caller, data.username, draft))

    @get("/{user_id:int}", opt={"access": ADMIN_ONLY}, responses=ADMIN_PROBLEMS)
    async def get_user(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> User:
        """One user.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        return User.of(await user_admin.get_user(caller, user_id))

    @patch("/{user_id:int}", opt={"access": ADMIN_ONLY}, responses=ADMIN_PROBLEMS)
    async def update_user(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
        data: JSONBody[UserUpdate],
    ) -> User:
        """Change a user's name, email, roles, team or programmes.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
            data: The fields to change.
        """
        draft = UserDraft(
            display_name=data.display_name,
            email=data.email,
            roles=data.roles,
            team=data.team,
            programmes=data.programme_codes,
        )
        return User.of(await user_admin.update_user(caller, user_id, draft))

    @post(
        "/{user_id:int}/deactivate",
        opt={"access": ADMIN_ONLY},
        status_code=200,
        responses=ADMIN_PROBLEMS,
    )
    async def deactivate_user(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Revoked:
        """Refuse the user from now on; every session and token they hold is revoked.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        return _revoked(await user_admin.set_active(caller, user_id, active=False))

    @post(
        "/{user_id:int}/reactivate",
        opt={"access": ADMIN_ONLY},
        status_code=200,
        responses=ADMIN_PROBLEMS,
    )
    async def reactivate_user(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> User:
        """Let a deactivated user sign in again (with their password as it was).

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        await user_admin.set_active(caller, user_id, active=True)
        return User.of(await user_admin.get_user(caller, user_id))

    @post(
        "/{user_id:int}/temporary-password",
        opt={"access": ADMIN_ONLY},
        status_code=200,
        responses=ADMIN_PROBLEMS,
    )
    async def reset_password(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> UserWithPassword:
        """Reset the user's password to a temporary one, shown in this answer only; they must
        change it when they sign in, and every session and token they hold is revoked.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        return UserWithPassword.of(await user_admin.issue_temporary_password(caller, user_id))


class TeamAdminController(Controller):
    """Administrators create teams, rename them and set their members and manager."""

    path = "/api/v1/admin/teams"
    tags = ["teams"]

    @get(opt={"access": ADMIN_ONLY})
    async def list_teams(
        self, team_admin: NamedDependency[TeamService], caller: NamedDependency[Caller]
    ) -> list[Team]:
        """Every team, with its members and managers.

        Args:
            team_admin: The team service.
            caller: The signed-in administrator.
        """
        return [Team.of(team) for team in await team_admin.list_teams(caller)]

    @post(opt={"access": ADMIN_ONLY}, responses=ADMIN_PROBLEMS)
    async def create_team(
        self,
        team_admin: NamedDependency[TeamService],
        caller: NamedDependency[Caller],
        data: JSONBody[TeamCreate],
    ) -> Team:
        """Create a team, optionally of one programme.

        Args:
            team_admin: The team service.
            caller: The signed-in administrator.
            data: The team.
        """
        return Team.of(await team_admin.create_team(caller, data.name, data.programme))

    @patch("/{team_id:int}", opt={"access": ADMIN_ONLY}, responses=ADMIN_PROBLEMS)
    async def update_team(
        self,
        team_admin: NamedDependency[TeamService],
        caller: NamedDependency[Caller],
        team_id: RecordId,
        data: JSONBody[TeamUpdate],
    ) -> Team:
        """Rename a team, or set its members (and which of them manages it).

        Args:
            team_admin: The team service.
            caller: The signed-in administrator.
            team_id: The team.
            data: The new name, or the members and manager.
        """
        team = await team_admin.update_team(
            caller, team_id, name=data.name, members=data.member_usernames, manager=data.manager
        )
        return Team.of(team)


class OwnPasswordController(Controller):
    """A signed-in user's own password and sessions."""

    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/password",
        opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True},
        status_code=200,
        responses=problem_responses([422, 429]),
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        own_account: NamedDependency[PasswordService],
        caller: NamedDependency[Caller],
        data: JSONBody[PasswordChange],
    ) -> Revoked:
        """Change your password (the current one is needed); every other session and token
        of yours is revoked, this one goes on.

        Args:
            request: The request, whose token goes on.
            own_account: The service for your own account.
            caller: You.
            data: The current password and the new one.
        """
        revoked = await own_account.change_password(
            caller,
            data.current_password,
            data.new_password,
            keep_token=request.scope["auth"].token_id,
        )
        return _revoked(revoked)

    @post(
        "/sign-out-everywhere",
        opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True},
        status_code=200,
    )
    async def sign_out_everywhere(
        self, own_account: NamedDependency[PasswordService], caller: NamedDependency[Caller]
    ) -> Revoked:
        """Revoke every session and token of yours, the one this request came with too.

        Args:
            own_account: The service for your own account.
            caller: You.
        """
        return _revoked(await own_account.sign_out_everywhere(caller))
