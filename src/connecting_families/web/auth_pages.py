"""Signing in and out of the pages, and the home page that leads each role to its work."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from connecting_families.access.guard import (
    BEFORE_PASSWORD_CHANGE,
    SESSION_COOKIE,
    client_address,
    set_session_cookie,
)
from connecting_families.access.policy import (
    ADMIN,
    AUDITOR,
    FRONT_DOOR,
    KEY_WORKER,
    PROGRAMME_MANAGER,
    PUBLIC,
    SIGNED_IN,
    TEAM_MANAGER,
    Principal,
)
from connecting_families.accounts.service import AccountService, SignInRefused, SignInThrottled
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.programmes.tables import Programme
from connecting_families.web.errors import safe_next
from connecting_families.web.forms import FORM_LABELS, Form, form_values, read, refused
from connecting_families.web.templating import page, path_segment

SIGN_IN_LABELS = {"username": "Username", "password": "Password"}
Typed = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class SignInForm(msgspec.Struct):
    """The sign-in form: both fields are needed (the service checks the pair)."""

    username: Typed
    password: Typed
    next: str = "/"


class SignInPages(Controller):
    """Sign in with a username and password; the session lives in an HttpOnly cookie."""

    include_in_schema = False

    @get("/sign-in", opt={"access": PUBLIC})
    async def sign_in_page(self, next: FromQuery[str | None] = None) -> Template:
        """The sign-in form.

        Args:
            next: The page to go to after signing in.
        """
        return page("sign_in.html", form=Form(values={"next": safe_next(next)}))

    @post("/sign-in", opt={"access": PUBLIC, FORM_LABELS: SIGN_IN_LABELS})
    async def sign_in(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> Response[Any]:
        """Check the password; on success set the session cookie and go on.

        Args:
            request: The form post.
            accounts: The account service.
        """
        values = await form_values(request)
        target = safe_next(values.get("next"))
        # The password is never shown again; the username is kept.
        kept = {"username": values.get("username", ""), "next": target}
        try:
            data = read(values, SignInForm, SIGN_IN_LABELS)
            issued = await accounts.sign_in(
                data.username, data.password, client_address(request), "session"
            )
        except SignInThrottled as error:
            throttled = page(
                "sign_in.html", status=429, form=Form(values=kept, summary=(error.detail,))
            )
            throttled.headers.update(error.headers)
            return throttled
        except SignInRefused:
            # A wrong password is a form that was wrong (422), not a missing credential (the
            # 401 that the pages answer by sending a person to sign in).
            wrong = Invalid(
                "The username or password is wrong.",
                errors=[field_error("password", "The username or password is wrong")],
            )
            return refused(wrong, kept, SIGN_IN_LABELS, "sign_in.html")
        except DomainError as error:
            return refused(error, kept, SIGN_IN_LABELS, "sign_in.html")
        response: Response[Any] = Redirect(target)
        set_session_cookie(response, request, issued.token)
        return response

    @post("/sign-out", opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True, FORM_LABELS: {}})
    async def sign_out(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        actor: NamedDependency[Actor],
    ) -> Response[Any]:
        """End the session and remove its cookie.

        Args:
            request: The request whose session ends.
            accounts: The account service.
            actor: The signed-in caller.
        """
        await accounts.revoke_token(actor, request.scope["auth"].token_id, actor.user_id or 0)
        response: Response[Any] = Redirect("/sign-in")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/", opt={"access": SIGNED_IN})
    async def home(self, principal: NamedDependency[Principal]) -> Response[Any]:
        """Each role's first page: the caseload, the team, the programme or the audit log.

        Args:
            principal: The signed-in caller.
        """
        target = await home_of(principal)
        if target is None:
            return page("no_role.html")
        return Redirect(target)


async def home_of(principal: Principal) -> str | None:
    if KEY_WORKER in principal.roles:
        return "/caseload"
    if TEAM_MANAGER in principal.roles:
        return "/team"
    if FRONT_DOOR in principal.roles:
        return "/front-door"
    if principal.roles & {PROGRAMME_MANAGER, AUDITOR} and principal.programme_ids:
        first = (
            await Programme.select(Programme.code)
            .where(Programme.id.is_in(sorted(principal.programme_ids)))
            .order_by(Programme.code)
            .first()
        )
        if first:
            return f"/programmes/{path_segment(first['code'])}"
    if ADMIN in principal.roles:
        return "/admin"
    if AUDITOR in principal.roles:
        return "/audit"
    return None
