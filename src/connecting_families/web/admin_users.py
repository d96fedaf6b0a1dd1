"""An administrator's pages for users: the list, a new user, a user's page with its changes,
deactivation and reactivation, and a temporary password (confirmed, then shown once).

The pages call the same `UserService` as the API and the CLI. A temporary password is shown
on the page that answers the form, never in an address, and the page is not cached.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.guard import ROLE_WORDS
from connecting_families.access.policy import ADMIN_ONLY, ROLES
from connecting_families.accounts import repository as repo
from connecting_families.accounts.repository import UserSummary
from connecting_families.accounts.users import TemporaryPassword, UserDraft, UserService
from connecting_families.domain.dates import ENGLAND
from connecting_families.errors import DomainError
from connecting_families.http_params import RecordId
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    chosen,
    form_values,
    refused,
)
from connecting_families.web.templating import page

USER_LABELS = {
    "username": "Username",
    "display_name": "Full name",
    "email": "Email address",
    "roles": "Roles",
    "team": "Team",
    "programmes": "Programmes",
}
EDIT_LABELS = {name: label for name, label in USER_LABELS.items() if name != "username"}
NOT_CACHED = {"Cache-Control": "no-store"}

SAVED.update(
    {
        "user-changed": "The user's details were changed.",
        "user-deactivated": "The user was deactivated. Their sessions and tokens have ended.",
        "user-reactivated": "The user was reactivated. They can sign in with their password.",
    }
)


def role_options() -> list[tuple[str, str]]:
    return [(role, ROLE_WORDS[role][0].split(" ", 1)[1].capitalize()) for role in ROLES]


async def form_context() -> dict[str, Any]:
    """What the user forms offer: the roles, the teams and the programmes."""
    return {
        "role_options": role_options(),
        "team_options": [(team.name, team.name) for team in await repo.teams()],
        "programme_options": [
            (code, f"{name} ({code})") for code, name in await repo.programme_codes()
        ],
    }


def draft_of(values: dict[str, str]) -> UserDraft:
    return UserDraft(
        display_name=values.get("display_name", ""),
        email=values.get("email", ""),
        roles=chosen(values, "roles"),
        team=values.get("team", ""),
        programmes=chosen(values, "programmes"),
    )


def values_of(user: UserSummary) -> dict[str, str]:
    return {
        "display_name": user.display_name,
        "email": user.email,
        "roles": "\n".join(user.roles),
        "team": user.team or "",
        "programmes": "\n".join(user.programmes),
    }


def password_page(issued: TemporaryPassword, created: bool) -> Template:
    expires = issued.expires_at.astimezone(ENGLAND)
    shown = page("admin/temporary_password.html", issued=issued, created=created, expires=expires)
    shown.headers.update(NOT_CACHED)
    return shown


class AdminUserPages(Controller):
    """Users, for administrators."""

    include_in_schema = False

    @get("/admin", opt={"access": ADMIN_ONLY})
    async def admin_home(self) -> Template:
        """What an administrator does: users, teams, programmes."""
        return page("admin/home.html")

    @get("/admin/users", opt={"access": ADMIN_ONLY})
    async def users_page(
        self, user_admin: NamedDependency[UserService], caller: NamedDependency[Caller]
    ) -> Template:
        """Every user, with their roles, team and whether they can sign in.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
        """
        return page("admin/users.html", users=await user_admin.list_users(caller))

    @get("/admin/users/new", opt={"access": ADMIN_ONLY})
    async def new_user_form(self) -> Template:
        """The form for a new user."""
        return page("admin/user_form.html", **await form_context(), form=Form(), user=None)

    @post("/admin/users", opt={"access": ADMIN_ONLY, FORM_LABELS: USER_LABELS})
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
    ) -> Response[Any]:
        """Create the user, and show their temporary password this once.

        Args:
            request: The form post.
            user_admin: The user service.
            caller: The signed-in administrator.
        """
        values = await form_values(request)
        try:
            issued = await user_admin.create_user(
                caller, values.get("username", ""), draft_of(values)
            )
        except DomainError as error:
            context = await form_context()
            return refused(
                error, values, USER_LABELS, "admin/user_form.html", **context, user=None
            )
        return password_page(issued, created=True)

    @get("/admin/users/{user_id:int}", opt={"access": ADMIN_ONLY})
    async def user_page(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Template:
        """One user: their details, and what an administrator can do to their account.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        user = await user_admin.get_user(caller, user_id)
        return page("admin/user.html", user=user, roles=dict(role_options()))

    @get("/admin/users/{user_id:int}/edit", opt={"access": ADMIN_ONLY})
    async def edit_user_form(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Template:
        """The form to change a user's name, email, roles, team and programmes.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        user = await user_admin.get_user(caller, user_id)
        return page(
            "admin/user_form.html",
            **await form_context(),
            form=Form(values=values_of(user)),
            user=user,
        )

    @post("/admin/users/{user_id:int}", opt={"access": ADMIN_ONLY, FORM_LABELS: EDIT_LABELS})
    async def update_user(
        self,
        request: Request[Any, Any, Any],
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Response[Any]:
        """Change the user.

        Args:
            request: The form post.
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        values = await form_values(request)
        user = await user_admin.get_user(caller, user_id)
        try:
            await user_admin.update_user(caller, user_id, draft_of(values))
        except DomainError as error:
            context = await form_context()
            return refused(
                error, values, EDIT_LABELS, "admin/user_form.html", **context, user=user
            )
        return accepted(f"/admin/users/{user_id}", "user-changed")

    @post("/admin/users/{user_id:int}/deactivate", opt={"access": ADMIN_ONLY, FORM_LABELS: {}})
    async def deactivate_user(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Response[Any]:
        """Deactivate the user: they cannot sign in, and their sessions and tokens end.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        await user_admin.set_active(caller, user_id, active=False)
        return accepted(f"/admin/users/{user_id}", "user-deactivated")

    @post("/admin/users/{user_id:int}/reactivate", opt={"access": ADMIN_ONLY, FORM_LABELS: {}})
    async def reactivate_user(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Response[Any]:
        """Let the user sign in again.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        await user_admin.set_active(caller, user_id, active=True)
        return accepted(f"/admin/users/{user_id}", "user-reactivated")

    @get("/admin/users/{user_id:int}/temporary-password", opt={"access": ADMIN_ONLY})
    async def confirm_reset(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Template:
        """Ask before resetting: the user's password stops working and their sessions end.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        user = await user_admin.get_user(caller, user_id)
        return page("admin/confirm_reset.html", user=user)

    @post(
        "/admin/users/{user_id:int}/temporary-password",
        opt={"access": ADMIN_ONLY, FORM_LABELS: {}},
    )
    async def reset_password(
        self,
        user_admin: NamedDependency[UserService],
        caller: NamedDependency[Caller],
        user_id: RecordId,
    ) -> Response[Any]:
        """Issue a temporary password and show it this once.

        Args:
            user_admin: The user service.
            caller: The signed-in administrator.
            user_id: The user.
        """
        return password_page(
            await user_admin.issue_temporary_password(caller, user_id), created=False
        )
