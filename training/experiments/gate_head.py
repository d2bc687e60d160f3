"""A learned gate: an n-gram head that predicts whether the cascade would come near flagging a text,
read on top of the shipped gate, against the shipped gate alone.

    .venv-train/bin/python training/experiments/gate_head.py [--train 20000] [--margin 0.8]

The shipped gate sends the encoder every text on which some n-gram head reaches half its
threshold; the cascade then flags a small part of them (12% of the speed benchmark's word
salad, 3% of the written benign texts, against 77% and 45% sent). Here a logistic head on the
n-gram model's own features is fitted, on train rows the shipped gate sends on, to "the cascade's
score reaches `margin` times some head's threshold"; a text is then sent on when the shipped gate
sends it and the new head reaches its cut, or when the n-gram model itself flags it. The cut is
the lowest that clears no more than calibrate_cascade's loss budget of the calibration
positives the cascade catches. Held-out rows are measured only.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_encoder import label_matrix  # noqa: E402
from calibrate_cascade import MAX_RECALL_LOSS, with_assumed_negatives  # noqa: E402
from shipped_cascade import cached_logits, shipped, splits  # noqa: E402
from speed import benign_written, messages  # noqa: E402

from policywarden.classify.features import transform  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--margin", type=float, default=0.8)
    ap.add_argument("--C", type=float, default=4.0)
    ap.add_argument("--base", type=float, help="the n-gram gate under the learned one (default: the shipped gate)")
    args = ap.parse_args()
    work = Path(args.work)
    c = shipped()
    warden, casc, linear, enc, heads, cols, th = c.warden, c.casc, c.linear, c.enc, c.heads, c.cols, c.th
    base_gate = args.base if args.base is not None else casc.gate

    def enc_logits(name: str, norm: list[str]) -> np.ndarray:
        return cached_logits(c, work, name, norm)

    def csr(norm: list[str]):
        import scipy.sparse as sp

        indptr, indices, data = transform(norm, linear.spec, linear.idf)
        return sp.csr_matrix((data, indices, indptr), shape=(len(norm), 1 << linear.spec.bits))

    fit_rows, cal, held = splits(work, linear)
    fit_norm = [normalize(r.text) for r in fit_rows]
    fit_norm = [t for t, r in zip(fit_norm, (linear.score(fit_norm) / casc._lin_th).max(axis=1)) if r >= base_gate]
    fit_norm = random.Random(0).sample(fit_norm, min(args.train, len(fit_norm)))
    lin_f = linear.score(fit_norm)
    blend_f = casc.weight * enc.calibrated(enc_logits("fit", fit_norm)) + (1 - casc.weight) * lin_f[:, cols]
    target = (blend_f / th).max(axis=1) >= args.margin
    print(f"fit: {len(fit_norm)} train rows the n-gram gate sends on; {target.mean():.3f} reach {args.margin} of a threshold", flush=True)

    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=args.C, max_iter=2000, solver="liblinear")
    clf.fit(csr(fit_norm), target)

    data = {}
    for name, recs in (("cal", cal), ("heldout", held)):
        norm = [normalize(r.text) for r in recs]
        lin = linear.score(norm)
        blended = casc.weight * enc.calibrated(enc_logits(name, norm)) + (1 - casc.weight) * lin[:, cols]
        y = with_assumed_negatives(label_matrix(recs, heads), recs, heads)
        ratio = (lin / casc._lin_th).max(axis=1)
        data[name] = dict(lin=lin, blended=blended, y=y, recs=recs, ratio=ratio,
                          gate=clf.predict_proba(csr(norm))[:, 1])

    d = data["cal"]
    caught = ((d["blended"] >= th) & (d["y"] == 1)).any(axis=1)
    base = d["ratio"] >= base_gate
    budget = int(MAX_RECALL_LOSS * caught.sum()) - int((caught & ~base).sum())  # what the n-gram gate leaves
    cut = 0.0
    for c in np.arange(0.0, 0.9, 0.005):
        sent = base & ((d["gate"] >= c) | (d["ratio"] >= 1.0))
        if (caught & base & ~sent).sum() <= budget:
            cut = float(c)
    print(f"n-gram gate {base_gate}, learned cut {cut:.3f} (budget left by the n-gram gate: {budget})")

    policy = [i for i, h in enumerate(heads) if not h.startswith("openai:") and h != "any"]
    for name in ("cal", "heldout"):
        d = data[name]
        caught = ((d["blended"] >= th) & (d["y"] == 1)).any(axis=1)
        benign = ~(d["y"] == 1).any(axis=1)
        as_shipped = d["ratio"] >= casc.gate
        new = (d["ratio"] >= base_gate) & ((d["gate"] >= cut) | (d["ratio"] >= 1.0))
        y_any = label_matrix(d["recs"], ["any"])[:, 0]
        known = y_any >= 0
        for label, esc in (("shipped", as_shipped), ("learned", new)):
            served = np.where(esc[:, None], d["blended"], np.minimum(d["lin"][:, cols], th * 0.999))
            flagged = (served[:, policy] >= th[policy]).any(axis=1)
            v = binary_metrics((y_any[known] == 1).astype(int), flagged[known].astype(float), 0.5)
            print(f"{name:8} {label:8} sent {esc.mean():.3f} (benign {esc[benign].mean():.3f}); caught rows cleared "
                  f"{int((caught & ~esc).sum())}/{int(caught.sum())}; whole-text verdict F1 {v['f1']:.4f} "
                  f"recall {v['recall']:.4f} FPR {v['fpr']:.4f}")
    for name, texts in (("speed messages", messages(4000, 1)), ("benign written", benign_written())):
        units = [u for m in texts for u in warden.units(m)]
        lin = linear.score(units)
        ratio = (lin / casc._lin_th).max(axis=1)
        new = (ratio >= base_gate) & ((clf.predict_proba(csr(units))[:, 1] >= cut) | (ratio >= 1.0))
        print(f"{name}: sent {(ratio >= casc.gate).mean():.3f} -> {new.mean():.3f}")


if __name__ == "__main__":
    main()
