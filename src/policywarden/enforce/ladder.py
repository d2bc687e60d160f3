"""Strike weights and the action ladder: which actions follow a violation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from .config import SEVERITY_ORDER, EnforcementConfig

ActionKind = Literal["warn", "restrict", "suspend", "terminate", "reinstate"]


def rank(kind: str) -> int:
    """Severity of an action kind; -1 for kinds that withhold nothing (reinstate)."""
    return SEVERITY_ORDER.index(kind) if kind in SEVERITY_ORDER else -1


def strike_weight(config: EnforcementConfig, hits: Iterable[tuple[str, str]]) -> float:
    """Strike points of one violation: the heaviest of its (category, severity) hits.

    A per-category weight applies to the category and to the categories under it
    (`empower.high_stakes` covers `empower.high_stakes.credit`); the most specific wins.
    """
    best = 0.0
    for category, severity in hits:
        weight = config.weights.severity.get(severity, 1.0)
        match = ""
        for prefix, w in config.weights.categories.items():
            if (category == prefix or category.startswith(prefix + ".")) and len(prefix) > len(match):
                match, weight = prefix, w
        best = max(best, weight)
    return best


@dataclass(frozen=True)
class Proposal:
    action: str
    reason: str
    step: int | None = None  # index on the ladder; None for an immediate suspension
    expires_in: timedelta | None = None
    restrictions: dict = field(default_factory=dict)
    needs_review: bool = False  # takes effect only when a person approves it
    interim: bool = False  # takes effect at once, pending a person's review


@dataclass(frozen=True)
class InEffect:
    """What already binds the subject: actions active or awaiting approval."""

    kinds: frozenset[str] = frozenset()
    top_step: int | None = None


def propose_actions(config: EnforcementConfig, points: float, categories: Iterable[str], in_effect: InEffect) -> list[Proposal]:
    """The actions a new violation calls for, given the subject's active strike points
    (the new violation included) and what is already in effect."""
    proposals: list[Proposal] = []
    worst = max((rank(k) for k in in_effect.kinds), default=-1)
    severe = sorted(set(categories) & set(config.immediate_suspend))
    if severe and worst < rank("suspend"):
        proposals.append(
            Proposal("suspend", f"interim suspension pending review: {', '.join(severe)}", interim=True)
        )
        worst = rank("suspend")
    target = None
    for i, step in enumerate(config.ladder):
        if points >= step.at:
            target = i
    if target is None or (in_effect.top_step is not None and target <= in_effect.top_step):
        return proposals
    if rank(config.ladder[target].action) <= worst:
        return proposals  # something at least as severe already binds the subject
    proposals.append(_from_step(config, target, points))
    if proposals[-1].needs_review:
        # While a person decides, the strongest step that needs no review applies at once.
        for j in range(target - 1, -1, -1):
            step = config.ladder[j]
            if step.action in config.human_review:
                continue
            if rank(step.action) > worst and (in_effect.top_step is None or j > in_effect.top_step):
                proposals.append(_from_step(config, j, points))
            break
    return proposals


def _from_step(config: EnforcementConfig, i: int, points: float) -> Proposal:
    step = config.ladder[i]
    return Proposal(
        step.action,
        f"{points:g} active strike points reached the '{step.action}' step at {step.at:g}",
        step=i,
        expires_in=step.period,
        restrictions=step.restrictions.model_dump(exclude_defaults=True),
        needs_review=step.action in config.human_review,
    )
