"""Thresholds chosen on an operator's own labelled data, written as a policy overlay.

The shipped thresholds are fitted for F1 on the project's data; an operator's traffic, and what
a false flag costs them against a missed violation, differ. `tune` scores the operator's
examples exactly as the Warden serves them (windows, sentences, both stages; the very scores a
verdict compares with its thresholds), then:

1. for each policy category labelled in the file, the threshold with the best F-beta (`beta`,
   default 1; below 1 favours precision);
2. with bounds on the verdict as a whole (`max_fpr`, `min_precision`: flagged under any
   category, as an operator sees it), thresholds are then raised one step at a time, each
   time where it removes the most false flags per violation it stops catching, until the
   file's examples are within the bounds. A bound per category would not do: forty categories
   each allowed 2% of false flags flag far more than 2% of benign text.

Thresholds fitted on a few examples are noise: a category needs `min_positives` labelled
positives (and as many negatives) in the part fitted on, or it keeps its threshold, and a
threshold within two positives' worth of the best F-beta counts as the best. With
`holdout`, a fixed share of the examples (by a hash of the text) is kept back and only
measured, so the report says what the new thresholds do on text they were not chosen on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from .evaluate import OVERALL, EvalInputError, Example
from .policy.overlay import apply_overlay
from .policy.schema import OPENAI_CATEGORIES, Overlay
from .training.metrics import TOLERANCE, binary_metrics, near_best_threshold
from .warden import Warden

GRID = tuple(k / 100 for k in range(5, 100))  # 0.05 .. 0.99


@dataclass(frozen=True)
class Objective:
    beta: float = 1.0
    max_fpr: float | None = None  # of the verdict: benign examples flagged under any category
    min_precision: float | None = None  # of the verdict
    # Fewest false flags plus misses instead of F-beta, for categories with at least this many
    # positives to fit on (0: every category); None: F-beta for all.
    errors_from: int | None = None
    # Fewest errors for these categories, whatever their positives (thresholds set on a written
    # suite of violations and look-alikes, which F1 would let a few look-alikes cross).
    errors_in: frozenset[str] = frozenset()

    def __post_init__(self):
        if not self.beta > 0:
            raise ValueError("beta must be above 0")
        if self.max_fpr is not None and not 0.0 <= self.max_fpr <= 1.0:
            raise ValueError("max_fpr must be between 0 and 1")
        if self.min_precision is not None and not 0.0 <= self.min_precision <= 1.0:
            raise ValueError("min_precision must be between 0 and 1")

    def met(self, tp: int, fp: int, negatives: int) -> bool:
        fpr = fp / negatives if negatives else 0.0
        precision = tp / (tp + fp) if tp + fp else 1.0
        return (self.max_fpr is None or fpr <= self.max_fpr) and (self.min_precision is None or precision >= self.min_precision)

    def describe(self) -> str:
        bounds = [f"verdict FPR <= {self.max_fpr:g}" if self.max_fpr is not None else "",
                  f"verdict precision >= {self.min_precision:g}" if self.min_precision is not None else ""]
        per_category = f"F{self.beta:g} per category"
        if self.errors_from is not None:
            per_category = (f"fewest errors per category with {self.errors_from}+ positives, else {per_category}"
                            if self.errors_from else "fewest errors per category")
        if self.errors_in:
            per_category += f"; fewest errors for {len(self.errors_in)} named categories"
        return ", ".join([per_category, *(b for b in bounds if b)])


def choose_threshold(y: np.ndarray, scores: np.ndarray, beta: float = 1.0, current: float | None = None,
                     grid=GRID, tolerance: float = TOLERANCE, errors: bool = False, min_recall: float | None = None,
                     max_fpr: float | None = None, match: bool = False) -> float:
    """The threshold on `grid` for the best F-beta, within noise: of those whose F-beta is within
    `tolerance` / positives of the best (about what moving two positives changes), `current` if
    it is one of them, else the one nearest the middle of their range, with the widest margin
    on both sides (`metrics.near_best_threshold`), among those that keep `min_recall` and
    `max_fpr` if given; with `match`, the lowest threshold under `max_fpr` instead."""
    return near_best_threshold(y, scores, grid, beta, tolerance, current, errors, min_recall, max_fpr, match)


def raise_to_bounds(scores: np.ndarray, thresholds: np.ndarray, movable: np.ndarray, violating: np.ndarray,
                    objective: Objective, caps: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """Raise thresholds of the `movable` columns until the verdict (any column at or above its
    threshold) meets the objective's bounds on these examples. Each step raises one column just
    past the lowest benign example that column alone flags, choosing the step that removes the
    most false flags per violation lost on the way, and never past a column's entry in `caps`.
    Returns the thresholds and whether the bounds are met."""
    th = thresholds.astype(float).copy()
    hits = scores >= th
    fixed = hits[:, ~movable].any(axis=1)
    cols = np.flatnonzero(movable)
    negatives = int((~violating).sum())
    while True:
        flagged = fixed | hits[:, cols].any(axis=1)
        if objective.met(int((flagged & violating).sum()), int((flagged & ~violating).sum()), negatives):
            return th, True
        count = hits[:, cols].sum(axis=1)
        best = None
        for c in cols:
            alone = hits[:, c] & (count == 1) & ~fixed  # flagged by this column only
            false = alone & ~violating
            if not false.any():
                continue
            # Just past this column's lowest false flag, giving up any violation scored below it.
            step = np.floor(scores[false, c].min() * 100 + 1e-9) / 100 + 0.01
            if step > GRID[-1] + 1e-9 or (caps is not None and step > caps[c] + 1e-9):
                continue
            lost = alone & (scores[:, c] < step)
            fp, tp = int((lost & ~violating).sum()), int((lost & violating).sum())
            if fp and (best is None or (fp / (tp + 1), fp) > best[0]):
                best = ((fp / (tp + 1), fp), c, round(step, 2))
        if best is None:
            return th, False
        _, c, step = best
        th[c] = step
        hits[:, c] = scores[:, c] >= step


def in_holdout(text: str, fraction: float) -> bool:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < fraction


def tune(
    warden: Warden,
    examples: list[Example],
    objective: Objective = Objective(),
    surface: str = "input",
    min_positives: int = 10,
    holdout: float = 0.0,
    served: tuple | None = None,
    tolerance: float = TOLERANCE,
    keep_recall: bool = False,
    min_recall: dict[str, float] | None = None,
    keep_fpr: bool = False,
    fpr_ceiling: dict[str, float] | None = None,
    fpr_match: Collection[str] = (),
    max_threshold: dict[str, float] | None = None,
    anchor: dict[str, float] | None = None,
) -> dict:
    """Per-category thresholds for `warden`'s policy, and what they change. The result's
    "thresholds" holds the categories whose threshold moved. `served` is `warden.scores` of the
    examples' texts when the caller has it already (to try several objectives on one scoring).
    Recall floors (`metrics.near_best_threshold`): `keep_recall`, what each category's threshold
    in force catches of the examples fitted on; `min_recall`, given per category (what another
    model catches of them, say). The objective's bounds (max_fpr, min_precision) may still raise
    a threshold past its floor. False-flag ceilings likewise (applied after the floors, which win
    where both cannot hold): `keep_fpr`, the share of each category's negatives its threshold in
    force flags; `fpr_ceiling`, given per category (not the objective's `max_fpr`, which bounds
    the verdict as a whole). The categories in `fpr_match` take the lowest threshold under their
    ceiling, whatever its F-beta (`metrics.near_best_threshold`'s `match`). `max_threshold`, given
    per category, caps its threshold: it is fitted on the grid at or below that line only (the line
    itself kept where it is near best), and the objective's bounds do not raise it past the line
    either, so a refit may lower it but never raise it. A category not fitted (too few examples)
    keeps its threshold in force, as every unfitted category does, whatever its cap. `anchor`, given
    per category, is the line a fit keeps where it is near best (within `tolerance`), in place of
    the threshold in force (and under its cap): the fit leaves the anchor only for a line more than
    `tolerance` better, so a line set elsewhere (another model's) moves for a gain, not for noise."""
    max_threshold = max_threshold or {}
    anchor = anchor or {}
    if not 0.0 <= holdout < 1.0:
        raise ValueError("holdout must be at least 0 and below 1")
    if min_positives < 1:
        raise ValueError("min_positives must be at least 1")
    if not tolerance >= 0:
        raise ValueError("tolerance must be 0 or more")
    policy_ids = [c.id for c in warden.policy.categories]
    used = {label for e in examples for label in e.labels | (e.known or set())}
    unknown = sorted(used - set(policy_ids) - set(OPENAI_CATEGORIES) - {OVERALL})
    if unknown:
        raise EvalInputError(f"unknown categories {unknown}; use the policy's ids (policywarden policy show) or OpenAI's names")
    targets = [c for c in policy_ids if c in used]
    if not targets:
        raise EvalInputError("no policy category is labelled: tuning needs examples labelled with the policy's category ids "
                             "('labels' or 'category'), not only flagged / not flagged")

    held = np.array([in_holdout(e.text, holdout) for e in examples]) if holdout else np.zeros(len(examples), bool)
    scores, sources, counts = served if served is not None else warden.scores([e.text for e in examples], surface == "input")
    rows = {c.id: c for c in warden.policy.categories}
    current = {c.id: c.threshold for c in warden.decider.rows}
    chosen: dict[str, float] = {}
    movable: list[str] = []
    report: dict[str, dict] = {}
    columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # labels, known, scores
    for cid in targets:
        y, known, s = columns[cid] = (np.array([cid in e.labels for e in examples]),
                                      np.array([e.known is None or cid in e.known for e in examples]),
                                      np.array([sc.get(cid, 0.0) for sc in scores]))
        fit = known & ~held
        entry: dict = {"threshold": current[cid], "positives": int(y[fit].sum()), "negatives": int((~y[fit]).sum())}
        if cid in max_threshold:
            entry["max_threshold"] = max_threshold[cid]
        if cid in anchor:
            entry["anchor"] = anchor[cid]
        if surface not in rows[cid].applies_to:
            entry["kept"] = f"does not apply to {surface} text"
        elif entry["positives"] < min_positives or entry["negatives"] < min_positives:
            entry["kept"] = f"fewer than {min_positives} positives or negatives to fit on"
        else:
            movable.append(cid)
            floor = (min_recall or {}).get(cid)
            if keep_recall:
                floor = max(floor or 0.0, float((s[fit & y] >= current[cid]).mean()))
            if floor is not None:
                entry["min_recall"] = round(floor, 4)
            ceiling = (fpr_ceiling or {}).get(cid)
            if keep_fpr:
                ceiling = min(1.0 if ceiling is None else ceiling, float((s[fit & ~y] >= current[cid]).mean()))
            if ceiling is not None:
                entry["fpr_ceiling"] = round(ceiling, 4)
            matched = ceiling is not None and cid in fpr_match
            if matched:
                entry["fpr_matched"] = True
            grid, line = GRID, anchor.get(cid, current[cid])
            if cid in max_threshold:
                cap = max_threshold[cid]
                grid, line = tuple(g for g in GRID if g <= cap) or (cap,), min(line, cap)
            t = choose_threshold(y[fit], s[fit], objective.beta, line, grid=grid, tolerance=tolerance,
                                 errors=(objective.errors_from is not None and entry["positives"] >= objective.errors_from)
                                 or cid in objective.errors_in,
                                 min_recall=floor, max_fpr=ceiling, match=matched)
            if t != current[cid]:
                chosen[cid] = t
        report[cid] = entry

    violating = np.array([bool(e.labels) for e in examples])  # a policy or an OpenAI category, or flagged
    judged = np.array([e.known is None or OVERALL in e.known or bool(e.labels) for e in examples])
    bounds_met = None
    if objective.max_fpr is not None or objective.min_precision is not None:
        # Every category that can flag counts towards the verdict; only those fitted may move.
        live = [r for r in warden.decider.rows if r.enabled and surface in r.surfaces]
        fit_rows = np.flatnonzero(judged & ~held)
        matrix = np.array([[scores[i].get(r.id, -1.0) for r in live] for i in fit_rows]).reshape(len(fit_rows), len(live))
        start = np.array([chosen.get(r.id, current[r.id]) for r in live])
        caps = np.array([max_threshold.get(r.id, np.inf) for r in live])
        raised, bounds_met = raise_to_bounds(matrix, start, np.array([r.id in movable for r in live]), violating[fit_rows],
                                             objective, caps)
        for r, t in zip(live, raised.tolist()):
            if r.id in movable and t != current[r.id]:
                chosen[r.id] = t

    for cid, entry in report.items():
        if cid in chosen:
            entry["tuned"] = chosen[cid]
        y, known, s = columns[cid]
        for part, mask in (("fit", known & ~held), ("holdout", known & held)):
            if mask.any():
                entry[part] = {"before": binary_metrics(y[mask], s[mask], current[cid]),
                               "after": binary_metrics(y[mask], s[mask], chosen.get(cid, current[cid]))}

    # The verdict as a whole (flagged under any category) before and after, from the same scores.
    after = warden.decider_for(tuned_policy(warden, chosen))
    overall = {}
    for part, mask in (("fit", judged & ~held), ("holdout", judged & held)):
        if not mask.any():
            continue
        idx = np.flatnonzero(mask)
        flags = {}
        for name, decider in (("before", warden.decider), ("after", after)):
            flags[name] = np.array([decider.decide(scores[i], sources[i], surface, windows=counts[i]).flagged for i in idx])
        overall[part] = {k: binary_metrics(violating[idx], f, 0.5) for k, f in flags.items()}
    return {
        "examples": len(examples),
        "held_out": int(held.sum()),
        "policy": warden.policy.ref,
        "model": warden.model_version,
        "surface": surface,
        "objective": objective.describe(),
        "min_positives": min_positives,
        "thresholds": dict(sorted(chosen.items())),
        "bounds_met": bounds_met,  # None without bounds; else whether the fitted examples meet them
        "categories": report,
        "overall": overall,
        "not_tuned": sorted(used & set(OPENAI_CATEGORIES)),
    }


def examples_from(records, ids: list[str]) -> list[Example]:
    """Examples from labelled records (anything with `.text` and `.label(id)` -> 1, 0 or None);
    a record's `any` label (violating anything) is the verdict's truth."""
    out = []
    for r in records:
        labels = {cid: r.label(cid) for cid in [*ids, "any"]}
        known = {cid for cid, v in labels.items() if v is not None}
        positive = {cid for cid in known if labels[cid] == 1}
        rename = {"any": OVERALL}
        out.append(Example(r.text, {rename.get(c, c) for c in positive}, {rename.get(c, c) for c in known}))
    return out


def tuned_policy(warden: Warden, thresholds: dict[str, float]):
    return apply_overlay(warden.policy, Overlay(id="tuned", base=warden.policy.ref, thresholds=thresholds))


def overlay_document(result: dict, base: str, source: str) -> dict:
    """The overlay that applies the tuned thresholds (YAML- or JSON-ready)."""
    name = base.partition("@")[0].rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml").lower()
    stem = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in name).strip("-") or "policy"
    return {
        "schema_version": 1,
        "kind": "overlay",
        "id": f"{stem}-tuned",
        "revision": "1",
        "base": base,
        "title": f"Thresholds tuned on {source} ({result['objective']}, {result['surface']} text, model {result['model']})",
        "thresholds": dict(sorted(result["thresholds"].items())),
    }
