"""Decisions by people on the ledger: direct actions, approvals, lifting, reinstatement and
overturning a mistaken violation. Each is one transaction with its history, audit entry and
notice; each names the person who decided."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..enforce.ladder import Proposal
from . import audit
from .ledger_types import Conflict, LedgerError, NotFound, SubjectKey, action_dict
from .models import ActionEvent, EnforcementAction, Strike, Subject, Violation


class Decisions:
    """Mixed into `Ledger`; relies on its sessions, clock and event helpers."""

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
            lifted = [_withdraw(s, a, actor, reason, now) for a in self._binding(s, row.id, now)]
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
            caused = s.scalars(select(EnforcementAction).where(EnforcementAction.violation_id == v.id,
                                                               EnforcementAction.status.in_(("pending", "active"))))
            lifted = [_withdraw(s, a, actor, reason, now) for a in caused]
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


def _require_person(actor: str) -> None:
    if not actor.startswith("person:") or len(actor) <= len("person:"):
        raise LedgerError("this decision needs a person: actor must be 'person:NAME'")


def _withdraw(s: Session, a: EnforcementAction, actor: str, reason: str, now) -> int:
    """Lift an action in force, or reject one still awaiting approval, with its history."""
    before = a.status
    a.status = "lifted" if before == "active" else "rejected"
    a.decided_by, a.decided_at = actor, now
    s.add(ActionEvent(action_id=a.id, at=now, from_status=before, to_status=a.status, actor=actor, reason=reason))
    return a.id
