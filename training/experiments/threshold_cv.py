"""Which way of choosing a category's threshold holds up on text it was not chosen on?

    python training/experiments/threshold_cv.py [--model DIR] [--splits 200]   # ~8 min the first time

A category with a dozen calibration positives gets a threshold from a dozen scores: the
argmax of F1 there moves a long way when one or two of them move (session 21: sexual
violence's served refit went 0.775 -> 0.45 for one pair, stayed 0.775 for the next, and
that one number moved its held-out recall 0.31 <-> 0.94). This scores the calibration prompts
as served (cached in WORK/threshold_cv/), then splits them in two many times, chooses every
policy category's threshold on one half by each rule below and counts what each choice does
on the other half. Two kinds of split: by a hash of the text (rows of one source on both
sides), and by source (whole sources on one side: new wording, as the fresh suite and real
traffic bring). The held-out split is never read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_prompts, encoder_meta_of  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.classify.cascade import CascadeScorer  # noqa: E402
from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.training.metrics import best_threshold, near_best_threshold  # noqa: E402
from policywarden.tune import GRID, choose_threshold  # noqa: E402


G = np.array(GRID)


def f1_curve(y: np.ndarray, s: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """F1 at every grid threshold; with `w` (B x rows of bootstrap weights), one curve per row of w."""
    pred = s[:, None] >= G[None, :]  # rows x grid
    pos, neg = pred[y], pred[~y]
    if w is None:
        tp, fp = pos.sum(0), neg.sum(0)
        fn = y.sum() - tp
    else:
        wp, wn = w[:, y], w[:, ~y]
        tp, fp = wp @ pos, wn @ neg
        fn = wp.sum(1, keepdims=True) - tp
    return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-9), 0.0)


def bagged(y, s, b=100):
    rng = np.random.default_rng(len(y) * 7919 + int(y.sum()))
    curves = f1_curve(y, s, rng.poisson(1.0, (b, len(y))).astype(np.float32))
    mean = curves.mean(0)
    return float(G[int(np.argmax(mean))])


def tolerant_high(y, s, k=1.0):
    curve = f1_curve(y, s)
    return float(G[np.flatnonzero(curve >= curve.max() - k / max(1, int(y.sum())))[-1]])


RULES = {
    "first_best (cascade)": lambda y, s: best_threshold(y, s),
    "plateau_middle (old tune)": lambda y, s: choose_threshold(y, s, tolerance=0),
    "bagged": bagged,
    # near_best_threshold (metrics.py): the middle of the thresholds within k positives' worth
    # of F1 of the best; k = 2 is what tune and calibrate_cascade use
    "near_best k=0.5": lambda y, s: near_best_threshold(y, s, G, tolerance=0.5),
    "near_best k=1": lambda y, s: near_best_threshold(y, s, G, tolerance=1.0),
    "near_best k=2": lambda y, s: near_best_threshold(y, s, G, tolerance=2.0),
    "near_best k=3": lambda y, s: near_best_threshold(y, s, G, tolerance=3.0),
    "highest within k=1": tolerant_high,
    # the tolerance capped: on 8 positives, 2 / positives is 0.25 of F1
    "near_best k=2 cap 0.05": lambda y, s: near_best_threshold(y, s, G, tolerance=min(2.0, 0.05 * y.sum())),
    "near_best k=2 cap 0.1": lambda y, s: near_best_threshold(y, s, G, tolerance=min(2.0, 0.1 * y.sum())),
    # the fewest false flags plus misses (calibrate_cascade.py --errors N), within 2 texts, for
    # categories with N+ positives in the fitted half, near_best k=2 for the others
    **{f"fewest errors from {n}": (lambda n: lambda y, s: near_best_threshold(y, s, G, tolerance=2.0, errors=y.sum() >= n))(n)
       for n in (0, 50, 100, 500)},
}


def served_matrix(model: str, work: Path) -> dict:
    """Scores (rows x policy categories, as served, first-stage clearing off), labels (1, 0, -1
    unknown) and each row's source, cached by model version and calibration (the gate and the
    margins change what is served)."""
    warden = Warden(model_dir=model, encoder_cache=0)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(Path(model).glob("**/model.json")))).hexdigest()[:12]
    cache = work / "threshold_cv" / f"{warden.model_version}-{digest}.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        return {k: z[k] for k in z.files}
    if isinstance(warden.scorer, CascadeScorer):
        warden.scorer._cleared_cap[:] = 0.0
    cal, _ = calibration_prompts(work, warden.model.meta, encoder_meta_of(warden))
    ids = [c.id for c in warden.policy.categories]
    t0 = time.time()
    scores, _, _ = warden.scores([r.text for r in cal], True)
    print(f"scored {len(cal)} calibration prompts in {time.time() - t0:.0f} s", flush=True)
    s = np.array([[sc.get(c, 0.0) for c in ids] for sc in scores], np.float32)
    y = np.array([[-1 if r.label(c) is None else int(r.label(c)) for c in ids] for r in cal], np.int8)
    out = {"scores": s, "labels": y, "ids": np.array(ids), "sources": np.array([r.source for r in cal]),
           "current": np.array([warden.decider.rows[i].threshold for i in range(len(ids))], np.float32)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **out)
    return out


def halves(kind: str, sources: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random split in two: by row ("rows"), or whole sources on one side ("sources")."""
    if kind == "rows":
        return rng.random(len(sources)) < 0.5
    names = sorted(set(sources.tolist()))
    side = dict(zip(names, rng.random(len(names)) < 0.5))
    return np.array([side[x] for x in sources.tolist()])


def counts(y: np.ndarray, s: np.ndarray, t: float) -> tuple[int, int, int]:
    pred = s >= t
    return int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(default_model_dir()))
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--splits", type=int, default=200)
    ap.add_argument("--min-positives", type=int, default=10, help="a category needs this many positives in the fitted half")
    ap.add_argument("--json", help="write the table here")
    args = ap.parse_args()
    d = served_matrix(args.model, Path(args.work))
    s, y, ids, sources = d["scores"], d["labels"], [str(i) for i in d["ids"]], d["sources"]
    rng = np.random.default_rng(0)
    report = {}
    for kind in ("rows", "sources"):
        # per rule: summed tp/fp/fn over categories; per category too; thin = under 30 positives in the whole slice
        tot = {r: np.zeros(3) for r in RULES}
        thin = {r: np.zeros(3) for r in RULES}
        per = {r: {} for r in RULES}
        spread = {r: {} for r in RULES}
        done = 0
        for _ in range(args.splits):
            a = halves(kind, sources, rng)
            for j, cid in enumerate(ids):
                known = y[:, j] >= 0
                fa, fb = known & a, known & ~a
                ya, yb = y[fa, j] == 1, y[fb, j] == 1
                if ya.sum() < args.min_positives or (~ya).sum() < args.min_positives or yb.sum() == 0:
                    continue
                for r, rule in RULES.items():
                    t = rule(ya, s[fa, j])
                    c = np.array(counts(yb, s[fb, j], t))
                    tot[r] += c
                    per[r].setdefault(cid, np.zeros(3))
                    per[r][cid] += c
                    spread[r].setdefault(cid, []).append(t)
                    if (y[known, j] == 1).sum() < 30:
                        thin[r] += c
            done += 1
        report[kind] = {}
        print(f"\nsplit by {kind} ({done} splits): summed over categories on the unseen half")
        print(f"{'rule':26} {'F1':>6} {'prec':>6} {'recall':>6} {'errors':>7}   {'thin F1':>7}  {'macro F1':>8}  {'threshold sd (thin)':>19}")
        for r in RULES:
            tp, fp, fn = tot[r]
            ttp, tfp, tfn = thin[r]
            macro = np.mean([f1(*c) for c in per[r].values()]) if per[r] else 0.0
            thin_ids = [c for c in spread[r] if (y[y[:, ids.index(c)] >= 0, ids.index(c)] == 1).sum() < 30]
            sd = float(np.mean([np.std(spread[r][c]) for c in thin_ids])) if thin_ids else 0.0
            row = {"f1": round(f1(tp, fp, fn), 4), "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
                   "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0, "thin_f1": round(f1(ttp, tfp, tfn), 4),
                   "errors_per_split": round(float(fp + fn) / max(done, 1), 1),  # false flags plus misses, the release rule's count
                   "macro_f1": round(float(macro), 4), "thin_threshold_sd": round(sd, 4),
                   "per_category_f1": {c: round(f1(*v), 4) for c, v in per[r].items()}}
            report[kind][r] = row
            print(f"{r:26} {row['f1']:6.4f} {row['precision']:6.4f} {row['recall']:6.4f} {row['errors_per_split']:7.1f}   "
                  f"{row['thin_f1']:7.4f}  {row['macro_f1']:8.4f}  {sd:19.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
