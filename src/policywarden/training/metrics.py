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
