"""The enforcement ledger: violations, strikes, actions and standing, on SQLite or PostgreSQL.

Every change happens in one transaction that also appends to the audit log and queues its
webhooks, so a failure leaves no partial record. Writes for one subject are serialised by a
row lock on the subject (PostgreSQL) or by BEGIN IMMEDIATE (SQLite): concurrent writers never
double-count strikes or trigger the same action twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..enforce.config import EnforcementConfig
from ..enforce.ladder import InEffect, Proposal, propose_actions, strike_weight
from ..enforce.standing import ActionView, Standing, standing_from, worst
from ..webhooks.outbox import enqueue
from . import audit
from .models import ActionEvent, EnforcementAction, IdempotencyRecord, Strike, Subject, Violation, WebhookDelivery
from .types import utcnow

SOURCES = ("classifier", "event", "report", "review")


class LedgerError(Exception):
    status = 400
    code = "ledger_error"


class NotFound(LedgerError):
    status = 404
    code = "not_found"


class Conflict(LedgerError):
    status = 409
    code = "conflict"


class LegalHold(Conflict):
    code = "legal_hold"


@dataclass(frozen=True)
class SubjectKey:
    """A subject as the ledger knows it. End users are known by `ref`, a keyed hash."""

    kind: str  # key, project, user
    scope: int  # the project id; 0 for server-wide
    ref: str

    def __str__(self) -> str:
        return f"user:{self.scope}:{self.ref}" if self.kind == "user" else f"{self.kind}:{self.ref}"

    @classmethod
    def parse(cls, text: str) -> SubjectKey:
        """Inverse of str(): 'key:12', 'project:3', 'user:3:u_…'."""
        kind, _, rest = text.partition(":")
        if kind == "user":
            scope, _, ref = rest.partition(":")
            if scope.isdigit() and ref:
                return cls("user", int(scope), ref)
        elif kind in ("key", "project") and rest.isdigit():
            return cls(kind, int(rest) if kind == "project" else 0, rest)
        raise LedgerError(f"not a subject: {text[:80]!r} (expected key:ID, project:ID or user:PROJECT:PSEUDONYM)")


@dataclass(frozen=True)
class Hit:
    category: str
    severity: str
    score: float


@dataclass(frozen=True)
class ViolationReport:
    """What to record. `content` is the raw text: only a masked, encrypted excerpt is kept."""

    subject: SubjectKey
    hits: Sequence[Hit]
    policy_id: str
    policy_revision: str
    source: str = "classifier"
    verdict_action: str = "flag"
    surface: str = "input"
    model_version: str | None = None
    reporting: Sequence[str] = ()
    content: str | None = None
    actor: str = "system"
    external_id: str | None = None  # the integrator's own id for an end user, stored encrypted

    def fingerprint(self) -> str:
        """What an idempotency key is bound to: the same key with other content is refused."""
        body = json.dumps(
            [str(self.subject), sorted((h.category, round(h.score, 6)) for h in self.hits), self.source,
             self.verdict_action, self.surface, self.policy_revision, self.content or ""],
            ensure_ascii=False,
        )
        return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class RecordResult:
    violation_id: int
    subject: str
    points: float
    active_points: float
    actions: list[dict]
    standing: Standing
    replayed: bool = False

    def to_dict(self) -> dict:
        return {
            "violation_id": self.violation_id,
            "subject": self.subject,
            "points": self.points,
            "active_points": self.active_points,
            "actions": self.actions,
            "standing": self.standing.to_dict(),
        }


@dataclass
class Evidence:
    """Turns raw content into a stored excerpt: masked, then encrypted."""

    cipher: object  # privacy.EvidenceCipher
    make_excerpt: object  # (text, max_chars) -> (masked_text, counts)

    def seal(self, content: str, max_chars: int) -> tuple[str | None, str | None, dict]:
        if not content or max_chars <= 0:
            return None, None, {}
        text, counts = self.make_excerpt(content, max_chars)
        return self.cipher.encrypt(text), self.cipher.primary_key_id, counts

    def open(self, token: str | None) -> str | None:
        return self.cipher.decrypt(token) if token else None


def action_dict(a: EnforcementAction, subject: str) -> dict:
    return {
        "id": a.id,
        "subject": subject,
        "kind": a.kind,
        "status": a.status,
        "interim": a.interim,
        "reason": a.reason,
        "restrictions": a.restrictions or {},
        "step": a.step,
        "violation_id": a.violation_id,
        "policy_revision": a.policy_revision,
        "created_by": a.created_by,
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "effective_at": a.effective_at.isoformat() if a.effective_at else None,
        "expires_at": a.expires_at.isoformat() if a.expires_at else None,
        "decided_by": a.decided_by,
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
    }


def _view(a: EnforcementAction, subject: str) -> ActionView:
    return ActionView(a.id, subject, a.kind, a.status, a.expires_at, a.restrictions or {}, a.reason, a.interim)


@dataclass
class Ledger:
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

    # ---- decisions by people ----------------------------------------------------------

    def act(self, subject: SubjectKey, kind: str, actor: str, reason: str, duration: timedelta | None = None,
            restrictions: dict | None = None) -> dict:
        """An action a person decides directly: it takes effect at once."""
        if kind not in ("warn", "restrict", "suspend", "terminate"):
            raise LedgerError("kind must be warn, restrict, suspend or terminate")
        _require_person(actor)
        now = self.clock()
        with self.write.begin() as s:
            row = self._subject_for_update(s, subject)
            p = Proposal(kind, reason, expires_in=duration, restrictions=restrictions or {})
            a = self._create_action(s, row, p, None, now, actor=actor)
            a.decided_by, a.decided_at = actor, now
            return action_dict(a, str(subject))

    def approve(self, action_id: int, actor: str, reason: str = "") -> dict:
        return self._transition(action_id, "approve", actor, reason)

    def reject(self, action_id: int, actor: str, reason: str = "") -> dict:
        return self._transition(action_id, "reject", actor, reason)

    def confirm(self, action_id: int, actor: str, reason: str = "") -> dict:
        """Keep an interim suspension after review."""
        return self._transition(action_id, "confirm", actor, reason)

    def lift(self, action_id: int, actor: str, reason: str = "") -> dict:
        return self._transition(action_id, "lift", actor, reason)

    def _transition(self, action_id: int, verb: str, actor: str, reason: str) -> dict:
        _require_person(actor)
        now = self.clock()
        with self.write.begin() as s:
            a = s.get(EnforcementAction, action_id)
            if a is None:
                raise NotFound(f"no action {action_id}")
            subject = s.scalars(select(Subject).where(Subject.id == a.subject_id).with_for_update()).one()
            s.refresh(a)
            before = a.status
            if verb in ("approve", "reject") and a.status != "pending":
                raise Conflict(f"action {action_id} is {a.status}; only a pending action can be {verb}d")
            if verb == "confirm" and not (a.status == "active" and a.interim):
                raise Conflict(f"action {action_id} is not an interim action in force")
            if verb == "lift" and a.status != "active":
                raise Conflict(f"action {action_id} is {a.status}; only an active action can be lifted")
            if verb == "approve":
                a.status, a.effective_at = "active", now
                a.expires_at = now + timedelta(seconds=a.duration_s) if a.duration_s else None
            elif verb == "reject":
                a.status = "rejected"
            elif verb == "confirm":
                a.interim = False
            else:
                a.status = "lifted"
            a.decided_by, a.decided_at = actor, now
            s.add(ActionEvent(action_id=a.id, at=now, from_status=before, to_status=a.status, actor=actor,
                              reason=reason or verb))
            name = str(self._key(subject))
            event = {"approve": "action.approved", "reject": "action.rejected", "confirm": "action.confirmed",
                     "lift": "action.lifted"}[verb]
            audit.append(s, actor, event, name, a.policy_revision, {"action_id": a.id, "kind": a.kind, "reason": reason})
            self._emit(s, event, subject.scope or None, {**action_dict(a, name), "end_user": self._end_user_ref(subject)})
            return action_dict(a, name)

    def reinstate(self, subject: SubjectKey, actor: str, reason: str) -> dict:
        """Lift every action in force or pending on the subject, and record a reinstatement."""
        _require_person(actor)
        now = self.clock()
        with self.write.begin() as s:
            row = self._find_for_update(s, subject)
            lifted = []
            for a in self._binding(s, row.id, now):
                before = a.status
                a.status = "lifted" if before == "active" else "rejected"
                a.decided_by, a.decided_at = actor, now
                s.add(ActionEvent(action_id=a.id, at=now, from_status=before, to_status=a.status, actor=actor, reason=reason))
                lifted.append(a.id)
            r = EnforcementAction(subject_id=row.id, kind="reinstate", status="active", reason=reason, restrictions={},
                                  created_by=actor, created_at=now, effective_at=now, decided_by=actor, decided_at=now)
            s.add(r)
            s.flush()
            s.add(ActionEvent(action_id=r.id, at=now, from_status=None, to_status="active", actor=actor, reason=reason))
            name = str(subject)
            audit.append(s, actor, "subject.reinstated", name, None, {"action_id": r.id, "lifted": lifted, "reason": reason})
            self._emit(s, "subject.reinstated", row.scope or None,
                    {"subject": name, "end_user": self._end_user_ref(row), "lifted": lifted, "reason": reason})
            return {**action_dict(r, name), "lifted": lifted}

    def overturn(self, violation_id: int, actor: str, reason: str) -> dict:
        """A violation found to be a mistake: its strike is voided and the actions it triggered are lifted."""
        _require_person(actor)
        now = self.clock()
        with self.write.begin() as s:
            v = s.get(Violation, violation_id)
            if v is None:
                raise NotFound(f"no violation {violation_id}")
            subject = s.scalars(select(Subject).where(Subject.id == v.subject_id).with_for_update()).one()
            s.execute(update(Strike).where(Strike.violation_id == v.id, Strike.voided_at.is_(None))
                      .values(voided_at=now, void_reason=reason[:500]))
            lifted = []
            for a in s.scalars(select(EnforcementAction).where(EnforcementAction.violation_id == v.id,
                                                               EnforcementAction.status.in_(("pending", "active")))):
                before = a.status
                a.status = "lifted" if before == "active" else "rejected"
                a.decided_by, a.decided_at = actor, now
                s.add(ActionEvent(action_id=a.id, at=now, from_status=before, to_status=a.status, actor=actor, reason=reason))
                lifted.append(a.id)
            name = str(self._key(subject))
            audit.append(s, actor, "violation.overturned", name, v.policy_revision,
                         {"violation_id": v.id, "lifted": lifted, "reason": reason})
            for aid in lifted:
                a = s.get(EnforcementAction, aid)
                self._emit(s, "action.lifted", subject.scope or None, {**action_dict(a, name), "end_user": self._end_user_ref(subject)})
            return {"violation_id": v.id, "subject": name, "lifted": lifted,
                    "active_points": self._active_points(s, subject.id, now)}

    def _find_for_update(self, s: Session, key: SubjectKey) -> Subject:
        row = s.scalars(select(Subject).where(Subject.kind == key.kind, Subject.scope == key.scope, Subject.ref == key.ref)
                        .with_for_update()).first()
        if row is None:
            raise NotFound(f"no record of {key}")
        return row

    # ---- reading ----------------------------------------------------------------------

    def standing(self, subjects: Sequence[SubjectKey]) -> Standing:
        """The binding standing among the subjects (e.g. a key, its project, an end user):
        one indexed query."""
        now = self.clock()
        if not subjects:
            return Standing("", True, "good")
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
        return worst(standing_from(name, views, now) for name, views in by_subject.items())

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

    # ---- privacy ----------------------------------------------------------------------

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


def _require_person(actor: str) -> None:
    if not actor.startswith("person:") or len(actor) <= len("person:"):
        raise LedgerError("this decision needs a person: actor must be 'person:NAME'")
