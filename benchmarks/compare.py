"""Is a candidate better or worse than the baseline on the held-out data, beyond chance?

    python benchmarks/heldout.py --verdicts base.npz                                   # the shipped model
    python benchmarks/heldout.py --model DIR --json cand.json --verdicts cand.npz      # a candidate
    python benchmarks/compare.py base.npz cand.npz [--json diff.json]

Both files must hold the same records in the same order (checked by the digests of their texts).
For all records, the public sources and the written examples apart: each model's verdict F1,
the difference, and its 95% interval from a paired bootstrap (the same resampled records for
both models, 2,000 resamples, fixed seed); and the verdicts that changed, with an exact
two-sided sign test on them (McNemar). A difference whose interval spans zero is within what
one more training run with another seed or data order could undo. The row "openai" compares
the flag `/v1/moderations` returns (a policy hit or any OpenAI category) against OpenAI's
taxonomy, on the records whose OpenAI labels say (benchmarks/heldout.py `openai_truth`).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np


def f1(label: np.ndarray, flagged: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """F1 of the verdicts under each row of resampling counts (weight: resamples × records)."""
    tp = weight @ (label & flagged)
    fp = weight @ (~label & flagged)
    fn = weight @ (label & ~flagged)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)


def sign_test(better: int, worse: int) -> float:
    """Exact two-sided binomial p-value of `better` against `worse` under p = 1/2."""
    n = better + worse
    if n == 0:
        return 1.0
    k = min(better, worse)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare(base: dict, cand: dict, mask: np.ndarray, resamples: int, seed: int, field: str = "") -> dict:
    """`field` "openai_": the `/v1/moderations` flag against OpenAI's taxonomy instead of the verdict."""
    label = base[f"{field}label"][mask] == 1
    b, c = base[f"{field}flagged"][mask].astype(bool), cand[f"{field}flagged"][mask].astype(bool)
    n = len(label)
    rng = np.random.default_rng(seed)
    ones = np.ones((1, n))
    fb, fc = f1(label, b, ones)[0], f1(label, c, ones)[0]
    diff = []
    for start in range(0, resamples, 250):  # 250 resamples at a time keeps the count matrix small
        weight = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(min(250, resamples - start))])
        diff.append(f1(label, c, weight) - f1(label, b, weight))
    diff = np.concatenate(diff)
    lo, hi = np.percentile(diff, [2.5, 97.5])
    better = int(((c == label) & (b != label)).sum())
    worse = int(((c != label) & (b == label)).sum())
    return {"records": n, "f1_base": round(float(fb), 4), "f1_candidate": round(float(fc), 4),
            "difference": round(float(fc - fb), 4), "interval_95": [round(float(lo), 4), round(float(hi), 4)],
            "verdicts_fixed": better, "verdicts_broken": worse, "sign_test_p": round(sign_test(better, worse), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base")
    ap.add_argument("candidate")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    base, cand = (dict(np.load(p)) for p in (args.base, args.candidate))
    if len(base["digest"]) != len(cand["digest"]) or (base["digest"] != cand["digest"]).any():
        raise SystemExit("the two files hold different records: measure both on the same training/out and training/written")
    known = base["label"] >= 0
    written = np.char.startswith(base["group"].astype(str), "written:")
    parts = {"all": known, "public": known & ~written, "written": known & written}
    report = {"base": str(base["model"]), "candidate": str(cand["model"]),
              **{name: compare(base, cand, m, args.resamples, args.seed) for name, m in parts.items()}}
    if "openai_label" in base and "openai_label" in cand:  # files written before it lack the row
        parts["openai"] = base["openai_label"] >= 0
        report["openai"] = compare(base, cand, parts["openai"], args.resamples, args.seed, "openai_")
    print(f"{report['base']} -> {report['candidate']}")
    print(f"{'records':10} {'n':>6} {'base F1':>8} {'cand F1':>8} {'diff':>8} {'95% interval':>18} {'fixed':>6} {'broken':>6} {'p':>7}")
    for name in parts:
        r = report[name]
        lo, hi = r["interval_95"]
        print(f"{name:10} {r['records']:>6} {r['f1_base']:>8.4f} {r['f1_candidate']:>8.4f} {r['difference']:>+8.4f} "
              f"{f'[{lo:+.4f}, {hi:+.4f}]':>18} {r['verdicts_fixed']:>6} {r['verdicts_broken']:>6} {r['sign_test_p']:>7.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
