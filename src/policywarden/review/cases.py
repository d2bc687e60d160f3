"""Opening cases and writing their history, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import EnforcementAction
from ..store.review_models import Case, CaseEvent, Staff
from .eligibility import CaseFacts
from .priority import is_child_safety, priority

OPEN = ("open", "second_review")


def open_case(
    s: Session,
    now: datetime,
    kind: str,
    categories: Sequence[str] = (),
    reporting: Sequence[str] = (),
    subject: str | None = None,
    violation_id: int | None = None,
    action_ids: Sequence[int] = (),
    policy: tuple[str | None, str | None] = (None, None),
    dedupe_key: str | None = None,
    excluded: Iterable[str] = (),
    affects_access: bool = False,
    actor: str = "system",
    details: dict | None = None,
) -> Case:
    cats = list(dict.fromkeys(categories))
    case = Case(
        kind=kind, status="open", priority=int(priority(kind, cats, reporting, affects_access)),
        child_safety=is_child_safety(cats, reporting), subject=subject, violation_id=violation_id,
        action_ids=list(action_ids), categories=cats, policy_id=policy[0], policy_revision=policy[1],
        dedupe_key=dedupe_key, report_count=1 if kind == "report" else 0, excluded=sorted(set(excluded)),
        created_at=now, updated_at=now,
    )
    s.add(case)
    s.flush()
    add_event(s, case.id, now, actor, "opened", {"kind": kind, **(details or {})})
    return case


def widen(case: Case, categories: Sequence[str], reporting: Sequence[str] = (), affects_access: bool = False) -> None:
    """Fold more categories into an open case: its priority can only rise."""
    cats = list(dict.fromkeys([*case.categories, *categories]))
    case.categories = cats
    case.priority = min(case.priority, int(priority(case.kind, cats, reporting, affects_access)))
    case.child_safety = case.child_safety or is_child_safety(cats, reporting)


def add_event(s: Session, case_id: int, now: datetime, actor: str, event: str, details: dict | None = None) -> None:
    s.add(CaseEvent(case_id=case_id, at=now, actor=actor, event=event, details=details or {}))


def facts(s: Session, case: Case) -> CaseFacts:
    claimant = s.get(Staff, case.claimed_by) if case.claimed_by else None
    return CaseFacts(
        kind=case.kind, status=case.status, child_safety=case.child_safety, excluded=tuple(case.excluded or ()),
        proposed_by=(case.proposal or {}).get("reviewer"),
        claimed_by=f"person:{claimant.username}" if claimant else None, claim_expires_at=case.claim_expires_at,
    )


def linked_actions(s: Session, case: Case) -> list[EnforcementAction]:
    ids = list(case.action_ids or ())
    if not ids:
        return []
    return list(s.scalars(select(EnforcementAction).where(EnforcementAction.id.in_(ids)).order_by(EnforcementAction.id)))


def open_cases_about(s: Session, subject: str) -> list[Case]:
    return list(s.scalars(select(Case).where(Case.subject == subject, Case.status.in_(OPEN)).order_by(Case.id)))
