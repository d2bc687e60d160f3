"""What a restricted subject may still do through the proxy: a rate limit, and features
withheld ('tools', 'images', 'streaming'), from the restriction in force."""

from __future__ import annotations

import threading
import time
from collections import deque

from ..enforce.standing import Standing
from .screen import Prompt


class MinuteLimiter:
    """A sliding one-minute window per subject, per worker process, in bounded memory.

    The app's own limiter (app.state.rate_limiter) is used instead when there is one, so that
    the moderation API and the proxy share a restricted subject's budget; it has the same
    `allow` method."""

    def __init__(self, max_subjects: int = 100_000):
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._max = max_subjects

    def allow(self, subject: str, per_minute: int, now: float | None = None) -> tuple[bool, int]:
        """Whether one more request fits, and if not, the seconds until one does."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.get(subject)
            if q is None:
                if len(self._hits) >= self._max:
                    self._hits.pop(next(iter(self._hits)))
                q = self._hits[subject] = deque()
            while q and q[0] <= now - 60:
                q.popleft()
            if len(q) >= per_minute:
                return False, max(1, int(q[0] + 60 - now) + 1)
            q.append(now)
            return True, 0


def withheld_feature(standing: Standing, prompt: Prompt, stream: bool) -> str | None:
    """The first feature this request uses that the restriction withholds."""
    blocked = set(standing.restrictions.get("blocked_features") or ())
    used = {"tools": prompt.uses_tools, "images": "image_url" in prompt.non_text, "streaming": stream}
    return next((name for name, on in used.items() if on and name in blocked), None)
