"""Fit the embedded linear model: one logistic head per label over hashed TF-IDF features.

Reproducible: the same records, heads, settings and seed give the same model files.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..classify.embedded import MODEL_FILES, LinearModel
from ..classify.features import FeatureSpec, transform
from ..text.normalize import normalize
from .metrics import TOLERANCE, binary_metrics, near_best_threshold
from .records import Record


@dataclass
class TrainConfig:
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    C: float = 4.0
    min_positives: int = 8
    calibration_fraction: float = 0.12
    # Sources that hold back a larger share for calibration (their own 0.12 among it): thin
    # categories' few written examples, so that their thresholds rest on more than a handful.
    calibration_shares: dict[str, float] = field(default_factory=dict)
    threshold_floor: float = 0.5
    # Thresholds within this many positives' worth of the best F1 count as best (see
    # metrics.near_best_threshold); 0 takes the middle of the exact best (models before
    # 2026-12-04 took the lowest).
    tolerance: float = TOLERANCE
    seed: int = 0
    version: str = "dev"


def _bucket(text: str, salt: str) -> float:
    return zlib.crc32((salt + text).encode()) / 0xFFFFFFFF


def _matrix(texts: list[str], spec: FeatureSpec):
    from scipy.sparse import csr_matrix

    indptr, indices, data = transform(texts, spec, idf=None)
    return csr_matrix((data, indices, indptr), shape=(len(texts), 1 << spec.bits), dtype=np.float32)


def _apply_idf(x, idf: np.ndarray):
    from sklearn.preprocessing import normalize as l2

    x = x.copy()
    x.data *= idf[x.indices]
    return l2(x, norm="l2", copy=False)


def _labels(records: list[Record], head: str) -> np.ndarray:
    """1, 0, or -1 (unknown) per record."""
    out = np.full(len(records), -1, np.int8)
    for i, r in enumerate(records):
        v = r.label(head)
        if v is not None:
            out[i] = 1 if v else 0
    return out


def train(records: list[Record], heads: list[str], out_dir: str | Path, config: TrainConfig | None = None,
          base: LinearModel | None = None) -> dict:
    """Train, calibrate thresholds, evaluate on held-back records, write the model. Returns the report.

    With a `base` model the new heads share its features and IDF, and its other heads are kept
    as they are: a model extended with heads (re)trained on an operator's own data.
    """
    from sklearn.linear_model import LogisticRegression

    cfg = config or TrainConfig()
    if base is not None:
        cfg.spec = base.spec
    t0 = time.time()
    train_recs = [r for r in records if r.split == "train"]
    held_recs = [r for r in records if r.split != "train"]
    norm_train = [normalize(r.text) for r in train_recs]
    for src, share in cfg.calibration_shares.items():
        if not cfg.calibration_fraction <= share < 1:
            raise ValueError(f"calibration share of {src} must be at least {cfg.calibration_fraction} and below 1")
    calib_mask = np.array([_bucket(t, f"calib{cfg.seed}") < cfg.calibration_shares.get(r.source, cfg.calibration_fraction)
                           for t, r in zip(norm_train, train_recs)], dtype=bool)

    x_all = _matrix(norm_train, cfg.spec)
    fit_rows = np.flatnonzero(~calib_mask)
    if base is not None:
        idf = base.idf
    else:
        df = np.bincount(x_all[fit_rows].indices, minlength=1 << cfg.spec.bits)
        idf = (np.log((1 + len(fit_rows)) / (1 + df)) + 1.0).astype(np.float32)
    x_all = _apply_idf(x_all, idf)

    n_feat = 1 << cfg.spec.bits
    kept: list[str] = []
    skipped: dict[str, str] = {}
    w_cols, biases, thresholds, calib_report = [], [], {}, {}
    for head in heads:
        y = _labels(train_recs, head)
        fit = (y >= 0) & ~calib_mask
        cal = (y >= 0) & calib_mask
        npos = int((y[fit] == 1).sum())
        if npos < cfg.min_positives or int((y[fit] == 0).sum()) < cfg.min_positives:
            skipped[head] = f"{npos} training positives (< {cfg.min_positives})"
            continue
        clf = LogisticRegression(C=cfg.C, class_weight="balanced", solver="liblinear", max_iter=200, random_state=cfg.seed)
        clf.fit(x_all[fit], y[fit])
        w_cols.append(clf.coef_[0].astype(np.float32))
        biases.append(float(clf.intercept_[0]))
        if (y[cal] == 1).sum() >= 3:
            s = clf.predict_proba(x_all[cal])[:, 1]
            grid = np.arange(cfg.threshold_floor, 0.96, 0.025)
            t = round(near_best_threshold(y[cal] == 1, s, grid, tolerance=cfg.tolerance), 3) if len(grid) else 0.5
            calib_report[head] = binary_metrics(y[cal], s, t)
        else:
            t = 0.5
        thresholds[head] = t
        kept.append(head)

    inherited: list[str] = []
    if base is not None:
        base_th = base.thresholds()
        for j, head in enumerate(base.heads):
            if head not in kept:
                inherited.append(head)
                w_cols.append(base.weights[:, j])
                biases.append(float(base.bias[j]))
                thresholds[head] = base_th[head]
        kept.extend(inherited)
    weights = np.stack(w_cols, axis=1) if w_cols else np.zeros((n_feat, 0), np.float32)
    scale = np.maximum(np.abs(weights).max(axis=0), 1e-9) / 127.0
    q = np.round(weights / scale).astype(np.int8)
    rows = np.flatnonzero(np.any(q != 0, axis=1)).astype(np.int32)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / MODEL_FILES[1],
        rows=rows,
        values=q[rows],
        scale=scale.astype(np.float32),
        bias=np.array(biases, np.float32),
        idf=idf.astype(np.float16),
    )
    sources = Counter(r.source for r in train_recs)
    meta = {
        "format": 1,
        "version": cfg.version,
        "kind": "hashed-ngram-tfidf-logistic",
        "heads": kept,
        "thresholds": thresholds,
        "features": cfg.spec.to_dict(),
        "training": {
            "seed": cfg.seed,
            "C": cfg.C,
            "threshold_tolerance": cfg.tolerance,
            "records": len(train_recs),
            "sources": dict(sorted(sources.items())),
            "skipped_heads": skipped,
            **({"calibration_shares": dict(sorted(cfg.calibration_shares.items()))} if cfg.calibration_shares else {}),
            "seconds": round(time.time() - t0, 1),
        },
    }
    if base is not None:
        # "Skipped" tells the Warden a head is known but untrained; for an extended model that
        # is the base's list less what was trained now. Heads the operator's data was too thin
        # for stay unknown, so their categories keep the few-shot example scorer.
        base_skipped = base.meta.get("training", {}).get("skipped_heads", {})
        meta["training"]["skipped_heads"] = {h: why for h, why in base_skipped.items() if h not in kept}
        meta["training"]["base"] = {"version": base.version, "inherited_heads": inherited, "too_few_examples": skipped}
    (out / MODEL_FILES[0]).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    digest = hashlib.sha256((out / MODEL_FILES[1]).read_bytes()).hexdigest()[:12]
    meta["weights_sha256"] = digest
    (out / MODEL_FILES[0]).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    report = {"model": meta, "calibration": calib_report, "heldout": evaluate(LinearModel(out), held_recs)}
    return report


def evaluate(model: LinearModel, records: list[Record]) -> dict:
    """Per-head metrics on records (at the model's thresholds), overall and per source."""
    if not records:
        return {}
    scores = model.score([normalize(r.text) for r in records])
    th = model.thresholds()
    per_head, per_source = {}, {}
    sources = sorted({r.source for r in records})
    for j, head in enumerate(model.heads):
        y = _labels(records, head)
        known = y >= 0
        if (y[known] == 1).sum() == 0:
            continue
        per_head[head] = binary_metrics(y[known], scores[known, j], th[head])
    src = np.array([r.source for r in records])
    if "any" in model.heads:
        j = model.heads.index("any")
        y = _labels(records, "any")
        for s in sources:
            m = (src == s) & (y >= 0)
            if m.any():
                per_source[s] = binary_metrics(y[m], scores[m, j], th["any"])
    return {"per_head": per_head, "any_by_source": per_source}
