"""Password hashing and opaque tokens. No state: the service stores what these return."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# argon2-cffi's defaults are argon2id with the RFC 9106 "low memory" parameters.
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss takes as long as a hit: the hash of
# a random password nobody knows, made once with `_hasher`'s parameters (a test checks they
# still match). Hashing one at import cost every start of the service 0.15 s.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$cctyAfpciQWCIRS7gUkKPA"
    "$Dpw8noZ2Y04elovbHOvuLhREF1rINqPVGhI9TDiH5yg"
)


def password_problem(password: str, username: str) -> str | None:
    """Why `password` is not acceptable for `username`, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password may have at most {MAX_PASSWORD_LENGTH} characters"
    if username.lower() in password.lower():
        return "a password may not contain the username"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always does the work of one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    """A new random token; the prefix says what kind it is when someone finds one."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(secret_key: str, token: str) -> str:
    """What is stored for a token: an HMAC, so a copy of the database alone forges nothing."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
