"""Who may see, take and decide which case. Pure.

Taking a case (claiming it) is refused, with the reason a reviewer is shown, when their role
does not allow it, when the case is child-safety and they are not a child-safety reviewer,
when they decided what is being appealed, when the case awaits a second review of their own
decision, or while someone else's claim on it is live.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .roles import Can, can


@dataclass(frozen=True)
class Reviewer:
    actor: str  # person:USERNAME, as the ledger and the audit log name people
    roles: tuple[str, ...]


@dataclass(frozen=True)
class CaseFacts:
    kind: str
    status: str  # open, second_review, closed
    child_safety: bool
    excluded: tuple[str, ...] = ()
    proposed_by: str | None = None  # the first reviewer, while a second review is awaited
    claimed_by: str | None = None  # an actor
    claim_expires_at: datetime | None = None


def may_see(roles: Iterable[str], child_safety: bool) -> bool:
    """Whether a case appears to this person at all (queues, search, the case page)."""
    roles = tuple(roles)
    return can(roles, Can.READ) and (not child_safety or can(roles, Can.CHILD_SAFETY))


def claim_live(case: CaseFacts, now: datetime) -> bool:
    return case.claimed_by is not None and case.claim_expires_at is not None and case.claim_expires_at > now


def refusal(reviewer: Reviewer, case: CaseFacts, now: datetime) -> str | None:
    """Why `reviewer` may not take `case` now; None when they may."""
    if not can(reviewer.roles, Can.DECIDE):
        return "Your role cannot decide cases."
    if case.child_safety and not can(reviewer.roles, Can.CHILD_SAFETY):
        return "Child-safety cases are for child-safety reviewers only."
    if case.status == "closed":
        return "This case is closed."
    if reviewer.actor in case.excluded:
        return "You took part in the decision under appeal: another reviewer must take this case."
    if case.status == "second_review" and reviewer.actor == case.proposed_by:
        return "This decision needs a second reviewer: someone other than you must review it."
    if claim_live(case, now) and case.claimed_by != reviewer.actor:
        return f"Already claimed by {case.claimed_by.removeprefix('person:')}."
    return None


def may_decide(reviewer: Reviewer, case: CaseFacts, now: datetime) -> str | None:
    """Why `reviewer` may not record a decision now; None when they may. A decision needs the
    reviewer's own claim; one that has lapsed still counts while nobody else has taken it."""
    reason = refusal(reviewer, case, now)
    if reason:
        return reason
    if case.claimed_by != reviewer.actor:
        return "Claim the case before deciding it."
    return None
