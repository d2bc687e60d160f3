"""The ledger hook that opens cases in the same transaction as the event that needs one.

- a violation whose verdict asks for review (`escalate`) or calls for mandatory reporting
  opens an escalation case;
- an action that waits for a person (pending approval, or an interim suspension) joins the
  open case of its violation, or opens an approval case;
- an action in force is appealable: its notice carries an appeal token and link;
- an action decided outside the console (the operator API) is noted on its open cases, and
  an approval case with nothing left to decide closes itself;
- an erased subject takes its cases with it.

Events emitted while a reviewer's decision is carried out say so (`data["review"]`).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..store.models import Violation
from ..store.review_models import Case
from ..store.types import utcnow
from . import context
from .cases import OPEN, add_event, linked_actions, open_case, open_cases_about, widen
from .tokens import AppealTokens

APPEALABLE = ("warn", "restrict", "suspend", "terminate")
DECISIONS = ("action.approved", "action.rejected", "action.lifted", "action.confirmed", "subject.reinstated")


class CaseIntake:
    def __init__(self, tokens: AppealTokens, public_url: str | None = None, clock=utcnow):
        self.tokens, self.public_url, self.clock = tokens, (public_url or "").rstrip("/") or None, clock

    def appeal_link(self, action_id: int) -> dict:
        token = self.tokens.issue(action_id)
        path = f"/appeal/{token}"
        return {"token": token, "path": path, "url": f"{self.public_url}{path}" if self.public_url else None}

    def __call__(self, s: Session, event: str, data: dict) -> None:
        review = context.current()
        if review:
            data["review"] = review
        if event == "violation.recorded":
            self._violation(s, data, review)
        elif event == "action.created":
            self._action_created(s, data)
        elif event == "subject.erased":
            s.execute(delete(Case).where(Case.subject == data["subject"]))
        if event == "action.approved":
            self._offer_appeal(data)
        if event in DECISIONS and not review:
            self._decided_elsewhere(s, event, data)

    def _violation(self, s: Session, data: dict, review: dict | None) -> None:
        if review or not (data.get("verdict_action") == "escalate" or data.get("reporting")):
            return  # a person decided it already, or nothing asks for a person
        policy = data.get("policy") or {}
        case = open_case(
            s, self.clock(), "escalation", data.get("categories") or [], data.get("reporting") or [],
            subject=data["subject"], violation_id=data["violation_id"],
            policy=(policy.get("id"), policy.get("revision")),
            details={"violation_id": data["violation_id"], "source": data.get("source")},
        )
        data["case_id"] = case.id

    def _action_created(self, s: Session, data: dict) -> None:
        if data["status"] == "active":
            self._offer_appeal(data)
        if not (data["status"] == "pending" or data.get("interim")):
            return
        now = self.clock()
        case = None
        if data.get("violation_id") is not None:
            case = s.scalars(select(Case).where(Case.violation_id == data["violation_id"], Case.status.in_(OPEN),
                                                Case.kind.in_(("escalation", "approval"))).order_by(Case.id)).first()
        if case is not None:
            case.action_ids = [*case.action_ids, data["id"]]
            widen(case, [], affects_access=True)
            case.updated_at = now
            add_event(s, case.id, now, "system", "action_linked", {"action_id": data["id"], "kind": data["kind"]})
        else:
            v = s.get(Violation, data["violation_id"]) if data.get("violation_id") is not None else None
            case = open_case(
                s, now, "approval", v.categories if v else [], v.reporting if v else [], subject=data["subject"],
                violation_id=v.id if v else None, action_ids=[data["id"]],
                policy=(v.policy_id, v.policy_revision) if v else (None, data.get("policy_revision")),
                affects_access=True, details={"action_id": data["id"], "kind": data["kind"]},
            )
        data["case_id"] = case.id

    def _offer_appeal(self, data: dict) -> None:
        if data.get("kind") in APPEALABLE:
            data["appeal"] = self.appeal_link(data["id"])

    def _decided_elsewhere(self, s: Session, event: str, data: dict) -> None:
        now = self.clock()
        for case in open_cases_about(s, data["subject"]):
            if event != "subject.reinstated" and data["id"] not in case.action_ids:
                continue
            add_event(s, case.id, now, data.get("decided_by") or "system", "decided_elsewhere",
                      {"event": event, "action_id": data.get("id")})
            if case.kind == "approval" and not any(a.status == "pending" or (a.status == "active" and a.interim)
                                                   for a in linked_actions(s, case)):
                case.status, case.outcome, case.decided_at = "closed", "resolved_elsewhere", now
                case.decided_by = data.get("decided_by")
                case.claimed_by = case.claim_expires_at = case.proposal = None
                case.time_to_decision_s = int((now - case.created_at).total_seconds())
                case.updated_at = now
