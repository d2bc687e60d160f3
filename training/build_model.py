"""Build the shipped embedded model from ../shared/data and the hand-written examples.

    python training/build_model.py                 # dataset + train + write the model into the package
    python training/build_model.py --out /tmp/m    # somewhere else

Needs the `train` extra (scikit-learn). Deterministic for a given data snapshot and seed.
The policy's own examples are acceptance tests: any written text equal to one (after
normalisation) is dropped here so that no acceptance test is trained on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.policy import OPENAI_CATEGORIES, load_policy  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import TOLERANCE  # noqa: E402
from policywarden.training.records import read_jsonl, written_records  # noqa: E402
from policywarden.training.trainer import TrainConfig, train  # noqa: E402

MODEL_VERSION = "pw-ngram-2026.12.17"  # the next one built: .3 to .16 were candidates (.2 ships)


def heads_for(policy) -> list[str]:
    return [c.id for c in policy.categories] + [f"openai:{n}" for n in OPENAI_CATEGORIES] + ["any"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(default_model_dir()))
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--C", type=float, default=4.0)
    ap.add_argument("--tolerance", type=float, default=TOLERANCE,
                    help="each head's threshold is the middle of those within this many positives' worth of F1 of the best "
                         "(0: the exact best, as pw-ngram-2026.12.2 was built)")
    ap.add_argument("--written-calibration-share", type=float, metavar="F",
                    help="hold back F of each written file's training rows for calibration instead of 0.12, so that "
                         "thin categories' thresholds (here and the encoder's, which shares the split) rest on more "
                         "than a handful of positives (recorded in model.json)")
    ap.add_argument("--skip-dataset", action="store_true", help="reuse WORK/dataset.jsonl")
    args = ap.parse_args()
    base_share = TrainConfig().calibration_fraction
    if args.written_calibration_share is not None and not base_share <= args.written_calibration_share < 1:
        ap.error(f"--written-calibration-share must be at least {base_share} (the share every source gives) and below 1")

    work = Path(args.work)
    if not args.skip_dataset:
        subprocess.run(
            [sys.executable, str(ROOT / "training" / "build_dataset.py"), "--data", args.data, "--out", str(work)], check=True
        )
    policy = load_policy()
    heads = heads_for(policy)
    acceptance = {normalize(t) for c in policy.categories for t in (*c.examples.flag, *c.examples.allow)}
    records = list(read_jsonl(work / "dataset.jsonl"))
    written = list(written_records(ROOT / "training" / "written"))
    dropped = [r for r in [*records, *written] if normalize(r.text) in acceptance]
    records = [r for r in [*records, *written] if normalize(r.text) not in acceptance]
    print(f"{len(records)} records ({len(written)} written); dropped {len(dropped)} equal to policy examples", flush=True)

    shares = {}
    if args.written_calibration_share is not None:
        shares = {r.source: args.written_calibration_share for r in written if r.split == "train"}
    config = TrainConfig(C=args.C, seed=args.seed, version=MODEL_VERSION, tolerance=args.tolerance, calibration_shares=shares)
    t0 = time.time()
    report = train(records, heads, args.out, config)
    report["dropped_as_acceptance_tests"] = len(dropped)
    (work / "train_report.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    size = sum(f.stat().st_size for f in Path(args.out).iterdir() if f.is_file())
    print(f"trained {len(report['model']['heads'])} heads in {time.time() - t0:.0f}s; model files {size / 1e6:.1f} MB in {args.out}")
    print(f"skipped heads: {report['model']['training']['skipped_heads']}")
    print(f"report: {work / 'train_report.json'}")


if __name__ == "__main__":
    main()
