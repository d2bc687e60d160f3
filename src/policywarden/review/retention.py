"""Retention of what the public wrote: the text of reports (target, content, description,
contact) and appeals (statement, contact) in closed cases is deleted once it is older than the
evidence retention period, unless the account is under a legal hold. The cases, their
decisions and history stay; they hold no content."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ..store import audit
from ..store.models import Subject
from ..store.review_models import Appeal, Case, MisuseReport

PURGED = ""  # what a purged text column holds; pages show it as removed


def _held_subjects(s: Session) -> list[str]:
    rows = s.execute(select(Subject.kind, Subject.scope, Subject.ref).where(Subject.legal_hold.isnot(None))).all()
    return [f"user:{scope}:{ref}" if kind == "user" else f"{kind}:{ref}" for kind, scope, ref in rows]


def purge_public_text(write: sessionmaker[Session], now: datetime, retention: timedelta) -> dict:
    cutoff = now - retention
    with write.begin() as s:
        closed = select(Case.id).where(Case.status == "closed")
        held = _held_subjects(s)
        if held:
            closed = closed.where((Case.subject.is_(None)) | (Case.subject.not_in(held)))
        reports = s.execute(
            update(MisuseReport).where(MisuseReport.case_id.in_(closed), MisuseReport.created_at <= cutoff,
                                       MisuseReport.target != PURGED)
            .values(target=PURGED, content=None, description=None, contact=None)).rowcount
        appeals = s.execute(
            update(Appeal).where(Appeal.case_id.in_(closed), Appeal.created_at <= cutoff, Appeal.statement != PURGED)
            .values(statement=PURGED, contact=None)).rowcount
        counts = {"reports": reports, "appeals": appeals}
        if reports or appeals:
            audit.append(s, "rule:retention", "review.purge", None, None, counts)
        return counts
