"""The enforcement ledger: violations, strikes, actions and standing, on SQLite or PostgreSQL.

Every change happens in one transaction that also appends to the audit log and queues its
webhooks, so a failure leaves no partial record. Writes for one subject are serialised by a
row lock on the subject (PostgreSQL) or by BEGIN IMMEDIATE (SQLite): concurrent writers never
double-count strikes or trigger the same action twice.

Recording and reading live here; decisions by people in `ledger_decisions`, privacy
operations in `ledger_privacy`, the value types in `ledger_types`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..enforce.config import EnforcementConfig
from ..enforce.ladder import InEffect, Proposal, propose_actions, strike_weight
from ..enforce.standing import ActionView, Standing, standing_from, worst
from ..webhooks.outbox import enqueue
from . import audit
from .ledger_decisions import Decisions
from .ledger_privacy import PrivacyOps
from .ledger_types import (  # noqa: F401 - re-exported: the ledger's public names live here
    SOURCES,
    Conflict,
    Evidence,
    Hit,
    LedgerError,
    LegalHold,
    NotFound,
    RecordResult,
    SubjectKey,
    ViolationReport,
    _view,
    action_dict,
)
from .models import ActionEvent, EnforcementAction, IdempotencyRecord, Strike, Subject, Violation
from .types import utcnow


@dataclass
class Ledger(Decisions, PrivacyOps):
    read: sessionmaker[Session]
    write: sessionmaker[Session]
    config: EnforcementConfig
    evidence: Evidence
    seal_ref: object = None  # (str) -> str: encrypts an integrator's end-user id
    clock: object = field(default=utcnow)
    # In-transaction listeners, called as hook(session, event_type, data) for every event the
    # ledger emits: e.g. the review queue opens a case for an action awaiting a person. Hooks
    # run before the webhook is queued and may add keys to `data` (a case id, an appeal link).
    # A hook that raises rolls the whole change back.
    hooks: list = field(default_factory=list)

    def _emit(self, s: Session, event: str, scope: int | None, data: dict) -> None:
        for hook in self.hooks:
            hook(s, event, data)
        enqueue(s, event, scope, data)

    # ---- subjects ---------------------------------------------------------------------

    def _subject_for_update(self, s: Session, key: SubjectKey, external_id: str | None = None) -> Subject:
        q = select(Subject).where(Subject.kind == key.kind, Subject.scope == key.scope, Subject.ref == key.ref)
        row = s.scalars(q.with_for_update()).first()
        if row is None:
            # Created concurrently by another writer? Then nothing is inserted and we lock theirs.
            insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            s.execute(insert(Subject).values(kind=key.kind, scope=key.scope, ref=key.ref, created_at=self.clock())
                      .on_conflict_do_nothing(index_elements=["kind", "scope", "ref"]))
            row = s.scalars(q.with_for_update()).one()
        if external_id and row.external_ref is None and self.seal_ref:
            row.external_ref = self.seal_ref(external_id)
        return row

    def _find(self, s: Session, key: SubjectKey) -> Subject | None:
        return s.scalars(select(Subject).where(Subject.kind == key.kind, Subject.scope == key.scope, Subject.ref == key.ref)).first()

    @staticmethod
    def _key(row: Subject) -> SubjectKey:
        return SubjectKey(row.kind, row.scope, row.ref)

    def _active_points(self, s: Session, subject_id: int, now: datetime) -> float:
        total = s.scalar(
            select(func.coalesce(func.sum(Strike.points), 0.0)).where(
                Strike.subject_id == subject_id, Strike.expires_at > now, Strike.voided_at.is_(None)
            )
        )
        return round(float(total or 0.0), 6)

    def _binding(self, s: Session, subject_id: int, now: datetime) -> list[EnforcementAction]:
        rows = s.scalars(
            select(EnforcementAction).where(
                EnforcementAction.subject_id == subject_id, EnforcementAction.status.in_(("pending", "active"))
            )
        ).all()
        return [a for a in rows if a.status == "pending" or a.expires_at is None or a.expires_at > now]

    # ---- recording --------------------------------------------------------------------

    def record(self, report: ViolationReport, idempotency: tuple[str, str] | None = None) -> RecordResult:
        """Record a violation, its strike, and the actions the ladder calls for.

        `idempotency` is (scope, key): a retried call with the same key returns the first
        call's result and records nothing; the same key with different content is a Conflict.
        """
        if report.source not in SOURCES:
            raise LedgerError(f"source must be one of {', '.join(SOURCES)}")
        if not report.hits:
            raise LedgerError("a violation needs at least one category")
        fingerprint = report.fingerprint() if idempotency else ""
        try:
            return self._record(report, idempotency, fingerprint)
        except IntegrityError:
            # The idempotency key was already recorded (a retry), perhaps by a concurrent writer:
            # everything we wrote was rolled back; answer with the first call's result.
            replay = self._replay(idempotency, fingerprint) if idempotency else None
            if replay:
                return replay
            raise

    def _replay(self, idempotency: tuple[str, str], fingerprint: str) -> RecordResult | None:
        with self.read() as s:
            row = s.scalars(
                select(IdempotencyRecord).where(IdempotencyRecord.scope == idempotency[0], IdempotencyRecord.key == idempotency[1])
            ).first()
            if row is None:
                return None
            if row.request_sha256 != fingerprint:
                raise Conflict("this Idempotency-Key was already used with a different request")
            r = row.response
            st = r["standing"]
            until = datetime.fromisoformat(st["until"]) if st["until"] else None
            standing = Standing(st["subject"], st["allowed"], st["status"], until, st["reason"], st["action_id"],
                                st["restrictions"], st["pending_review"])
            return RecordResult(r["violation_id"], r["subject"], r["points"], r["active_points"], r["actions"], standing, True)

    def _record(self, report: ViolationReport, idempotency: tuple[str, str] | None, fingerprint: str) -> RecordResult:
        cfg = self.config
        now = self.clock()
        hits = list(report.hits)
        points = strike_weight(cfg, [(h.category, h.severity) for h in hits])
        sealed, key_id, masked = self.evidence.seal(report.content or "", cfg.evidence_chars)
        with self.write.begin() as s:
            subject = self._subject_for_update(s, report.subject, report.external_id)
            if idempotency:  # now that we hold the subject's lock, look again
                if s.scalars(select(IdempotencyRecord.id).where(
                        IdempotencyRecord.scope == idempotency[0], IdempotencyRecord.key == idempotency[1])).first():
                    raise IntegrityError("idempotency key already recorded", None, Exception())
            name = str(report.subject)
            v = Violation(
                subject_id=subject.id, source=report.source, categories=[h.category for h in hits],
                scores={h.category: round(h.score, 6) for h in hits}, verdict_action=report.verdict_action,
                surface=report.surface, policy_id=report.policy_id, policy_revision=report.policy_revision,
                model_version=report.model_version, reporting=list(report.reporting), points=points,
                evidence=sealed, evidence_key=key_id, evidence_masked=masked,
                evidence_expires_at=now + cfg.retention_period if sealed else None, created_at=now,
            )
            s.add(v)
            s.flush()
            s.add(Strike(subject_id=subject.id, violation_id=v.id, points=points, created_at=now, expires_at=now + cfg.decay_period))
            s.flush()
            active = self._active_points(s, subject.id, now)
            binding = self._binding(s, subject.id, now)
            steps = [a.step for a in binding if a.step is not None]
            in_effect = InEffect(frozenset(a.kind for a in binding), max(steps) if steps else None)
            proposals = propose_actions(cfg, active, v.categories, in_effect)
            audit.append(s, report.actor, "violation.recorded", name, report.policy_revision,
                         {"violation_id": v.id, "categories": v.categories, "source": report.source,
                          "points": points, "active_points": active})
            self._emit(s, "violation.recorded", subject.scope or None,
                    {"violation_id": v.id, "subject": name, "end_user": self._end_user_ref(subject),
                     "categories": v.categories, "source": report.source, "verdict_action": v.verdict_action,
                     "surface": v.surface, "reporting": v.reporting,
                     "policy": {"id": report.policy_id, "revision": report.policy_revision},
                     "points": points, "active_points": active})
            created = [self._create_action(s, subject, p, v, now) for p in proposals]
            standing = standing_from(name, [_view(a, name) for a in binding + created], now)
            result = RecordResult(v.id, name, points, active, [action_dict(a, name) for a in created], standing)
            if idempotency:
                s.add(IdempotencyRecord(scope=idempotency[0], key=idempotency[1], request_sha256=fingerprint,
                                        response=result.to_dict(), created_at=now))
                s.flush()
        return result

    def _create_action(self, s: Session, subject: Subject, p: Proposal, v: Violation | None, now: datetime,
                       actor: str = "rule:ladder") -> EnforcementAction:
        pending = p.needs_review
        actor = "rule:immediate" if p.interim else actor
        a = EnforcementAction(
            subject_id=subject.id, kind=p.action, status="pending" if pending else "active", step=p.step,
            interim=p.interim, reason=p.reason, restrictions=p.restrictions,
            duration_s=int(p.expires_in.total_seconds()) if p.expires_in else None,
            violation_id=v.id if v else None, policy_revision=v.policy_revision if v else None,
            created_by=actor, created_at=now,
            effective_at=None if pending else now,
            expires_at=None if pending or not p.expires_in else now + p.expires_in,
        )
        s.add(a)
        s.flush()
        s.add(ActionEvent(action_id=a.id, at=now, from_status=None, to_status=a.status, actor=actor, reason=p.reason))
        name = str(self._key(subject))
        audit.append(s, actor, "action.created", name, a.policy_revision, {"action_id": a.id, "kind": a.kind, "status": a.status,
                                                                          "interim": a.interim, "reason": a.reason})
        self._emit(s, "action.created", subject.scope or None, {**action_dict(a, name), "end_user": self._end_user_ref(subject)})
        return a

    def _end_user_ref(self, subject: Subject) -> str | None:
        """The integrator's own id for an end user, for notices to that integrator."""
        if subject.kind != "user" or not subject.external_ref:
            return None
        try:
            return self.evidence.open(subject.external_ref)
        except Exception:  # a retired key: the notice still names the pseudonym
            return None

    # ---- reading ----------------------------------------------------------------------

    def standing(self, subjects: Sequence[SubjectKey]) -> Standing:
        """The binding standing among the subjects (e.g. a key, its project, an end user)."""
        if not subjects:
            return Standing("", True, "good")
        return worst(self.standings(subjects))

    def standings(self, subjects: Sequence[SubjectKey]) -> list[Standing]:
        """Each subject's own standing, in the order given: one indexed query for them all."""
        now = self.clock()
        if not subjects:
            return []
        match = or_(*[and_(Subject.kind == k.kind, Subject.scope == k.scope, Subject.ref == k.ref) for k in subjects])
        with self.read() as s:
            rows = s.execute(
                select(EnforcementAction, Subject.kind, Subject.scope, Subject.ref)
                .join(Subject, Subject.id == EnforcementAction.subject_id)
                .where(match, EnforcementAction.status.in_(("pending", "active")))
            ).all()
        by_subject: dict[str, list[ActionView]] = {str(k): [] for k in subjects}
        for a, kind, scope, ref in rows:
            name = str(SubjectKey(kind, scope, ref))
            by_subject.setdefault(name, []).append(_view(a, name))
        return [standing_from(name, views, now) for name, views in by_subject.items()]

    def subject_record(self, key: SubjectKey, with_evidence: bool = False) -> dict:
        now = self.clock()
        with self.read() as s:
            row = self._find(s, key)
            if row is None:
                raise NotFound(f"no record of {key}")
            name = str(key)
            violations = s.scalars(select(Violation).where(Violation.subject_id == row.id).order_by(Violation.id)).all()
            strikes = {st.violation_id: st for st in s.scalars(select(Strike).where(Strike.subject_id == row.id))}
            actions = s.scalars(select(EnforcementAction).where(EnforcementAction.subject_id == row.id)
                                .order_by(EnforcementAction.id)).all()
            history = s.scalars(select(ActionEvent).where(ActionEvent.action_id.in_([a.id for a in actions]))
                                .order_by(ActionEvent.id)).all() if actions else []
            out_actions = []
            for a in actions:
                d = action_dict(a, name)
                d["history"] = [{"at": e.at.isoformat(), "from": e.from_status, "to": e.to_status, "actor": e.actor,
                                 "reason": e.reason} for e in history if e.action_id == a.id]
                out_actions.append(d)
            out_violations = []
            for v in violations:
                st = strikes.get(v.id)
                d = {
                    "id": v.id, "created_at": v.created_at.isoformat(), "source": v.source, "categories": v.categories,
                    "scores": v.scores, "verdict_action": v.verdict_action, "surface": v.surface,
                    "policy": {"id": v.policy_id, "revision": v.policy_revision}, "model": v.model_version,
                    "reporting": v.reporting, "points": v.points, "evidence_masked": v.evidence_masked,
                    "evidence_expires_at": v.evidence_expires_at.isoformat() if v.evidence_expires_at else None,
                    "strike": None if st is None else {
                        "points": st.points, "expires_at": st.expires_at.isoformat(),
                        "voided_at": st.voided_at.isoformat() if st.voided_at else None, "void_reason": st.void_reason},
                }
                if with_evidence:
                    d["evidence"] = self.evidence.open(v.evidence)
                out_violations.append(d)
            return {
                "subject": name,
                "created_at": row.created_at.isoformat(),
                "legal_hold": row.legal_hold,
                "active_points": self._active_points(s, row.id, now),
                "standing": standing_from(name, [_view(a, name) for a in actions], now).to_dict(),
                "violations": out_violations,
                "actions": out_actions,
            }

    def actions(self, status: str | None = "pending", limit: int = 100) -> list[dict]:
        with self.read() as s:
            q = (select(EnforcementAction, Subject.kind, Subject.scope, Subject.ref)
                 .join(Subject, Subject.id == EnforcementAction.subject_id).order_by(EnforcementAction.id).limit(limit))
            if status:
                q = q.where(EnforcementAction.status == status)
            return [action_dict(a, str(SubjectKey(k, sc, r))) for a, k, sc, r in s.execute(q)]
