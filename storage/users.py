"""Users of the analysts' workspace: creation with an argon2 hash, listing, and sign-in with a limit
on failed attempts. Every function takes a Session and never commits (DESIGN convention 7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import User, utcnow

if TYPE_CHECKING:
    from argon2 import PasswordHasher

ROLES = ("viewer", "reviewer", "admin")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes anything; a megabyte "password" is an attack on the CPU
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
_NAME = re.compile(r"^[\w.@-]{1,100}$")


class UserError(ValueError):
    """A bad user name, role or password, or a duplicate name: one line for the user."""


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against for unknown names, so a wrong name costs what a wrong password costs.
    return hasher().hash("raqib-no-such-user-password")


def can_review(role: str) -> bool:
    return role in ("reviewer", "admin")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"password too long: at most {MAX_PASSWORD_LENGTH} characters")


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """Create a user; raises :class:`UserError` for a bad name or role, a short password or a name taken."""
    name = name.strip()
    if not _NAME.match(name):
        raise UserError(f"invalid user name {name!r}: letters, digits and . _ @ - only, at most 100")
    if role not in ROLES:
        raise UserError(f"invalid role {role!r}: choose {', '.join(ROLES)}")
    check_password(password)
    if get_user(session, name) is not None:
        raise UserError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=hasher().hash(password), failed_logins=0)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    user: User | None = None
    # ok | unknown | wrong_password | locked
    reason: str = "ok"
    locked_until: datetime | None = None


def authenticate(session: Session, name: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a name and password. After :data:`MAX_FAILED_LOGINS` wrong passwords in a row the user
    is locked for :data:`LOCK_DURATION` (even the right password is refused meanwhile). The caller
    commits: the failure counter must be stored whatever the outcome."""
    from argon2.exceptions import InvalidHashError, VerificationError

    now = now or utcnow()
    user = get_user(session, name.strip()) if len(password) <= MAX_PASSWORD_LENGTH else None
    if user is None:
        try:
            hasher().verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        except (VerificationError, InvalidHashError):
            pass
        return LoginResult(False, reason="unknown")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(False, user, "locked", user.locked_until)
    try:
        hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCK_DURATION
            user.failed_logins = 0
            return LoginResult(False, user, "locked", user.locked_until)
        return LoginResult(False, user, "wrong_password")
    user.failed_logins = 0
    user.locked_until = None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
    return LoginResult(True, user)
