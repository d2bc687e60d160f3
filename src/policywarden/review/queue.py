"""The queue: listing the cases a person may see, and claiming them exclusively.

A claim is taken in a write transaction that locks the case row: `FOR UPDATE SKIP LOCKED` on
PostgreSQL (two reviewers asking at once never get the same case, and neither waits for the
other), BEGIN IMMEDIATE on SQLite (writers are serialised). A claim lapses after
`claim_minutes`; a lapsed claim can be taken by anyone the case is open to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ..store.review_models import Case, Staff
from ..store.types import utcnow
from .cases import OPEN, add_event, facts
from .eligibility import Reviewer, claim_live, refusal
from .roles import Can, can
from .settings import ReviewSettings

PAGE = 200


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class QueueRow:
    id: int
    kind: str
    status: str
    priority: int
    child_safety: bool
    categories: list[str]
    subject: str | None
    report_count: int
    created_at: datetime
    claimed_by: str | None  # a username, while the claim is live
    claim_expires_at: datetime | None


@dataclass(frozen=True)
class ClaimResult:
    case_id: int | None
    refused: str | None = None


class Queue:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], settings: ReviewSettings, clock=utcnow):
        self.read, self.write, self.settings, self.clock = read, write, settings, clock

    def list(self, roles: tuple[str, ...], mine: int | None = None, kind: str | None = None) -> list[QueueRow]:
        """Open cases in queue order that these roles may see; `mine`: only that person's claims."""
        now = self.clock()
        q = (select(Case, Staff.username).outerjoin(Staff, Staff.id == Case.claimed_by)
             .where(Case.status.in_(OPEN)).order_by(Case.priority, Case.created_at, Case.id).limit(PAGE))
        if not can(roles, Can.CHILD_SAFETY):
            q = q.where(Case.child_safety.is_(False))
        if kind:
            q = q.where(Case.kind == kind)
        if mine is not None:
            q = q.where(Case.claimed_by == mine, Case.claim_expires_at > now)
        with self.read() as s:
            rows = s.execute(q).all()
        out = []
        for c, username in rows:
            live = username is not None and c.claim_expires_at is not None and c.claim_expires_at > now
            out.append(QueueRow(c.id, c.kind, c.status, c.priority, c.child_safety, list(c.categories), c.subject,
                                c.report_count, c.created_at, username if live else None,
                                c.claim_expires_at if live else None))
        return out

    def claim(self, case_id: int, reviewer: Reviewer, staff_id: int) -> ClaimResult:
        """Claim one case, or renew one's own claim on it."""
        now = self.clock()
        with self.write.begin() as s:
            case = s.scalars(select(Case).where(Case.id == case_id).with_for_update(skip_locked=True)).first()
            if case is None:
                if s.scalar(select(Case.id).where(Case.id == case_id)) is None:
                    raise CaseNotFound(case_id)
                return ClaimResult(case_id, "Another reviewer is claiming this case right now.")
            reason = refusal(reviewer, facts(s, case), now)
            if reason:
                return ClaimResult(case_id, reason)
            self._take(s, case, reviewer, staff_id, now)
            return ClaimResult(case_id)

    def claim_next(self, reviewer: Reviewer, staff_id: int) -> ClaimResult:
        """Claim the first case in queue order that this reviewer may take. Rows are locked
        one at a time: locking a whole page would hide every case on it from other reviewers
        asking at the same moment."""
        now = self.clock()
        passed: list[int] = []  # cases this reviewer may not take (e.g. appeals of their own decisions)
        with self.write.begin() as s:
            while True:
                q = (select(Case).where(Case.status.in_(OPEN), or_(Case.claimed_by.is_(None), Case.claim_expires_at <= now))
                     .order_by(Case.priority, Case.created_at, Case.id).limit(1).with_for_update(skip_locked=True))
                if not can(reviewer.roles, Can.CHILD_SAFETY):
                    q = q.where(Case.child_safety.is_(False))
                if passed:
                    q = q.where(Case.id.not_in(passed))
                case = s.scalars(q).first()
                if case is None:
                    return ClaimResult(None, "Nothing in the queue that you can take.")
                if refusal(reviewer, facts(s, case), now) is None:
                    self._take(s, case, reviewer, staff_id, now)
                    return ClaimResult(case.id)
                passed.append(case.id)

    def _take(self, s: Session, case: Case, reviewer: Reviewer, staff_id: int, now: datetime) -> None:
        renewing = case.claimed_by == staff_id and claim_live(facts(s, case), now)
        case.claimed_by, case.claim_expires_at, case.updated_at = staff_id, now + self.settings.claim_ttl, now
        add_event(s, case.id, now, reviewer.actor, "claim_renewed" if renewing else "claimed",
                  {"until": case.claim_expires_at.isoformat()})

    def release(self, case_id: int, reviewer: Reviewer, staff_id: int) -> str | None:
        """Give a claim back. Admins may release anyone's claim. Returns a refusal or None."""
        now = self.clock()
        with self.write.begin() as s:
            case = s.scalars(select(Case).where(Case.id == case_id).with_for_update()).first()
            if case is None:
                raise CaseNotFound(case_id)
            if case.claimed_by is None:
                return None
            if case.claimed_by != staff_id and not can(reviewer.roles, Can.MANAGE_STAFF):
                return "Only the reviewer holding the claim (or an administrator) can release it."
            case.claimed_by = case.claim_expires_at = None
            case.updated_at = now
            add_event(s, case.id, now, reviewer.actor, "released")
            return None
