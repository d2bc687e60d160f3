"""N-gram models scored alone on the policy's examples, each at its own thresholds.

    python training/experiments/ngram_alone.py DIR [DIR ...] [--json out.json]   # ~20 s a model

A retrained n-gram model is judged beside an encoder, whose recalibration moves every
threshold; this takes the encoder out. For the shipped n-gram model (read with the encoder
off) and each model directory given (`build_model.py --out DIR`, no encoder in it), it prints
how many of each category's `flag` examples the model flags under that category, their median
score as a multiple of its threshold, and the threshold; then the examples flagged under any
category and the `allow` examples (look-alikes) flagged. Session 37 measured with it what
holding back 0.3 of every written file for calibration costs (candidate N's recipe).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from policywarden import Warden  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", metavar="DIR", help="n-gram model directories (model.json, weights.npz)")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args()
    wardens = {"shipped": Warden(encoder=False)}
    for d in args.models:
        if (Path(d) / "encoder").is_dir():
            raise SystemExit(f"{d} holds an encoder: give an n-gram model's directory (build_model.py --out)")
        wardens[d] = Warden(model_dir=d, encoder=False)
    cats = [c for c in wardens["shipped"].policy.categories if c.examples.flag]
    figures: dict[str, dict] = {name: {"version": w.model_version, "categories": {}} for name, w in wardens.items()}
    print(f"{'category':40}" + "".join(f"{Path(n).name:>20}" for n in wardens))
    for c in cats:
        cells = []
        for name, w in wardens.items():
            threshold = w.thresholds.get(c.id)
            if threshold is None:
                cells.append("-")
                continue
            ratios = sorted(s.get(c.id, 0.0) / threshold for s in w.scores(c.examples.flag)[0])
            caught = sum(r >= 1.0 for r in ratios)
            median = ratios[len(ratios) // 2]
            figures[name]["categories"][c.id] = {"caught": caught, "examples": len(ratios), "median_ratio": round(median, 3),
                                                 "threshold": threshold}
            cells.append(f"{caught}/{len(ratios)} {median:4.2f} {threshold:4.2f}")
        print(f"{c.id:40}" + "".join(f"{x:>20}" for x in cells))
    flag = [t for c in cats for t in c.examples.flag]
    allow = [t for c in wardens["shipped"].policy.categories for t in c.examples.allow]
    for name, w in wardens.items():
        f = figures[name]
        f["caught_own"] = sum(v["caught"] for v in f["categories"].values())
        f["flagged_any"] = sum(v.flagged for v in w.moderate(flag))
        f["allow_flagged"] = sum(v.flagged for v in w.moderate(allow))
        print(f"{name}: {f['caught_own']} caught under their own category, {f['flagged_any']} of {len(flag)} flagged under any, "
              f"{f['allow_flagged']} of {len(allow)} look-alikes flagged")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
