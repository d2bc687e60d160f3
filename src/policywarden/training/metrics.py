"""Classification metrics for one head: precision, recall, F1, false-positive rate, AUPRC, calibration error."""

from __future__ import annotations

import numpy as np


def binary_metrics(y: np.ndarray, scores: np.ndarray, threshold: float, pred: np.ndarray | None = None) -> dict:
    """`pred` overrides `scores >= threshold` when decisions come from elsewhere (a verdict).
    Decisions alone may be passed as the scores (booleans)."""
    y = y.astype(bool)
    scores = np.asarray(scores)
    if scores.dtype == bool:
        scores = scores.astype(np.float64)
    pred = scores >= threshold if pred is None else pred.astype(bool)
    tp = int(np.sum(pred & y))
    fp = int(np.sum(pred & ~y))
    fn = int(np.sum(~pred & y))
    tn = int(np.sum(~pred & ~y))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "fpr": round(fp / (fp + tn), 4) if fp + tn else 0.0,
        "auprc": round(average_precision(y, scores), 4),
        "ece": round(calibration_error(y, scores), 4),
    }


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision-recall curve (step-wise, as scikit-learn computes it)."""
    y = y.astype(bool)
    if not y.any():
        return 0.0
    order = np.argsort(-scores, kind="mergesort")
    ys = y[order]
    tp = np.cumsum(ys)
    precision = tp / np.arange(1, len(ys) + 1)
    return float(np.sum(precision[ys]) / ys.sum())


def calibration_error(y: np.ndarray, scores: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width score bins."""
    if len(y) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.sum() * abs(float(y[m].mean()) - float(scores[m].mean()))
    return total / len(y)


TOLERANCE = 2.0  # positives' worth of F-beta within which a threshold counts as the best (near_best_threshold)


def near_best_threshold(y: np.ndarray, scores: np.ndarray, grid, beta: float = 1.0, tolerance: float = 0.0,
                        current: float | None = None, errors: bool = False, min_recall: float | None = None,
                        max_fpr: float | None = None, match: bool = False) -> float:
    """A threshold on `grid` for F-beta that holds up on text it was not chosen on.

    The near-best thresholds are those whose F-beta is within `tolerance` / positives of the
    best: on a few dozen positives the argmax is wherever one or two of them happen to fall,
    and any of these does as well within that noise. `current` is kept when it is among them (a
    move the data does not call for is churn); otherwise the near-best one closest to the middle
    of their range, with the widest margin to either side. Tolerance 0 gives the middle of the
    best. Choosing on one half of the calibration prompts and counting on the other, over 100
    splits (training/experiments/threshold_cv.py, shipped pair, categories with 4+ positives in
    the half), tolerance 2 against the plain argmax: F1 summed over categories 0.784 -> 0.786
    (halves by row) and 0.768 -> 0.770 (halves by source); on categories under 30 positives
    0.72 -> 0.75 and 0.62 -> 0.70.

    `errors`: fewest false flags plus misses instead of F-beta (a false flag costs as much as a
    miss; at F1's best a head with F1 0.6 takes about two false flags for each text it catches),
    the near-best being within `tolerance` texts of the fewest.

    `min_recall`: only thresholds that catch at least this share of the positives are chosen
    from (where none does, those that catch the most): a recall floor, such as what the
    threshold in force catches, so that a refit may trade false flags but not misses.

    `max_fpr`: likewise a ceiling on the share of negatives flagged (where no threshold left
    keeps under it, those that flag the fewest), so that a refit may trade misses but not false
    flags. Applied after the floor: where both are given and cannot both hold, the floor wins.

    `match` (with `max_fpr`): the lowest threshold kept under the ceiling, whatever its F-beta: the
    ceiling's false-flag rate matched rather than bounded, for a head whose positives are too few
    to choose among thresholds by. Tried on the shipped pair's thin heads (candidate Q, session
    38, docs/model-candidates.md) it did not hold: their rates, 0-0.14% of about 9,600 negatives,
    are counts as small as the positives."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores)
    grid = np.asarray(grid, dtype=np.float64)
    b2 = beta**2
    if min_recall is not None and y.any():
        recall = (scores[y][:, None] >= grid[None, :]).mean(0)
        need = min(min_recall, recall.max()) - 1e-12  # an unreachable floor: the most any threshold catches
        grid = grid[recall >= need]
        if current is not None and float((scores[y] >= current).mean()) < need:
            current = None
    if max_fpr is not None and (~y).any() and len(grid):
        fpr = (scores[~y][:, None] >= grid[None, :]).mean(0)
        current_fpr = None if current is None else float((scores[~y] >= current).mean())
        if fpr.min() > max_fpr + 1e-12 and current_fpr is not None and current_fpr <= max_fpr + 1e-12:
            # the floor and the ceiling hold together at the threshold in force, off the grid,
            # and at no point on it (found by review: 0.575 between 0.57 and 0.58)
            return float(current)
        allow = max(max_fpr, fpr.min()) + 1e-12  # an unreachable ceiling: the fewest any threshold flags
        if current_fpr is not None and current_fpr > allow:
            current = None
        grid = grid[fpr <= allow]
        if match and len(grid):
            return float(grid.min())

    def fbeta(thresholds: np.ndarray) -> np.ndarray:
        pred = scores[:, None] >= thresholds[None, :]
        tp = (pred & y[:, None]).sum(0)
        denom = (1 + b2) * tp + b2 * (int(y.sum()) - tp) + (pred & ~y[:, None]).sum(0)
        return np.where(denom > 0, (1 + b2) * tp / np.maximum(denom, 1), 0.0)

    def fewer_errors(thresholds: np.ndarray) -> np.ndarray:
        pred = scores[:, None] >= thresholds[None, :]
        return -((pred & ~y[:, None]).sum(0) + (~pred & y[:, None]).sum(0)).astype(np.float64)

    score = fewer_errors if errors else fbeta
    f = score(grid)
    floor = f.max() - (tolerance if errors else tolerance / max(1, int(y.sum()))) - 1e-12
    if current is not None and score(np.array([current]))[0] >= floor:
        return current
    near = np.flatnonzero(f >= floor)
    middle = (grid[near[0]] + grid[near[-1]]) / 2
    return float(grid[near[np.argmin(np.abs(grid[near] - middle))]])


def best_threshold(y: np.ndarray, scores: np.ndarray, beta: float = 1.0, floor: float = 0.3) -> float:
    """The threshold that maximises F-beta, no lower than `floor` (so rare heads stay conservative)."""
    best_t, best_f = 0.5, -1.0
    for t in np.arange(floor, 0.96, 0.025):
        pred = scores >= t
        tp = np.sum(pred & y)
        fp = np.sum(pred & ~y)
        fn = np.sum(~pred & y)
        denom = (1 + beta**2) * tp + beta**2 * fn + fp
        f = (1 + beta**2) * tp / denom if denom else 0.0
        if f > best_f:
            best_t, best_f = float(t), f
    return round(best_t, 3)
