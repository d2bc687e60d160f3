"""The audit log: append-only, each entry chained by SHA-256 to the one before.

An entry's hash covers the previous hash and the entry's own fields, canonically encoded,
so changing, inserting or deleting any entry breaks the chain from that point on. Cutting
entries off the end leaves a valid shorter chain; operators who need to detect that too
keep the head (`policywarden audit head`) somewhere else, e.g. in their SIEM.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from .models import AuditEntry
from .types import utcnow

GENESIS = "0" * 64
_LOCK_KEY = 0x5057_4155  # "PWAU": serialises appends on PostgreSQL


def canonical(details: dict) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev: str, at: str, actor: str, event: str, subject: str | None, revision: str | None, details: str) -> str:
    # Length-prefixed fields: no two different entries encode to the same bytes.
    h = hashlib.sha256()
    for part in (prev, at, actor, event, subject or "", revision or "", details):
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def append(
    session: Session,
    actor: str,
    event: str,
    subject: str | None = None,
    policy_revision: str | None = None,
    details: dict | None = None,
) -> None:
    """Add an entry inside the caller's transaction. Entries are chained when the transaction
    commits (see `_chain_pending`), so the global lock that serialises the chain is held for
    a moment at commit rather than for the whole transaction."""
    at = utcnow().isoformat(timespec="microseconds")
    session.info.setdefault(_PENDING, []).append((at, actor, event, subject, policy_revision, canonical(details or {})))


_PENDING = "policywarden.audit.pending"


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    prev = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar() or GENESIS
    for at, actor, ev, subject, revision, body in pending:
        digest = entry_hash(prev, at, actor, ev, subject, revision, body)
        session.add(AuditEntry(at=at, actor=actor, event=ev, subject=subject, policy_revision=revision, details=body,
                               prev_hash=prev, hash=digest))
        prev = digest


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    head: str
    first_bad_id: int | None = None
    problem: str | None = None


def _rows(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def verify(session: Session) -> VerifyResult:
    prev, n = GENESIS, 0
    for row in _rows(session):
        n += 1
        if row.prev_hash != prev:
            return VerifyResult(False, n, prev, row.id, "the entry does not follow the one before it (an entry was removed or inserted)")
        expected = entry_hash(prev, row.at, row.actor, row.event, row.subject, row.policy_revision, row.details)
        if row.hash != expected:
            return VerifyResult(False, n, prev, row.id, "the entry's contents do not match its hash (it was changed)")
        prev = row.hash
    return VerifyResult(True, n, prev)


def entries(session: Session, subject: str | None = None, limit: int = 100, before_id: int | None = None) -> list[dict]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject:
        q = q.where(AuditEntry.subject == subject)
    if before_id:
        q = q.where(AuditEntry.id < before_id)
    return [
        {"id": r.id, "at": r.at, "actor": r.actor, "event": r.event, "subject": r.subject,
         "policy_revision": r.policy_revision, "details": json.loads(r.details), "hash": r.hash}
        for r in session.scalars(q)
    ]
