"""What a reviewer may decide on each kind of case, when a second reviewer is needed, and
what a decision does to the enforcement ledger. Pure: the effects are planned here and
carried out by `deciding.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KINDS = ("escalation", "approval", "report", "appeal")

OUTCOMES: dict[str, tuple[str, ...]] = {
    "escalation": ("confirm", "reduce", "dismiss"),
    "approval": ("confirm", "reduce", "dismiss"),
    "report": ("confirm", "dismiss"),
    "appeal": ("uphold", "overturn"),
}

OUTCOME_LABELS = {
    ("escalation", "confirm"): "Violation: keep the strike and the actions",
    ("escalation", "reduce"): "Violation, but reject the actions awaiting a person",
    ("escalation", "dismiss"): "No violation: void the strike and lift its actions",
    ("approval", "confirm"): "Violation: approve the actions",
    ("approval", "reduce"): "Violation, but reject the actions awaiting a person",
    ("approval", "dismiss"): "No violation: void the strike and lift its actions",
    ("report", "confirm"): "Violation: record it against the account named",
    ("report", "dismiss"): "No violation found",
    ("appeal", "uphold"): "Uphold: the action stays",
    ("appeal", "overturn"): "Overturn: lift the action and void its strike",
}

# Outcome names the public sees on the status page of a report or an appeal.
PUBLIC_OUTCOMES = {
    ("report", "confirm"): "Action taken: the report was upheld.",
    ("report", "dismiss"): "No violation of the usage policy was found.",
    ("appeal", "uphold"): "The action was upheld.",
    ("appeal", "overturn"): "The action was overturned and lifted.",
}

MAX_REASON = 2000


@dataclass(frozen=True)
class ActionState:
    """An action linked to a case, as it stands when the decision is carried out."""

    id: int
    kind: str  # warn, restrict, suspend, terminate
    status: str  # pending, active, lifted, rejected
    interim: bool = False
    violation_id: int | None = None


@dataclass(frozen=True)
class Decision:
    outcome: str
    category: str
    reason: str
    subject: str | None = None  # a report case: the account to record the violation against


@dataclass(frozen=True)
class Effect:
    """One call on the ledger: approve, reject, confirm or lift an action, overturn a
    violation, or record a violation found by review."""

    verb: str
    target: int | str  # an action or violation id; for "record", the subject
    category: str | None = None


def awaits_person(a: ActionState) -> bool:
    return a.status == "pending" or (a.status == "active" and a.interim)


def outcomes_for(kind: str, actions: Sequence[ActionState]) -> tuple[str, ...]:
    """The outcomes open on a case: rejecting actions only while some await a person."""
    outcomes = OUTCOMES.get(kind, ())
    if not any(awaits_person(a) for a in actions):
        outcomes = tuple(o for o in outcomes if o != "reduce")
    return outcomes


def check(kind: str, decision: Decision, known_categories: Sequence[str], actions: Sequence[ActionState] = ()) -> str | None:
    """What is wrong with a decision, in words for the reviewer; None when it is complete."""
    if decision.outcome not in outcomes_for(kind, actions):
        return "Choose an outcome."
    if decision.category not in known_categories:
        return "Choose the policy category the decision rests on."
    if not decision.reason.strip():
        return "Give a reason: it is recorded with the decision and shown on appeal."
    if len(decision.reason) > MAX_REASON:
        return f"Keep the reason under {MAX_REASON} characters."
    return None


def keeps_termination(kind: str, outcome: str, actions: Sequence[ActionState]) -> bool:
    """Whether the decision puts or keeps a termination in force."""
    terminations = [a for a in actions if a.kind == "terminate" and a.status in ("pending", "active")]
    if not terminations:
        return False
    if kind in ("escalation", "approval"):
        return outcome == "confirm"
    if kind == "appeal":
        return outcome == "uphold"
    return False


def needs_second_review(kind: str, child_safety: bool, outcome: str, actions: Sequence[ActionState]) -> bool:
    """Terminations and every child-safety decision take two people."""
    return child_safety or keeps_termination(kind, outcome, actions)


def effects(kind: str, decision: Decision, violation_id: int | None, actions: Sequence[ActionState]) -> list[Effect]:
    """The ledger calls that carry a decision out. Actions no longer pending or active are
    left alone: someone decided them elsewhere, and the decision still stands on the case."""
    outcome = decision.outcome
    live = [a for a in actions if a.status in ("pending", "active")]
    if kind in ("escalation", "approval"):
        if outcome == "confirm":
            return [Effect("approve", a.id) for a in live if a.status == "pending"] + [
                Effect("confirm", a.id) for a in live if a.status == "active" and a.interim]
        if outcome == "reduce":
            return _undo(a for a in live if awaits_person(a))
        if violation_id is not None:
            return [Effect("overturn", violation_id)]
        return _undo(live)
    if kind == "report":
        if outcome == "confirm" and decision.subject:
            return [Effect("record", decision.subject, decision.category)]
        return []
    if kind == "appeal" and outcome == "overturn":
        violations = sorted({a.violation_id for a in actions if a.violation_id is not None})
        return [Effect("overturn", v) for v in violations] + _undo(a for a in live if a.violation_id is None)
    return []


def _undo(actions) -> list[Effect]:
    return [Effect("reject" if a.status == "pending" else "lift", a.id) for a in actions]
