"""Fixed-window counters in the database, shared by every worker process: failed log-ins per
account and per address, reports per address. Keys are keyed hashes (`Throttles.key`), so the
table never holds a username or an address."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..store.review_models import Throttle


@dataclass(frozen=True)
class Rule:
    limit: int  # the event that reaches this count in one window blocks the key
    window: timedelta
    block: timedelta  # how long the key is refused once the limit is passed


class Throttles:
    def __init__(self, key: bytes):
        self._key = key

    def key(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}\x00{value}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return f"{kind}:{digest[:48]}"

    @staticmethod
    def blocked_until(s: Session, key: str, now: datetime) -> datetime | None:
        until = s.scalar(select(Throttle.blocked_until).where(Throttle.key == key))
        return until if until and until > now else None

    @staticmethod
    def hit(s: Session, key: str, rule: Rule, now: datetime) -> datetime | None:
        """Count one event; returns the time the key is blocked until when this event reaches
        the limit (or the key was already blocked). Call inside a write transaction."""
        q = select(Throttle).where(Throttle.key == key).with_for_update()
        row = s.scalars(q).first()
        if row is None:
            try:
                with s.begin_nested():
                    s.add(Throttle(key=key, count=0, window_start=now))
            except IntegrityError:
                pass  # another worker counted the first event at the same moment
            row = s.scalars(q).one()
        if row.blocked_until and row.blocked_until > now:
            return row.blocked_until
        if now - row.window_start >= rule.window:
            row.count, row.window_start, row.blocked_until = 0, now, None
        row.count += 1
        if row.count >= rule.limit:
            row.blocked_until = now + rule.block
            return row.blocked_until
        s.flush()
        return None

    @staticmethod
    def clear(s: Session, key: str) -> None:
        s.execute(delete(Throttle).where(Throttle.key == key))
