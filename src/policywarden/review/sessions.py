"""Server-side console sessions and their CSRF tokens.

A session token is 256 random bits, sent only in the session cookie; the database keeps its
SHA-256. A session ends after `idle` without a request, `absolute` after log-in, on log-out,
or when the person is disabled or their password changes. The CSRF token of a session is an
HMAC of the session, so it needs no storage and dies with the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ..store.review_models import Staff, StaffSession
from ..store.types import utcnow
from .settings import ReviewSettings
from .staff import StaffInfo

TOUCH_EVERY = timedelta(seconds=60)  # last-seen is written at most this often per session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The person behind a request, and their session."""

    staff: StaffInfo
    session_id: int
    csrf: str


class SessionStore:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], csrf_key: bytes,
                 settings: ReviewSettings, clock=utcnow):
        self.read, self.write, self._csrf_key, self.settings, self.clock = read, write, csrf_key, settings, clock

    def start(self, staff_id: int) -> str:
        """A new session (never one the browser brought along: no fixation). Returns its token."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.write.begin() as s:
            # Housekeeping: this person's ended sessions are of no further use.
            s.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id, or_(
                StaffSession.revoked_at.isnot(None), StaffSession.expires_at <= now,
                StaffSession.last_seen_at <= now - self.settings.idle)))
            s.add(StaffSession(token_sha256=_digest(token), staff_id=staff_id, created_at=now, last_seen_at=now,
                               expires_at=now + self.settings.absolute))
        return token

    def resolve(self, token: str | None) -> Principal | None:
        """The live session for a token, or None; refreshes its last-seen time."""
        if not token or len(token) > 100:
            return None
        now = self.clock()
        digest = _digest(token)
        with self.read() as s:
            row = s.execute(select(StaffSession, Staff).join(Staff, Staff.id == StaffSession.staff_id)
                            .where(StaffSession.token_sha256 == digest)).first()
        if row is None:
            return None
        sess, staff = row
        if (sess.revoked_at is not None or sess.expires_at <= now or sess.last_seen_at + self.settings.idle <= now
                or not staff.active):
            return None
        if now - sess.last_seen_at >= TOUCH_EVERY:
            with self.write.begin() as s:
                live = s.get(StaffSession, sess.id)
                if live is not None:
                    live.last_seen_at = now
        return Principal(StaffInfo.of(staff), sess.id, self.csrf(token))

    def end(self, token: str | None) -> None:
        if not token:
            return
        with self.write.begin() as s:
            row = s.scalars(select(StaffSession).where(StaffSession.token_sha256 == _digest(token))).first()
            if row is not None and row.revoked_at is None:
                row.revoked_at = self.clock()

    def csrf(self, token: str) -> str:
        return hmac.new(self._csrf_key, _digest(token).encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, token: str | None, value: str | None) -> bool:
        return bool(token and value) and hmac.compare_digest(self.csrf(token), value)
