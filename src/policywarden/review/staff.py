"""Staff accounts: creation, roles, passwords, disabling, and log-in with throttling per
account and per address. Usernames are unique and case-insensitive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..store import audit
from ..store.review_models import Staff, StaffSession
from ..store.types import utcnow
from . import passwords
from .roles import normalise_roles
from .settings import ReviewSettings
from .throttle import Rule, Throttles

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$")
LOGIN_WINDOW = timedelta(minutes=15)


class StaffError(ValueError):
    """Bad input for a staff operation; the message is for the person who gave it."""


class LoginRefused(Exception):
    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


@dataclass(frozen=True)
class StaffInfo:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    active: bool
    created_at: datetime
    last_login_at: datetime | None = None

    @property
    def actor(self) -> str:
        return f"person:{self.username}"

    @classmethod
    def of(cls, row: Staff) -> StaffInfo:
        return cls(row.id, row.username, row.display_name, tuple(row.roles), row.active, row.created_at, row.last_login_at)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise StaffError("a username is 3 to 64 characters: lower-case letters, digits, '.', '_' or '-'")
    return name


class StaffStore:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], throttles: Throttles,
                 settings: ReviewSettings, clock=utcnow):
        self.read, self.write, self.throttles, self.settings, self.clock = read, write, throttles, settings, clock

    # ---- administration ---------------------------------------------------------------

    def create(self, username: str, display_name: str, password: str, roles: list[str], actor: str) -> StaffInfo:
        name = check_username(username)
        try:
            roles = normalise_roles(roles)
        except ValueError as exc:
            raise StaffError(str(exc)) from None
        if problem := passwords.problem(password, name):
            raise StaffError(problem)
        display = (display_name or name).strip()[:200]
        digest = passwords.hash_password(password)
        now = self.clock()
        try:
            with self.write.begin() as s:
                row = Staff(username=name, display_name=display, password_hash=digest, roles=roles, active=True,
                            created_at=now, password_changed_at=now)
                s.add(row)
                s.flush()
                audit.append(s, actor, "staff.created", f"staff:{name}", None, {"roles": roles})
                return StaffInfo.of(row)
        except IntegrityError:
            raise StaffError(f"there is already a person called {name!r}") from None

    def list(self) -> list[StaffInfo]:
        with self.read() as s:
            return [StaffInfo.of(r) for r in s.scalars(select(Staff).order_by(Staff.username))]

    def get(self, staff_id: int) -> StaffInfo | None:
        with self.read() as s:
            row = s.get(Staff, staff_id)
            return StaffInfo.of(row) if row else None

    def _row(self, s: Session, username: str) -> Staff:
        row = s.scalars(select(Staff).where(Staff.username == username.strip().lower()).with_for_update()).first()
        if row is None:
            raise StaffError(f"nobody is called {username.strip().lower()!r}")
        return row

    def set_active(self, username: str, active: bool, actor: str) -> StaffInfo:
        """Disabling also ends every session of the person at once."""
        with self.write.begin() as s:
            row = self._row(s, username)
            row.active = active
            row.disabled_at = None if active else self.clock()
            if not active:
                _end_sessions(s, row.id, self.clock())
            audit.append(s, actor, "staff.enabled" if active else "staff.disabled", f"staff:{row.username}", None, {})
            return StaffInfo.of(row)

    def set_roles(self, username: str, roles: list[str], actor: str) -> StaffInfo:
        try:
            roles = normalise_roles(roles)
        except ValueError as exc:
            raise StaffError(str(exc)) from None
        with self.write.begin() as s:
            row = self._row(s, username)
            before = list(row.roles)
            row.roles = roles
            audit.append(s, actor, "staff.roles_changed", f"staff:{row.username}", None, {"from": before, "to": roles})
            return StaffInfo.of(row)

    def set_password(self, username: str, password: str, actor: str) -> None:
        """Set a new password (an administrator's reset); every session of the person ends."""
        name = username.strip().lower()
        if problem := passwords.problem(password, name):
            raise StaffError(problem)
        digest = passwords.hash_password(password)
        with self.write.begin() as s:
            row = self._row(s, name)
            row.password_hash, row.password_changed_at = digest, self.clock()
            _end_sessions(s, row.id, self.clock())
            audit.append(s, actor, "staff.password_set", f"staff:{row.username}", None, {})

    def change_own_password(self, staff_id: int, current: str, new: str, keep_session: int | None = None) -> None:
        with self.read() as s:
            row = s.get(Staff, staff_id)
            stored, name = (row.password_hash, row.username) if row else (None, "")
        if not passwords.verify(stored, current):
            raise StaffError("The current password is not right.")
        if problem := passwords.problem(new, name):
            raise StaffError(problem)
        if new == current:
            raise StaffError("Choose a password different from the current one.")
        digest = passwords.hash_password(new)
        with self.write.begin() as s:
            row = s.get(Staff, staff_id)
            row.password_hash, row.password_changed_at = digest, self.clock()
            _end_sessions(s, staff_id, self.clock(), keep=keep_session)  # other browsers are signed out
            audit.append(s, f"person:{row.username}", "staff.password_changed", f"staff:{row.username}", None, {})

    # ---- log-in -----------------------------------------------------------------------

    def _rules(self) -> tuple[Rule, Rule]:
        st = self.settings
        return (Rule(st.login_failures_per_account, LOGIN_WINDOW, LOGIN_WINDOW),
                Rule(st.login_failures_per_address, LOGIN_WINDOW, LOGIN_WINDOW))

    def authenticate(self, username: str, password: str, address: str) -> StaffInfo:
        """The person, or LoginRefused with one message for every kind of failure, so that
        the answer does not tell whether an account exists, is disabled or is locked."""
        name = username.strip().lower()[:64]
        account_key = self.throttles.key("login-account", name)
        address_key = self.throttles.key("login-address", address)
        now = self.clock()
        with self.read() as s:
            blocked = [t for t in (self.throttles.blocked_until(s, account_key, now),
                                   self.throttles.blocked_until(s, address_key, now)) if t]
            row = s.scalars(select(Staff).where(Staff.username == name)).first()
            stored = row.password_hash if row else None
            active = bool(row and row.active)
        if blocked:
            raise _too_many(max(blocked), now)
        # Verified outside any transaction: Argon2 takes a while and must not hold a lock.
        ok = passwords.verify(stored, password) and active
        now = self.clock()
        if not ok:
            with self.write.begin() as s:  # committed before the refusal is raised
                until = [t for t in (self.throttles.hit(s, account_key, self._rules()[0], now),
                                     self.throttles.hit(s, address_key, self._rules()[1], now)) if t]
                if until:
                    audit.append(s, "system", "staff.login_throttled", f"staff:{name}" if row else None, None, {})
            raise _too_many(max(until), now) if until else LoginRefused("Wrong username or password.")
        with self.write.begin() as s:
            self.throttles.clear(s, account_key)
            row = s.get(Staff, row.id)
            row.last_login_at = now
            if passwords.needs_rehash(row.password_hash):
                row.password_hash = passwords.hash_password(password)
            audit.append(s, f"person:{row.username}", "staff.login", f"staff:{row.username}", None, {})
            return StaffInfo.of(row)


def _too_many(until: datetime, now: datetime) -> LoginRefused:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return LoginRefused(f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                        retry_after=int((until - now).total_seconds()) + 1)


def _end_sessions(s: Session, staff_id: int, now: datetime, keep: int | None = None) -> None:
    q = update(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
    if keep is not None:
        q = q.where(StaffSession.id != keep)
    s.execute(q.values(revoked_at=now))
