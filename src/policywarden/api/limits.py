"""Per-subject rate limits for restricted subjects: a sliding one-minute window per worker
process. With N workers a subject may get up to N times its limit; the standing that carries
the limit is shared through the database, the counting is not."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, max_subjects: int = 100_000):
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._max = max_subjects

    def allow(self, subject: str, per_minute: int, now: float | None = None) -> tuple[bool, int]:
        """Whether one more request fits, and if not, seconds until one does."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.get(subject)
            if q is None:
                if len(self._hits) >= self._max:  # bounded memory: forget the oldest subject
                    self._hits.pop(next(iter(self._hits)))
                q = self._hits[subject] = deque()
            while q and q[0] <= now - 60:
                q.popleft()
            if len(q) >= per_minute:
                return False, max(1, int(q[0] + 60 - now) + 1) if q else 60
            q.append(now)
            return True, 0
