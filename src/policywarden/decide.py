"""From scores to a verdict: pure policy logic, no I/O.

Inputs are per-head scores (policy categories, `openai:<name>` heads, `any`), the policy,
the thresholds and the surface (input or output). The verdict says which categories are hit,
the strongest default action among them, and the projection onto OpenAI's 13 categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .policy.schema import OPENAI_CATEGORIES, Action, Policy

DEFAULT_THRESHOLD = 0.5
UNATTRIBUTED_SOURCE = "any"  # a category flagged because the violation head is sure and it fits best


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


def _decision(id, score, threshold, flagged, action, severity, applies, source) -> CategoryDecision:  # noqa: A002
    """A CategoryDecision made without the frozen dataclass's __init__, which sets each field
    through object.__setattr__: a verdict holds one per category and the Warden makes one verdict
    per text, so at thousands of texts a second that was a sixth of the n-gram model's time."""
    d = object.__new__(CategoryDecision)
    d.__dict__.update(id=id, score=score, threshold=threshold, flagged=flagged, action=action, severity=severity,
                      applies=applies, source=source)
    return d


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
    in_context: bool = False  # an answer judged with the prompt it replies to
    coverage: float | None = None  # share of the text's letters the model reads (Latin); None: no letters

    @property
    def hits(self) -> list[CategoryDecision]:
        return [c for c in self.categories if c.flagged]

    @property
    def openai_flagged(self) -> bool:
        """`flagged` as an OpenAI moderation result reports it (`/v1/moderations`): a policy hit
        or any OpenAI category. OpenAI's taxonomy is wider than the policy's (insults, a person's
        own suicidal intent), so this flags more than `flagged`."""
        return self.flagged or any(self.openai_flags.values())

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
            "in_context": self.in_context,
            "coverage": self.coverage,
        }


@dataclass(frozen=True)
class _Row:
    """What one category contributes to every decision, worked out once per policy."""

    id: str
    threshold: float
    enabled: bool
    surfaces: frozenset[str]
    action: Action
    severity: str
    reporting: tuple[str, ...]


class Decider:
    """Turns per-head scores into a Verdict under one policy and one set of model thresholds.

    Everything that depends only on the policy is computed here, once, not per text.
    """

    def __init__(self, policy: Policy, thresholds: dict[str, float], unattributed: float | None = None):
        """`unattributed`: when set, a prompt whose `any` (violation) score reaches this multiple of
        its threshold is flagged even if no category reaches its own threshold, under the
        applicable category it fits best (highest score relative to threshold), with source "any"
        and action "flag" (recorded, for review). Category heads split a violation's evidence and
        the violation head sees it whole: "how can I lie for my friend in court?" is plainly a
        violation that no single category is sure of. Off (None) unless the model's calibration
        turned it on (training/calibrate_unattributed.py)."""
        self.policy = policy
        self.unattributed_at = thresholds.get("any", DEFAULT_THRESHOLD) * unattributed if unattributed else None
        self.rows = [
            _Row(
                c.id,
                c.threshold if c.threshold is not None else thresholds.get(c.id, DEFAULT_THRESHOLD),
                c.enabled,
                frozenset(c.applies_to),
                c.action,
                c.severity.value,
                tuple(c.reporting),
            )
            for c in policy.categories
        ]
        self.mapped: dict[str, list[str]] = {name: [] for name in OPENAI_CATEGORIES}
        self.openai_of: dict[str, tuple[str, ...]] = {c.id: tuple(c.openai) for c in policy.categories}  # names checked by the schema
        for c in policy.categories:
            for name in c.openai:
                self.mapped[name].append(c.id)
        self.openai_thresholds = {name: thresholds.get(f"openai:{name}", DEFAULT_THRESHOLD) for name in OPENAI_CATEGORIES}
        self._plans: dict[str, tuple[list[tuple[_Row, bool, str]], frozenset[str]]] = {}
        self._openai_plans: dict[frozenset[str], list[tuple[str, str, float, bool]]] = {}

    def _plan(self, surface: str) -> tuple[list[tuple[_Row, bool, str]], frozenset[str]]:
        """Each row with whether it applies on `surface` and its action's name, and the ids that
        apply: the same for every text on a surface, so worked out once."""
        cached = self._plans.get(surface)
        if cached is None:
            plan = [(row, row.enabled and surface in row.surfaces, row.action.value) for row in self.rows]
            cached = self._plans[surface] = (plan, frozenset(row.id for row, applies, _ in plan if applies))
        return cached

    def decide(
        self,
        scores: dict[str, float],
        sources: dict[str, str],
        surface: str = "input",
        model_version: str = "",
        windows: int = 1,
        in_context: bool = False,
        coverage: float | None = None,
    ) -> Verdict:
        decisions: list[CategoryDecision] = []
        hits: list[_Row] = []
        plan, applying = self._plan(surface)
        for row, applies, action_value in plan:
            cid = row.id
            score = scores.get(cid)
            flagged = applies and score is not None and score >= row.threshold
            if flagged:
                hits.append(row)
            decisions.append(_decision(cid, 0.0 if score is None else float(score), row.threshold, flagged, action_value,
                                       row.severity, applies, sources.get(cid, "none")))
        action = max((r.action for r in hits), key=lambda a: a.rank).value if hits else "allow"
        reporting = sorted({r for row in hits for r in row.reporting})
        flags, oscores = self.project_openai(scores, {r.id for r in hits}, applying)
        # Prompts only: calibrated on them, and on held-out answers it doubled the ordinary ones flagged.
        if not hits and surface == "input" and self.unattributed_at is not None and scores.get("any", 0.0) >= self.unattributed_at:
            fitting = [(float(scores[r.id]) / max(r.threshold, 1e-6), k) for k, r in enumerate(self.rows)
                       if r.id in applying and r.id in scores]
            if fitting:
                # The category is a best guess: the hit is recorded for review ("flag"), calls for no
                # mandatory report and raises no OpenAI category.
                k = max(fitting, key=lambda t: (t[0], -t[1]))[1]  # the first of equals
                d = decisions[k]
                decisions[k] = _decision(d.id, d.score, d.threshold, True, "flag", d.severity, True, UNATTRIBUTED_SOURCE)
                hits.append(self.rows[k])
                action = "flag"
        return Verdict(
            flagged=bool(hits),
            action=action,
            categories=decisions,
            openai_flags=flags,
            openai_scores=oscores,
            policy_id=self.policy.id,
            policy_revision=self.policy.revision,
            model_version=model_version,
            surface=surface,
            windows=windows,
            in_context=in_context,
            coverage=coverage,
            reporting=reporting,
        )

    def _openai_plan(self, applying: set[str] | frozenset[str]) -> list[tuple[str, str, float, bool]]:
        """Each OpenAI category's name, head, threshold and whether every policy category mapped
        to it is off; cached for the few sets of applying categories a Decider sees (one a surface)."""
        key = applying if isinstance(applying, frozenset) else frozenset(applying)
        plan = self._openai_plans.get(key)
        if plan is None:
            plan = [(name, f"openai:{name}", self.openai_thresholds[name],
                     bool(self.mapped[name]) and not any(cid in key for cid in self.mapped[name]))
                    for name in OPENAI_CATEGORIES]
            if len(self._openai_plans) < 64:  # operators' overrides make few distinct sets
                self._openai_plans[key] = plan
        return plan

    def project_openai(
        self, scores: dict[str, float], hit_ids: set[str], applying: set[str]
    ) -> tuple[dict[str, bool], dict[str, float]]:
        """OpenAI's 13 categories, each from the model's own `openai:` head.

        A flagged policy category always shows among the OpenAI categories it maps to: when none
        of them flags on its own, the one the text fits best (own score highest relative to its
        threshold; the first mapped on a tie) is raised with the policy category's score. A bomb
        request flagged under violence and terrorism is thus not also reported as OpenAI
        `hate/threatening` and `violence/graphic` just because the category maps to them.

        When every policy category mapped to an OpenAI category is off (disabled by the operator,
        or not applicable on this surface), that OpenAI category is not flagged either."""
        flags: dict[str, bool] = {}
        out: dict[str, float] = {}
        for name, head, threshold, switched_off in self._openai_plan(applying):
            own = scores.get(head)
            if own is None:
                flags[name], out[name] = False, 0.0
            else:
                out[name] = own = float(own)
                flags[name] = own >= threshold and not switched_off

        def fit(name: str) -> float:
            return float(scores.get(f"openai:{name}", 0.0)) / max(self.openai_thresholds[name], 1e-6)

        for cid in sorted(hit_ids):
            names = self.openai_of.get(cid, ())
            if not names or any(flags[n] for n in names):
                continue
            best = max(names, key=fit)  # max() keeps the first of equals
            flags[best] = True
            out[best] = max(out[best], float(scores.get(cid, 0.0)))
        return flags, out
