"""Your account, for everyone: change your password, see and revoke your personal tokens and
sessions, and sign out of every session.

Someone signed in with a temporary password is sent to the change-password page by the guard
(`access/guard.py`) and can use nothing else until they have changed it.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.guard import BEFORE_PASSWORD_CHANGE, SESSION_COOKIE
from connecting_families.access.policy import SIGNED_IN
from connecting_families.accounts import repository as repo
from connecting_families.accounts.passwords import PasswordService
from connecting_families.accounts.service import AccountService, SignInThrottled
from connecting_families.errors import DomainError
from connecting_families.http_params import RecordId
from connecting_families.web.forms import FORM_LABELS, SAVED, Form, accepted, form_values
from connecting_families.web.templating import page

PASSWORD_LABELS = {"current_password": "Current password", "new_password": "New password"}

SAVED.update(
    {
        "password-changed": "Your password was changed. Your other sessions have ended.",
        "token-revoked": "The token was revoked.",
        "signed-out-everywhere": "You were signed out of every session, and your tokens were"
        " revoked.",
    }
)


class AccountPages(Controller):
    """Your account."""

    include_in_schema = False

    @get("/account", opt={"access": SIGNED_IN})
    async def account_page(
        self,
        request: Request[Any, Any, Any],
        own_account: NamedDependency[PasswordService],
        caller: NamedDependency[Caller],
    ) -> Template:
        """Your account: your details, password, sessions and personal tokens.

        Args:
            request: The request, whose session is marked as this one.
            own_account: The service for your own account.
            caller: You.
        """
        assert caller.principal is not None
        me = (await repo.users(user_id=caller.principal.user_id))[0]
        tokens = await own_account.tokens(caller)
        at = repo.now()
        return page(
            "account/account.html",
            mine=me,
            sessions=[t for t in tokens if t.kind == "session" and t.live(at)],
            personal=[t for t in tokens if t.kind == "personal"],
            this_session=request.scope["auth"].token_id,
            at=at,
        )

    @get("/account/password", opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True})
    async def password_form(self, request: Request[Any, Any, Any]) -> Template:
        """The form to change your password.

        Args:
            request: The request (a temporary password is to be changed first).
        """
        must = request.scope["auth"].must_change_password
        return page("account/password.html", form=Form(), must_change=must)

    @post(
        "/account/password",
        opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True, FORM_LABELS: PASSWORD_LABELS},
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        own_account: NamedDependency[PasswordService],
        caller: NamedDependency[Caller],
    ) -> Response[Any]:
        """Change your password; every other session and token of yours ends.

        Args:
            request: The form post.
            own_account: The service for your own account.
            caller: You.
        """
        values = await form_values(request)
        must = request.scope["auth"].must_change_password
        try:
            # The service checks both fields, and names every problem at once.
            await own_account.change_password(
                caller,
                values.get("current_password", ""),
                values.get("new_password", ""),
                keep_token=request.scope["auth"].token_id,
            )
        except SignInThrottled as error:
            refused = Form(summary=(error.detail,))
            throttled = page("account/password.html", status=429, form=refused, must_change=must)
            throttled.headers.update(error.headers)
            return throttled
        except DomainError as error:
            if error.status_code != 422:
                raise
            # Passwords are never shown again.
            form = Form.refusing({}, error, PASSWORD_LABELS)
            return page("account/password.html", status=422, form=form, must_change=must)
        return accepted("/account", "password-changed")

    @post("/account/tokens/{token_id:int}/revoke", opt={"access": SIGNED_IN, FORM_LABELS: {}})
    async def revoke_token(
        self,
        accounts: NamedDependency[AccountService],
        caller: NamedDependency[Caller],
        token_id: RecordId,
    ) -> Response[Any]:
        """Revoke one of your personal tokens or sessions (someone else's is not found).

        Args:
            accounts: The account service.
            caller: You.
            token_id: The token.
        """
        assert caller.principal is not None
        await accounts.revoke_token(caller.actor, token_id, caller.principal.user_id)
        return accepted("/account", "token-revoked")

    @post(
        "/account/sign-out-everywhere",
        opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True, FORM_LABELS: {}},
    )
    async def sign_out_everywhere(
        self, own_account: NamedDependency[PasswordService], caller: NamedDependency[Caller]
    ) -> Response[Any]:
        """End every session and revoke every token of yours, this session too.

        Args:
            own_account: The service for your own account.
            caller: You.
        """
        await own_account.sign_out_everywhere(caller)
        response: Response[Any] = accepted("/sign-in", "signed-out-everywhere")
        response.delete_cookie(SESSION_COOKIE)
        return response
