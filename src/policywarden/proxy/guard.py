"""The classifier and the ledger as the proxy uses them, behind the fail policy.

Both are synchronous (numpy, SQLAlchemy): each call runs in a worker thread under a timeout.
When one fails or times out, fail-closed raises `Unavailable` (the caller answers 503) and
fail-open carries on unscreened; either way the failure is logged, without content, and
counted.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.to_thread

from ..decide import Verdict
from ..enforce.standing import Standing
from ..policy.schema import Action
from ..services import Enforcement
from ..settings import Settings
from ..store.ledger import RecordResult, SubjectKey
from ..warden import Warden

log = logging.getLogger("policywarden.proxy")
T = TypeVar("T")


class Unavailable(Exception):
    """A dependency failed and the proxy fails closed."""

    def __init__(self, dependency: str):
        super().__init__(dependency)
        self.dependency = dependency


@dataclass(frozen=True)
class Screened:
    verdicts: list[Verdict] | None  # None: not screened (the classifier failed, fail-open)
    ms: float


# Per-worker counters: what was refused, what failed, what was served unscreened
# (GET /v1/proxy/stats).
Stats = Counter


def strongest(verdicts: Sequence[Verdict]) -> int | None:
    """Index of the flagged verdict with the strongest action, or None."""
    flagged = [i for i, v in enumerate(verdicts) if v.flagged]
    return max(flagged, key=lambda i: Action(verdicts[i].action).rank) if flagged else None


class Guard:
    def __init__(self, settings: Settings, warden: Warden, enforcement: Enforcement, stats: Stats):
        self.settings = settings
        self.warden = warden
        self.enforcement = enforcement
        self.stats = stats
        self.refuse_actions = frozenset(settings.proxy_refuse_actions)
        self.fail_open = settings.proxy_fail_mode == "open"

    def refuses(self, verdict: Verdict) -> bool:
        return verdict.flagged and verdict.action in self.refuse_actions

    async def _call(self, timeout: float, fn: Callable[..., T], *args) -> T:
        with anyio.fail_after(timeout):
            # Abandoned on timeout: the thread finishes on its own, nobody waits for it.
            return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)

    def _failed(self, dependency: str, exc: BaseException) -> None:
        what = "timed out" if isinstance(exc, TimeoutError) else f"failed ({type(exc).__name__})"
        if self.fail_open:
            self.stats[f"fail_open.{dependency}"] += 1
            log.warning("%s %s: fail-open, serving unscreened (%d so far)", dependency, what, self.stats[f"fail_open.{dependency}"])
            return
        self.stats[f"fail_closed.{dependency}"] += 1
        log.error("%s %s: fail-closed, answering 503", dependency, what)
        raise Unavailable(dependency) from None

    def classifier_timeout(self, texts: Sequence[str], context: str | None = None) -> float:
        """Seconds to wait for the classifier on these texts. Scoring takes time in proportion
        to length: with one fixed timeout a long prompt would always time out, and so be refused
        (fail-closed) or forwarded unscreened (fail-open)."""
        chars = sum(map(len, texts)) + len(context or "")
        return self.settings.proxy_classifier_timeout_s + self.settings.proxy_classifier_ms_per_kchar * chars / 1e6

    async def classify(self, texts: list[str], surface: str, context: str | None = None) -> Screened:
        """Verdicts for texts; `context` is the prompt that answers (surface "output") reply to."""
        if not texts:
            return Screened([], 0.0)
        started = time.perf_counter()
        try:
            verdicts = await self._call(self.classifier_timeout(texts, context), self.warden.moderate, texts, surface, context)
        except Exception as exc:  # noqa: BLE001 - any classifier failure goes through the fail policy
            self._failed("classifier", exc)
            return Screened(None, (time.perf_counter() - started) * 1000)
        return Screened(verdicts, (time.perf_counter() - started) * 1000)

    async def standing(self, subjects: Sequence[SubjectKey]) -> Standing | None:
        """The binding standing, or None when unknown (the ledger failed, fail-open)."""
        if not subjects:
            return None
        try:
            return await self._call(self.settings.proxy_ledger_timeout_s, self.enforcement.standing, list(subjects))
        except Exception as exc:  # noqa: BLE001
            self._failed("ledger", exc)
            return None

    async def record(self, verdict: Verdict, subject: SubjectKey | None, content: str, external_id: str | None,
                     idempotency: tuple[str, str] | None = None) -> RecordResult | None:
        """Records a flagged verdict. A failure here never changes the answer, which the verdict
        has already decided: it is logged and counted."""
        if subject is None:
            self.stats["unrecorded.no_subject"] += 1
            return None
        try:
            return await self._call(self.settings.proxy_ledger_timeout_s, self._record, verdict, subject, content,
                                    external_id, idempotency)
        except Exception as exc:  # noqa: BLE001
            self.stats["unrecorded.ledger_failed"] += 1
            log.error("recording a %s violation for %s failed (%s)", verdict.surface, subject.kind, type(exc).__name__)
            return None

    def _record(self, verdict, subject, content, external_id, idempotency) -> RecordResult | None:
        return self.enforcement.record_verdict(verdict, subject, content, idempotency=idempotency, external_id=external_id,
                                               actor="rule:proxy")
