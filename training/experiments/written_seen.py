"""How much better a model does on written examples it was fitted on than on those it was not.

    python training/experiments/written_seen.py [--model DIR] [--share 0.3]   # ~30 s on two cores

A larger calibration share for the written files (`build_model.py --written-calibration-share`)
moves rows the shipped pair was fitted on into calibration. The floors and ceilings of
`calibrate_cascade.py` and `calibrate_served.py` hold a new pair to the reference pair's rates
on those rows, so a reference that has seen them sets floors too high. This scores, with the
reference as served, the training rows of written files the n-gram model read (the user turns)
in two hash bands of the shared calibration salt: below 0.12 (held back from both models when
they were built) and from 0.12 to --share (fitted on), and prints what it flags in each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_split, load_records  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.training.trainer import TrainConfig  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--model", default=str(default_model_dir()))
    ap.add_argument("--share", type=float, default=0.3, help="the larger share whose extra rows are compared")
    args = ap.parse_args()
    linear = json.loads((Path(args.model) / "model.json").read_text())
    base = TrainConfig().calibration_fraction
    read = {s for s in linear["training"]["sources"] if s.startswith("written:")}
    records, _ = load_records(Path(args.work))
    rows = [r for r in records if r.split == "train" and r.role == "user" and r.source in read]
    # The split every calibration step uses, at the model's own shares and at --share.
    _, held, _ = calibration_split(rows, linear)
    _, wider, _ = calibration_split(rows, linear, {"training": {"calibration_shares": {s: args.share for s in read}}})
    held_ids = {id(r) for r in held}
    bands = {f"held back (< {base})": held,
             f"fitted on ({base} to {args.share})": [r for r in wider if id(r) not in held_ids]}
    warden = Warden(model_dir=args.model, encoder_cache=0)
    print(f"{warden.model_version}: written training rows by calibration band")
    for name, rows in bands.items():
        verdicts = warden.moderate([r.text for r in rows])
        pos = [(r, v) for r, v in zip(rows, verdicts) if r.label("any") == 1]
        neg = [v for r, v in zip(rows, verdicts) if r.label("any") == 0]
        own = sum(any(r.label(h.id) == 1 for h in v.hits) for r, v in pos)
        print(f"  {name:24} {len(pos):4} positives: flagged {sum(v.flagged for _, v in pos) / max(1, len(pos)):.3f}, "
              f"under their own category {own / max(1, len(pos)):.3f}; {len(neg):4} benign: flagged "
              f"{sum(v.flagged for v in neg) / max(1, len(neg)):.3f}")


if __name__ == "__main__":
    main()
