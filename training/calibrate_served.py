"""Refit the shipped model's policy-category thresholds on calibration prompts scored as served.

    python training/calibrate_served.py [--model DIR]   # after calibrate_cascade.py; ~7 min

calibrate_cascade.py fits each head's threshold on whole texts, but the Warden serves the
maximum over a text's windows and sentences: a long benign text has many chances to cross a
line fitted on whole texts. This step scores the calibration prompts (the training rows
neither model was fitted on) exactly as served and refits each policy category's threshold
for F1 with `policywarden.tune` (the same code as `policywarden tune`; a category needs 10
calibration positives, and keeps its threshold where that is within two positives' worth of
F1 of the best, `metrics.near_best_threshold`: on 12 positives a refit for +0.04 was noise,
and cost sexual violence most of its held-out recall). OpenAI
categories and `any` keep calibrate_cascade's thresholds. Writes the encoder's model.json
("cascade" → "thresholds", with the old and new values under "served_refit") and voids the
unattributed choice: run calibrate_unattributed.py next. The held-out split is not read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_prompts, model_parser  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.classify.cascade import CascadeScorer  # noqa: E402
from policywarden.training.metrics import TOLERANCE  # noqa: E402
from policywarden.tune import Objective, examples_from, tune  # noqa: E402

MIN_POSITIVES = 10


def main() -> None:
    ap = model_parser(__doc__)
    ap.add_argument("--tolerance", type=float, default=TOLERANCE, help="see calibrate_cascade.py --tolerance")
    ap.add_argument("--errors", type=int, nargs="?", const=0, metavar="MIN_POSITIVES", help="see calibrate_cascade.py --errors")
    args = ap.parse_args()
    warden = Warden(model_dir=args.model, encoder_cache=0)
    if not isinstance(warden.scorer, CascadeScorer):
        raise SystemExit(f"{args.model} has no encoder: nothing to refit")
    # Text the first stage clears scores 0 here, not just under the old threshold: at run time
    # it is capped just under whatever threshold is in force, so it never flags at any of them.
    warden.scorer._cleared_cap[:] = 0.0
    cal, _ = calibration_prompts(Path(args.work), warden.model.meta)
    ids = [c.id for c in warden.policy.categories if c.id in warden.scorer.encoder.heads]
    print(f"scoring {len(cal)} calibration prompts as served", flush=True)
    result = tune(warden, examples_from(cal, ids), Objective(errors_from=args.errors), "input", MIN_POSITIVES, tolerance=args.tolerance)

    before, after = result["overall"]["fit"]["before"], result["overall"]["fit"]["after"]
    for cid, e in result["categories"].items():
        if "tuned" in e:
            b, a = e["fit"]["before"], e["fit"]["after"]
            print(f"  {cid:45} {e['threshold']:.3f} -> {e['tuned']:.3f}  F1 {b['f1']:.3f} -> {a['f1']:.3f}  ({e['positives']} positives)")
    print(f"verdict on the calibration prompts: F1 {before['f1']:.3f} -> {after['f1']:.3f}, recall {before['recall']:.3f} -> "
          f"{after['recall']:.3f}, FPR {before['fpr']:.3f} -> {after['fpr']:.3f}")

    path = Path(args.model) / "encoder" / "model.json"
    meta = json.loads(path.read_text())
    cascade = meta["cascade"]
    old = dict(cascade.get("served_refit", {}).get("whole_text", {}))
    for cid, t in result["thresholds"].items():
        old.setdefault(cid, cascade["thresholds"][cid])
        cascade["thresholds"][cid] = t
    cascade["served_refit"] = {
        "whole_text": old,  # calibrate_cascade's thresholds for the categories refitted
        "calibration_prompts": len(cal),
        "min_positives": MIN_POSITIVES,
        "tolerance": args.tolerance,  # positives' worth of F1 (texts, with --errors) within which a threshold counts as the best
        "objective": "f1" if args.errors is None else f"errors for categories with {args.errors}+ positives, else f1",
        "verdict_before": before,
        "verdict_after": after,
    }
    cascade["unattributed"] = None  # chosen against the old thresholds: calibrate_unattributed.py again
    path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}: {len(result['thresholds'])} thresholds refitted; run training/calibrate_unattributed.py next")


if __name__ == "__main__":
    main()
