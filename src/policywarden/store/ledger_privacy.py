"""The ledger's privacy operations: export and erasure on request, legal holds, retention
purges and re-encryption of evidence under a new key."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update

from . import audit
from .ledger_types import LegalHold, SubjectKey
from .models import EnforcementAction, IdempotencyRecord, Subject, Violation, WebhookDelivery


class PrivacyOps:
    """Mixed into `Ledger`; relies on its sessions, clock and event helpers."""

    def export(self, key: SubjectKey, actor: str) -> dict:
        """Everything held about a subject, evidence decrypted, for a subject-access request."""
        record = self.subject_record(key, with_evidence=True)
        with self.write.begin() as s:
            audit.append(s, actor, "subject.exported", str(key), None, {"violations": len(record["violations"])})
        return record

    def erase(self, key: SubjectKey, actor: str, reason: str = "erasure request") -> dict:
        """Delete the subject with its violations, evidence, strikes and actions, unless a legal
        hold covers it. The audit log keeps what happened to the pseudonym, never content."""
        with self.write.begin() as s:
            row = self._find_for_update(s, key)
            if row.legal_hold:
                raise LegalHold(f"{key} is under a legal hold and cannot be erased")
            counts = {
                "violations": s.scalar(select(func.count()).select_from(Violation).where(Violation.subject_id == row.id)),
                "actions": s.scalar(select(func.count()).select_from(EnforcementAction).where(EnforcementAction.subject_id == row.id)),
            }
            scope = row.scope
            s.delete(row)  # the database cascades to violations, strikes, actions and their history
            # Queued or sent notices name the end user in the integrator's own terms: gone too.
            counts["webhook_deliveries"] = s.execute(delete(WebhookDelivery).where(WebhookDelivery.payload.contains(f'"{key}"'))).rowcount
            s.flush()
            audit.append(s, actor, "subject.erased", str(key), None, {**counts, "reason": reason})
            self._emit(s, "subject.erased", scope or None, {"subject": str(key), **counts})
            return {"subject": str(key), "erased": True, **counts}

    def set_legal_hold(self, key: SubjectKey, reason: str | None, actor: str) -> dict:
        with self.write.begin() as s:
            row = self._find_for_update(s, key)
            row.legal_hold = reason[:500] if reason else None
            audit.append(s, actor, "legal_hold.set" if reason else "legal_hold.released", str(key), None, {"reason": reason})
            return {"subject": str(key), "legal_hold": row.legal_hold}

    def purge(self, idempotency_ttl: timedelta = timedelta(days=1), deliveries_ttl: timedelta = timedelta(days=30)) -> dict:
        """Delete evidence past its retention (unless on legal hold), old idempotency records
        and old finished webhook deliveries."""
        now = self.clock()
        with self.write.begin() as s:
            held = select(Subject.id).where(Subject.legal_hold.isnot(None))
            evidence = s.execute(
                update(Violation)
                .where(Violation.evidence.isnot(None), Violation.evidence_expires_at <= now, Violation.subject_id.not_in(held))
                .values(evidence=None, evidence_key=None)
            ).rowcount
            keys = s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= now - idempotency_ttl)).rowcount
            deliveries = s.execute(delete(WebhookDelivery).where(
                WebhookDelivery.status.in_(("delivered", "failed")), WebhookDelivery.created_at <= now - deliveries_ttl)).rowcount
            counts = {"evidence": evidence, "idempotency_keys": keys, "webhook_deliveries": deliveries}
            audit.append(s, "rule:retention", "purge", None, None, counts)
            return counts

    def rotate_evidence(self, actor: str, batch: int = 500) -> int:
        """Re-encrypt stored evidence and end-user refs under the primary key."""
        done, last = 0, 0
        primary = self.evidence.cipher.primary_key_id
        while True:
            with self.write.begin() as s:
                rows = s.scalars(select(Violation).where(Violation.id > last, Violation.evidence.isnot(None))
                                 .order_by(Violation.id).limit(batch)).all()
                for v in rows:
                    if v.evidence_key != primary:
                        v.evidence, v.evidence_key = self.evidence.cipher.rotate(v.evidence), primary
                        done += 1
                if not rows:
                    for subj in s.scalars(select(Subject).where(Subject.external_ref.isnot(None))):
                        subj.external_ref = self.evidence.cipher.rotate(subj.external_ref)
                    audit.append(s, actor, "evidence.rotated", None, None, {"violations": done, "key": primary})
                    return done
                last = rows[-1].id
