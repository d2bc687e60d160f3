"""Carrying out decisions: first decisions, second reviews, and their effects on the ledger.

A decision that needs two people is stored on the case as a proposal and goes back to the
queue for a second reviewer, who agrees (it is carried out) or disagrees (the case is open
again for a fresh decision). The ledger's calls each commit on their own; the case is closed
after them, so a failure in between leaves the case open and claimed, and deciding again is
safe: effects on actions no longer awaiting a person are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..policy.schema import Policy
from ..store import audit
from ..store.ledger import Hit, Ledger, LedgerError, SubjectKey, ViolationReport
from ..store.models import Subject
from ..store.review_models import Case, MisuseReport
from ..store.types import utcnow
from . import context
from .cases import add_event, facts, linked_actions
from .decision_rules import ActionState, Decision, Effect, check, effects, needs_second_review
from .eligibility import Reviewer, may_decide
from .queue import CaseNotFound


class DecisionRefused(Exception):
    """The decision cannot be taken as asked; the message is for the reviewer."""


@dataclass(frozen=True)
class Decided:
    case_id: int
    status: str  # closed, second_review, open (a second reviewer disagreed)
    outcome: str | None
    effects: tuple[str, ...] = ()


class Decisions:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], ledger: Ledger, policy: Policy,
                 clock=utcnow):
        self.read, self.write, self.ledger, self.policy, self.clock = read, write, ledger, policy, clock

    @property
    def categories(self) -> list[str]:
        return [c.id for c in self.policy.categories]

    def decide(self, case_id: int, reviewer: Reviewer, decision: Decision) -> Decided:
        """A first decision on an open case."""
        now = self.clock()
        with self.read() as s:
            case = _case(s, case_id)
            if case.status != "open":
                raise DecisionRefused("This case is waiting for a second review." if case.status == "second_review"
                                      else "This case is closed.")
            if reason := may_decide(reviewer, facts(s, case), now):
                raise DecisionRefused(reason)
            states = [_state(a) for a in linked_actions(s, case)]
            kind, child_safety = case.kind, case.child_safety
        if problem := check(kind, decision, self.categories, states):
            raise DecisionRefused(problem)
        if kind == "report" and decision.outcome == "confirm" and decision.subject:
            decision = replace(decision, subject=self._existing_subject(decision.subject))
        if needs_second_review(kind, child_safety, decision.outcome, states):
            return self._propose(case_id, reviewer, decision, now)
        return self._carry_out(case_id, reviewer, decision, None)

    def second_review(self, case_id: int, reviewer: Reviewer, agree: bool, reason: str) -> Decided:
        now = self.clock()
        reason = reason.strip()
        if not reason:
            raise DecisionRefused("Give a reason for agreeing or disagreeing.")
        with self.read() as s:
            case = _case(s, case_id)
            if case.status != "second_review":
                raise DecisionRefused("This case has no decision awaiting a second review.")
            if why := may_decide(reviewer, facts(s, case), now):
                raise DecisionRefused(why)
            proposal = dict(case.proposal)
        first = Decision(proposal["outcome"], proposal["category"], proposal["reason"], proposal.get("subject"))
        if agree:
            return self._carry_out(case_id, Reviewer(proposal["reviewer"], ()), first, (reviewer, reason))
        with self.write.begin() as s:
            case = _case(s, case_id, lock=True)
            case.status, case.proposal, case.claimed_by, case.claim_expires_at, case.updated_at = "open", None, None, None, now
            add_event(s, case.id, now, reviewer.actor, "second_review_disagreed",
                      {"proposed": proposal["outcome"], "proposed_by": proposal["reviewer"], "reason": reason[:2000]})
            audit.append(s, reviewer.actor, "case.second_review_disagreed", case.subject, case.policy_revision,
                         {"case_id": case.id, "proposed": proposal["outcome"], "proposed_by": proposal["reviewer"]})
        return Decided(case_id, "open", None)

    def _propose(self, case_id: int, reviewer: Reviewer, decision: Decision, now: datetime) -> Decided:
        with self.write.begin() as s:
            case = _case(s, case_id, lock=True)
            case.proposal = {"outcome": decision.outcome, "category": decision.category, "reason": decision.reason[:2000],
                             "subject": decision.subject, "reviewer": reviewer.actor, "at": now.isoformat()}
            case.status, case.claimed_by, case.claim_expires_at, case.updated_at = "second_review", None, None, now
            add_event(s, case.id, now, reviewer.actor, "decision_proposed",
                      {"outcome": decision.outcome, "category": decision.category})
            audit.append(s, reviewer.actor, "case.decision_proposed", case.subject, case.policy_revision,
                         {"case_id": case.id, "kind": case.kind, "outcome": decision.outcome, "category": decision.category})
        return Decided(case_id, "second_review", decision.outcome)

    def _carry_out(self, case_id: int, first: Reviewer, decision: Decision, second: tuple[Reviewer, str] | None) -> Decided:
        with self.read() as s:
            case = _case(s, case_id)
            states = [_state(a) for a in linked_actions(s, case)]
            kind, violation_id, revision = case.kind, case.violation_id, case.policy_revision
            evidence = self._report_evidence(s, case) if kind == "report" else None
        planned = effects(kind, decision, violation_id, states)
        deciders = f"{first.actor} and {second[0].actor}" if second else first.actor
        actor = second[0].actor if second else first.actor  # the ledger records who made it final
        done, recorded = [], None
        with context.deciding(case_id, kind, decision.outcome):
            for effect in planned:
                result = self._apply(case_id, effect, actor, f"case {case_id} ({deciders}): {decision.reason}"[:2000], evidence)
                done.append(f"{effect.verb} {effect.target}")
                if effect.verb == "record":
                    recorded = result.violation_id
        now = self.clock()
        with self.write.begin() as s:
            case = _case(s, case_id, lock=True)
            case.status, case.outcome, case.decision_category = "closed", decision.outcome, decision.category
            case.decision_reason, case.decided_by = decision.reason[:2000], first.actor
            case.second_reviewer = second[0].actor if second else None
            case.decided_at, case.time_to_decision_s = now, int((now - case.created_at).total_seconds())
            case.claimed_by = case.claim_expires_at = None
            case.proposal, case.updated_at = None, now
            if decision.subject and not case.subject:
                case.subject = decision.subject
            if recorded is not None and case.violation_id is None:
                case.violation_id = recorded  # so that an appeal knows who decided it
            details = {"outcome": decision.outcome, "category": decision.category, "effects": done}
            if second:
                details["second_reviewer"] = second[0].actor
                add_event(s, case.id, now, second[0].actor, "second_review_agreed", {"reason": second[1][:2000]})
            add_event(s, case.id, now, first.actor, "decided", details)
            audit.append(s, actor, "case.decided", case.subject, revision or case.policy_revision,
                         {"case_id": case.id, "kind": kind, "decided_by": first.actor, **details,
                          "time_to_decision_s": case.time_to_decision_s})
        return Decided(case_id, "closed", decision.outcome, tuple(done))

    def _apply(self, case_id: int, effect: Effect, actor: str, reason: str, evidence: str | None):
        ledger = self.ledger
        try:
            if effect.verb == "record":
                cat = self.policy.category(effect.category)
                return ledger.record(ViolationReport(
                    subject=SubjectKey.parse(effect.target), hits=[Hit(cat.id, cat.severity.value, 1.0)],
                    policy_id=self.policy.id, policy_revision=self.policy.revision, source="report",
                    verdict_action=cat.action.value, reporting=list(cat.reporting), content=evidence, actor=actor),
                    idempotency=("review", f"case:{case_id}"))  # deciding again after a failure records it once
            elif effect.verb == "overturn":
                ledger.overturn(int(effect.target), actor, reason)
            else:
                getattr(ledger, effect.verb)(int(effect.target), actor, reason)
        except LedgerError as exc:
            raise DecisionRefused(f"The ledger refused to {effect.verb} {effect.target}: {exc}") from None

    def _existing_subject(self, text: str) -> str:
        try:
            key = SubjectKey.parse(text.strip())
        except LedgerError as exc:
            raise DecisionRefused(str(exc)) from None
        with self.read() as s:
            found = s.scalar(select(Subject.id).where(Subject.kind == key.kind, Subject.scope == key.scope,
                                                      Subject.ref == key.ref))
        if found is None and key.kind == "user":
            raise DecisionRefused(f"There is no record of {key}: check the account on its page first.")
        return str(key)

    def _report_evidence(self, s: Session, case: Case) -> str | None:
        """The first reported content, already masked: it becomes the violation's evidence."""
        token = s.scalar(select(MisuseReport.content).where(MisuseReport.case_id == case.id, MisuseReport.content.isnot(None))
                         .order_by(MisuseReport.id).limit(1))
        return self.ledger.evidence.open(token) if token else None


def _case(s: Session, case_id: int, lock: bool = False) -> Case:
    q = select(Case).where(Case.id == case_id)
    case = s.scalars(q.with_for_update() if lock else q).first()
    if case is None:
        raise CaseNotFound(case_id)
    return case


def _state(a) -> ActionState:
    return ActionState(a.id, a.kind, a.status, bool(a.interim), a.violation_id)
