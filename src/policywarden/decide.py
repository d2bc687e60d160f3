"""From scores to a verdict: pure policy logic, no I/O.

Inputs are per-head scores (policy categories, `openai:<name>` heads, `any`), the policy,
the thresholds and the surface (input or output). The verdict says which categories are hit,
the strongest default action among them, and the projection onto OpenAI's 13 categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .policy.schema import OPENAI_CATEGORIES, Action, Policy

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class CategoryDecision:
    id: str
    score: float
    threshold: float
    flagged: bool
    action: str
    severity: str
    applies: bool  # False when disabled or not applicable to this surface
    source: str  # which scorer produced the score


@dataclass(frozen=True)
class Verdict:
    flagged: bool  # any policy category hit
    action: str  # strongest action among hits, "allow" when none
    categories: list[CategoryDecision]
    openai_flags: dict[str, bool]
    openai_scores: dict[str, float]
    policy_id: str
    policy_revision: str
    model_version: str
    surface: str
    windows: int = 1
    reporting: list[str] = field(default_factory=list)

    @property
    def hits(self) -> list[CategoryDecision]:
        return [c for c in self.categories if c.flagged]

    def to_dict(self, include_all: bool = True) -> dict:
        cats = self.categories if include_all else self.hits
        return {
            "flagged": self.flagged,
            "action": self.action,
            "hits": [c.id for c in self.hits],
            "categories": {
                c.id: {
                    "score": round(c.score, 6),
                    "threshold": c.threshold,
                    "flagged": c.flagged,
                    "action": c.action,
                    "severity": c.severity,
                    "applies": c.applies,
                    "source": c.source,
                }
                for c in cats
            },
            "reporting": self.reporting,
            "policy": {"id": self.policy_id, "revision": self.policy_revision},
            "model": self.model_version,
            "surface": self.surface,
            "windows": self.windows,
        }


def decide(
    policy: Policy,
    scores: dict[str, float],
    thresholds: dict[str, float],
    sources: dict[str, str],
    surface: str = "input",
    model_version: str = "",
    windows: int = 1,
) -> Verdict:
    decisions: list[CategoryDecision] = []
    for cat in policy.categories:
        score = float(scores.get(cat.id, 0.0))
        threshold = cat.threshold if cat.threshold is not None else thresholds.get(cat.id, DEFAULT_THRESHOLD)
        applies = cat.enabled and surface in cat.applies_to
        decisions.append(
            CategoryDecision(
                id=cat.id,
                score=score,
                threshold=threshold,
                flagged=applies and cat.id in scores and score >= threshold,
                action=cat.action.value,
                severity=cat.severity.value,
                applies=applies,
                source=sources.get(cat.id, "none"),
            )
        )
    hits = [d for d in decisions if d.flagged]
    action = max((Action(d.action) for d in hits), key=lambda a: a.rank).value if hits else "allow"
    by_id = {c.id: c for c in policy.categories}
    reporting = sorted({r for d in hits for r in by_id[d.id].reporting})
    flags, oscores = project_openai(policy, scores, thresholds, hits, {d.id for d in decisions if d.applies})
    return Verdict(
        flagged=bool(hits),
        action=action,
        categories=decisions,
        openai_flags=flags,
        openai_scores=oscores,
        policy_id=policy.id,
        policy_revision=policy.revision,
        model_version=model_version,
        surface=surface,
        windows=windows,
        reporting=reporting,
    )


def project_openai(
    policy: Policy,
    scores: dict[str, float],
    thresholds: dict[str, float],
    hits: list[CategoryDecision],
    applying: set[str],
) -> tuple[dict[str, bool], dict[str, float]]:
    """OpenAI's 13 categories: the model's own `openai:` head where it has one, raised by any hit
    policy category mapped to that OpenAI category (so a flagged policy category always shows).

    When every policy category mapped to an OpenAI category is off (disabled by the operator,
    or not applicable on this surface), that OpenAI category is not flagged either."""
    hit_ids = {h.id for h in hits}
    flags: dict[str, bool] = {}
    out: dict[str, float] = {}
    mapped: dict[str, list[str]] = {name: [] for name in OPENAI_CATEGORIES}
    for cat in policy.categories:
        for name in cat.openai:
            mapped[name].append(cat.id)
    for name in OPENAI_CATEGORIES:
        head = f"openai:{name}"
        own = float(scores.get(head, 0.0))
        switched_off = bool(mapped[name]) and not any(cid in applying for cid in mapped[name])
        own_flag = head in scores and own >= thresholds.get(head, DEFAULT_THRESHOLD) and not switched_off
        from_policy = [float(scores.get(cid, 0.0)) for cid in mapped[name] if cid in hit_ids]
        flags[name] = own_flag or bool(from_policy)
        out[name] = max([own, *from_policy])
    return flags, out
