"""Staff passwords: Argon2id (argon2-cffi's RFC 9106 defaults), long passphrases welcome."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # long passphrases are fine; this only bounds the work one request can cause

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a miss takes as long as a wrong password.
_DUMMY = _hasher.hash("policywarden: no such account")


def problem(password: str, username: str = "") -> str | None:
    """What makes a new password unacceptable, or None. No composition rules (NIST 800-63B)."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a passphrase of several words is best."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if username and password.strip().lower() == username.lower():
        return "The password must not be the username."
    if len(set(password)) < 4:
        return "That password is too easy to guess."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Constant work whether or not the account exists."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
