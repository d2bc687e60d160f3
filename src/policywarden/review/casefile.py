"""What the case page shows: the case, its account, categories and policy revision, the
actions at stake, the reports or the appeal, and the history. Content (the evidence excerpt,
reported content, reporters' and appellants' words) is only decrypted by `reveal`, which is
written to the audit log first. Personal data in it was masked before it was stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..privacy import EvidenceCipher, mask
from ..store import audit
from ..store.ledger import action_dict
from ..store.models import Violation
from ..store.review_models import Appeal, Case, CaseEvent, MisuseReport, Staff
from ..store.types import utcnow
from .cases import linked_actions
from .decision_rules import ActionState, outcomes_for
from .eligibility import CaseFacts
from .queue import CaseNotFound


REMOVED = "(removed after the retention period)"


@dataclass
class Piece:
    """One piece of content behind the blur, with where it came from."""

    label: str
    text: str


@dataclass
class CaseFile:
    case: Case
    facts: CaseFacts
    claimed_by_name: str | None
    violation: dict | None
    actions: list[dict]
    reports: list[dict]
    appeal: dict | None
    history: list[CaseEvent]
    outcomes: tuple[str, ...]  # open to the decision
    hidden: int  # how many pieces of content a reveal would show
    contacts: int  # how many contact details a reveal would show
    revealed: list[Piece] = field(default_factory=list)
    revealed_contacts: list[Piece] = field(default_factory=list)


class CaseFiles:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], cipher: EvidenceCipher, clock=utcnow):
        self.read, self.write, self.cipher, self.clock = read, write, cipher, clock

    def summary(self, case_id: int) -> Case:
        """The case row alone, for access checks before anything else is read."""
        with self.read() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise CaseNotFound(case_id)
            return case

    def load(self, case_id: int) -> CaseFile:
        from .cases import facts

        with self.read() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise CaseNotFound(case_id)
            f = facts(s, case)
            v = s.get(Violation, case.violation_id) if case.violation_id else None
            linked = linked_actions(s, case)
            actions = [action_dict(a, case.subject or "") for a in linked]
            outcomes = outcomes_for(case.kind, [ActionState(a.id, a.kind, a.status, bool(a.interim), a.violation_id)
                                                for a in linked])
            reports = _reports(s, case.id)
            appeal = s.scalars(select(Appeal).where(Appeal.case_id == case.id)).first()
            history = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
            claimant = s.get(Staff, case.claimed_by) if case.claimed_by else None
        violation = None
        if v is not None:
            violation = {"id": v.id, "source": v.source, "categories": v.categories, "scores": v.scores,
                         "verdict_action": v.verdict_action, "surface": v.surface, "model": v.model_version,
                         "reporting": v.reporting, "masked": v.evidence_masked or {}, "has_evidence": v.evidence is not None,
                         "created_at": v.created_at}
        report_rows = [{"id": r.id, "kind": r.target_kind, "category": r.category, "created_at": r.created_at,
                        "target": mask(self.cipher.decrypt(r.target))[0] if r.target else REMOVED,
                        "has_content": r.content is not None,
                        "has_description": r.description is not None, "has_contact": r.contact is not None}
                       for r in reports]
        hidden = (1 if violation and violation["has_evidence"] else 0) + sum(
            (r.content is not None) + (r.description is not None) for r in reports) + (1 if appeal and appeal.statement else 0)
        contacts = sum(r.contact is not None for r in reports) + (1 if appeal and appeal.contact else 0)
        appeal_row = {"created_at": appeal.created_at, "has_contact": appeal.contact is not None} if appeal else None
        return CaseFile(case, f, claimant.username if claimant else None, violation, actions, report_rows, appeal_row,
                        history, outcomes, hidden, contacts)

    def reveal(self, case_id: int, actor: str, contacts: bool = False) -> CaseFile:
        """The case with its content (or its contact details) decrypted; the view is audited
        before anything is decrypted."""
        file = self.load(case_id)
        now = self.clock()
        what = "contacts" if contacts else "content"
        with self.write.begin() as s:
            audit.append(s, actor, f"case.{what}_viewed", file.case.subject, file.case.policy_revision,
                         {"case_id": case_id, "pieces": file.contacts if contacts else file.hidden})
            s.add(CaseEvent(case_id=case_id, at=now, actor=actor, event=f"{what}_viewed", details={}))
        with self.read() as s:
            if contacts:
                file.revealed_contacts = self._contacts(s, file.case)
            else:
                file.revealed = self._content(s, file.case)
            file.history = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))
        return file

    def _content(self, s: Session, case: Case) -> list[Piece]:
        out = []
        if case.violation_id:
            v = s.get(Violation, case.violation_id)
            if v is not None and v.evidence:
                out.append(Piece(f"Evidence excerpt of violation {v.id} ({v.surface})", self.cipher.decrypt(v.evidence)))
        for i, r in enumerate(_reports(s, case.id), 1):
            # Shown masked on the page; only this audited view shows the link or identifier as given.
            out.append(Piece(f"Report {i}: what was reported", self.cipher.decrypt(r.target) if r.target else REMOVED))
            if r.content:
                out.append(Piece(f"Report {i}: the content", self.cipher.decrypt(r.content)))
            if r.description:
                out.append(Piece(f"Report {i}: the reporter's description", self.cipher.decrypt(r.description)))
        appeal = s.scalars(select(Appeal).where(Appeal.case_id == case.id)).first()
        if appeal is not None and appeal.statement:
            out.append(Piece("The appellant's statement", self.cipher.decrypt(appeal.statement)))
        return out

    def _contacts(self, s: Session, case: Case) -> list[Piece]:
        out = []
        for i, r in enumerate(_reports(s, case.id), 1):
            if r.contact:
                out.append(Piece(f"Reporter {i}", self.cipher.decrypt(r.contact)))
        appeal = s.scalars(select(Appeal).where(Appeal.case_id == case.id)).first()
        if appeal is not None and appeal.contact:
            out.append(Piece("Appellant", self.cipher.decrypt(appeal.contact)))
        return out


def _reports(s: Session, case_id: int) -> list[MisuseReport]:
    return list(s.scalars(select(MisuseReport).where(MisuseReport.case_id == case_id).order_by(MisuseReport.id)))


def age(now: datetime, then: datetime) -> str:
    seconds = int((now - then).total_seconds())
    if seconds < 3600:
        return f"{max(0, seconds // 60)} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"
