"""Account tables."""

from piccolo.columns import Boolean, Serial, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.database.columns import refers_to
from connecting_families.programmes.tables import Programme


class Team(Table):
    """A team of key workers under one team manager."""

    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)
    programme = refers_to(Programme, null=True)
    created_at = Timestamptz()


class User(Table, tablename="app_user"):
    """A person who signs in. Never deleted: deactivated, so the audit log keeps its actor."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=200)
    email = Varchar(length=254, default="")
    password_hash = Varchar(length=255, null=True, default=None)
    team = refers_to(Team, null=True)
    is_active = Boolean(default=True)
    # Set when an administrator issues a temporary password: until the user chooses their own,
    # they may do nothing but change it, and the temporary one stops working at the expiry.
    must_change_password = Boolean(default=False)
    temporary_password_expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class UserRole(Table):
    """One role a user holds (a user may hold several)."""

    id = Serial(primary_key=True)
    user = refers_to(User)
    role = Varchar(length=32)


class UserProgramme(Table):
    """A programme a user works in; an installation can serve several."""

    id = Serial(primary_key=True)
    user = refers_to(User)
    programme = refers_to(Programme)


class AuthToken(Table):
    """A credential: a page session, a short-lived API access token or a personal API token.

    Only an HMAC of the token is stored; the token itself is shown once, when issued.
    """

    id = Serial(primary_key=True)
    user = refers_to(User)
    kind = Varchar(length=16)  # 'session', 'access' or 'personal'
    name = Varchar(length=100, default="")
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table):
    """One sign-in attempt, kept in the database so throttling holds across server workers."""

    id = Serial(primary_key=True)
    username = Varchar(length=64)
    address = Varchar(length=64)
    attempted_at = Timestamptz()
    succeeded = Boolean(default=False)
