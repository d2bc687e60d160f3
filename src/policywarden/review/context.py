"""The review decision being carried out, if any, for the ledger hook to see.

A decision calls the ledger, and the ledger calls our hook inside its own transaction: the
hook learns from here that the event comes from a reviewer's decision (so that it annotates
the webhook with the case, and opens no new case for what a person just decided)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[dict | None] = ContextVar("policywarden_review_decision", default=None)


@contextmanager
def deciding(case_id: int, kind: str, outcome: str) -> Iterator[None]:
    token = _current.set({"case_id": case_id, "case_kind": kind, "outcome": outcome})
    try:
        yield
    finally:
        _current.reset(token)


def current() -> dict | None:
    value = _current.get()
    return dict(value) if value else None
