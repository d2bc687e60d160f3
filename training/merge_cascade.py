"""Keep a shipped encoder's cascade calibration, but for the heads refit_heads.py refitted.

    python training/merge_cascade.py SHIPPED/model.json CALIBRATED/model.json [--out FILE]

CALIBRATED is a refitted encoder after the four calibration steps (calibrate_cascade.py
--rescore and the rest), which fit every head's threshold, the blend weight, the gate and the
short-window margin again. Those steps move thresholds the refit never touched (session 30: 15
of them, sexual violence 0.45 -> 0.82 among them), so a candidate measured that way mixes two
changes. The merged model.json has CALIBRATED's graph, Platt scaling and self-test, and
SHIPPED's cascade whole, with the cascade thresholds of the refitted heads (its
training.refit.heads) taken from CALIBRATED; SHIPPED's unattributed choice is voided, since it
was made against the old thresholds (run calibrate_unattributed.py on the merged model next).
Written over CALIBRATED unless --out is given.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path


def merge(shipped: dict, calibrated: dict) -> dict:
    heads = calibrated.get("training", {}).get("refit", {}).get("heads")
    if not heads:
        raise SystemExit("the calibrated model.json names no refitted heads (training.refit.heads): not a refit_heads.py encoder")
    if shipped["heads"] != calibrated["heads"]:
        raise SystemExit("the two encoders have different heads")
    if shipped["cascade"]["linear_sha256"] != calibrated["cascade"]["linear_sha256"]:
        raise SystemExit("the two cascades were calibrated against different n-gram models")
    out = copy.deepcopy(calibrated)
    out["cascade"] = copy.deepcopy(shipped["cascade"])
    whole = out["cascade"].get("served_refit", {}).get("whole_text")
    theirs = calibrated["cascade"].get("served_refit", {}).get("whole_text", {})
    for h in heads:
        out["cascade"]["thresholds"][h] = calibrated["cascade"]["thresholds"][h]
        if whole is not None:  # the refitted head's whole-text threshold, where the served refit moved it
            if h in theirs:
                whole[h] = theirs[h]
            else:
                whole.pop(h, None)
    out["cascade"]["kept_from"] = {"version": shipped["version"], "refitted_heads": heads}
    out["cascade"]["unattributed"] = None  # chosen against the old thresholds
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shipped")
    ap.add_argument("calibrated")
    ap.add_argument("--out")
    args = ap.parse_args()
    shipped, calibrated = (json.loads(Path(p).read_text()) for p in (args.shipped, args.calibrated))
    merged = merge(shipped, calibrated)
    for h in merged["cascade"]["kept_from"]["refitted_heads"]:
        print(f"{h:32s} {shipped['cascade']['thresholds'][h]} -> {merged['cascade']['thresholds'][h]}")
    Path(args.out or args.calibrated).write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
    print("run training/calibrate_unattributed.py --model DIR on the merged model next")


if __name__ == "__main__":
    main()
