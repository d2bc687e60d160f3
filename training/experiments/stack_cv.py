"""How should the two stages' scores be combined? Compared on calibration rows only.

    python training/experiments/stack_cv.py [--splits 60]   # ~2 min the first time (scores cached in
                                                             # WORK/stack_cv/: delete it after the data or models change)

The cascade blends a head's two calibrated probabilities with one weight for every head
(calibrate_cascade.py, 0.5 shipped). This scores the calibration rows with the shipped n-gram
model and encoder (whole texts, no gate), splits them in two many times (by text hash and by
whole source), fits each combination's free parameters and every head's threshold
(near_best_threshold, k=2, as served) on one half, and counts on the other. The held-out split
is never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_encoder import calibration_split, label_matrix, load_records  # noqa: E402
from calibrate_cascade import with_assumed_negatives  # noqa: E402
from threshold_cv import f1, halves  # noqa: E402

from policywarden.classify.embedded import LinearModel, default_model_dir  # noqa: E402
from policywarden.classify.encoder import EncoderModel  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import near_best_threshold  # noqa: E402

GRID = np.arange(0.05, 0.96, 0.025)
EPS = 1e-4


def logit(p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def sig(x):
    return 1 / (1 + np.exp(-x))


def scores(model: Path, work: Path) -> dict:
    cache = work / "stack_cv" / "scores.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        return {k: z[k] for k in z.files}
    linear, enc_dir = LinearModel(model), model / "encoder"
    meta = json.loads((enc_dir / "model.json").read_text())
    heads = [h for h in meta["heads"] if not h.startswith("openai:")]
    records, _ = load_records(work)
    _, cal, _ = calibration_split([r for r in records if r.split == "train"], linear.meta, meta)
    norm = [normalize(r.text) for r in cal]
    runtime = EncoderModel(enc_dir, cache_size=0)
    a = np.array([meta["platt"][h][0] for h in heads], np.float32)
    b = np.array([meta["platt"][h][1] for h in heads], np.float32)
    enc = sig(runtime.logits(norm)[:, [meta["heads"].index(h) for h in heads]] * a + b)
    lin_full = linear.score(norm)
    out = {"lin": lin_full[:, [linear.heads.index(h) for h in heads]], "enc": enc,
           "y": with_assumed_negatives(label_matrix(cal, heads), cal, heads), "heads": np.array(heads),
           "sources": np.array([r.source for r in cal]), "weight": np.array(meta["cascade"]["weight"])}
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **out)
    return out


# Each combiner: fit(y, lin, enc) on the fitted half of one head -> function (lin, enc) -> score.
def fixed(w, space="prob"):
    def fit(y, l, e):
        if space == "prob":
            return lambda l, e: w * e + (1 - w) * l
        return lambda l, e: sig(w * logit(e) + (1 - w) * logit(l))
    return fit


def per_head(ws=(0.3, 0.5, 0.7), min_pos=40, default=0.5, space="prob"):
    """A head's own weight where it has `min_pos` positives in the fitted half, else the default."""
    def fit(y, l, e):
        if y.sum() < min_pos:
            return fixed(default, space)(y, l, e)
        best = None
        for w in ws:
            f = fixed(w, space)(y, l, e)
            s = f(l, e)
            t = near_best_threshold(y, s, GRID, tolerance=0)
            tp = ((s >= t) & y).sum(); fp = ((s >= t) & ~y).sum(); fn = y.sum() - tp
            f1 = 2 * tp / max(1, 2 * tp + fp + fn)
            if best is None or f1 > best[0] + 1e-9 or (abs(f1 - best[0]) <= 1e-9 and abs(w - default) < abs(best[1] - default)):
                best = (f1, w)
        return fixed(best[1], space)(y, l, e)
    return fit


def logistic(C=1.0, min_pos=40, default=0.5):
    """Per-head logistic regression on both logits and their product, where the head has
    `min_pos` positives in the fitted half; else the default probability blend."""
    from sklearn.linear_model import LogisticRegression

    def feats(l, e):
        a, b = logit(l), logit(e)
        return np.c_[a, b, a * b / 10]

    def fit(y, l, e):
        if y.sum() < min_pos:
            return fixed(default)(y, l, e)
        m = LogisticRegression(C=C, max_iter=500).fit(feats(l, e), y)
        return lambda l, e: m.predict_proba(feats(l, e))[:, 1]
    return fit


COMBINERS = {
    "prob w=0.5 (shipped)": fixed(0.5),
    "prob w=0.3": fixed(0.3),
    "prob w=0.7": fixed(0.7),
    "max": lambda y, l, e: (lambda l, e: np.maximum(l, e)),
    "logit w=0.5": fixed(0.5, "logit"),
    "prob per-head (>=40 pos)": per_head(),
    "prob per-head (>=100 pos)": per_head(min_pos=100),
    "logit per-head (>=40 pos)": per_head(space="logit"),
    "logistic (>=40 pos)": logistic(),
    "logistic (>=100 pos)": logistic(min_pos=100),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(default_model_dir()))
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--splits", type=int, default=60)
    ap.add_argument("--min-positives", type=int, default=4)
    ap.add_argument("--json")
    args = ap.parse_args()
    d = scores(Path(args.model), Path(args.work))
    lin, enc, y, heads, sources = d["lin"], d["enc"], d["y"], [str(h) for h in d["heads"]], d["sources"]
    rng = np.random.default_rng(0)
    report = {}
    for kind in ("rows", "sources"):
        tot = {c: np.zeros(3) for c in COMBINERS}
        thin = {c: np.zeros(3) for c in COMBINERS}
        big = {c: np.zeros(3) for c in COMBINERS}
        for _ in range(args.splits):
            a = halves(kind, sources, rng)
            for j in range(len(heads)):
                known = y[:, j] >= 0
                fa, fb = known & a, known & ~a
                ya, yb = y[fa, j] == 1, y[fb, j] == 1
                if ya.sum() < args.min_positives or yb.sum() == 0:
                    continue
                npos = (y[known, j] == 1).sum()
                for name, comb in COMBINERS.items():
                    f = comb(ya, lin[fa, j], enc[fa, j])
                    t = near_best_threshold(ya, f(lin[fa, j], enc[fa, j]), GRID, tolerance=2)
                    pred = f(lin[fb, j], enc[fb, j]) >= t
                    c = np.array([(pred & yb).sum(), (pred & ~yb).sum(), (~pred & yb).sum()])
                    tot[name] += c
                    (thin if npos < 30 else big)[name] += c
        report[kind] = {}
        print(f"\nsplit by {kind} ({args.splits} splits), summed over heads on the unseen half")
        print(f"{'combiner':28} {'F1':>7} {'prec':>7} {'recall':>7} {'thin F1':>8} {'big F1':>7}")
        for name in COMBINERS:
            tp, fp, fn = tot[name]
            row = {"f1": round(f1(*tot[name]), 4), "precision": round(tp / max(1, tp + fp), 4),
                   "recall": round(tp / max(1, tp + fn), 4), "thin_f1": round(f1(*thin[name]), 4), "big_f1": round(f1(*big[name]), 4)}
            report[kind][name] = row
            print(f"{name:28} {row['f1']:7.4f} {row['precision']:7.4f} {row['recall']:7.4f} {row['thin_f1']:8.4f} {row['big_f1']:7.4f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
