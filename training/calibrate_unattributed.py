"""Choose when a prompt the violation head (`any`) is sure of, though no category reaches its
own threshold, is flagged under the category it fits best (decide.Decider's `unattributed`).

    python training/calibrate_unattributed.py      # after training/calibrate_cascade.py

Measured the way the Warden serves: every prompt scored in its windows and sentences (the max
over them), on the calibration rows neither model was trained on. Whole-text scores, as in
calibrate_cascade.py, understate how often a benign text's one odd sentence crosses the line.
Writes the choice into the encoder's model.json ("cascade" → "unattributed", null for never).
The held-out split is only measured, never used to choose.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_prompts, encoder_meta_of, model_parser  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.decide import Decider  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402

MULTIPLES = (1.0, 1.2, 1.4, 1.6, 2.0)
MAX_FPR_RISE = 0.005  # at most this much more of the benign calibration prompts flagged
MAX_SOURCE_RISE = 0.01  # nor, in any source with MIN_SOURCE_BENIGN benign prompts, more than this
MIN_SOURCE_BENIGN = 100
MIN_F1_GAIN = 0.005  # below this the gain is noise, and every flag it adds is a cost


def verdict_row(records, scores, sources, decider: Decider) -> dict:
    """Verdict metrics over records with a known `any` label, and each source's false-positive
    rate where it has MIN_SOURCE_BENIGN benign records."""
    y = np.array([r.label("any") for r in records], dtype=object)
    known = np.array([v is not None for v in y])
    truth = np.array([bool(v) for v in y])[known]
    origin = np.array([r.source for r in records])[known]
    groups = [s for s in sorted(set(origin)) if ((origin == s) & ~truth).sum() >= MIN_SOURCE_BENIGN]
    pred = np.array([decider.decide(s, o, "input").flagged for s, o in zip(scores, sources)])[known]
    return {
        **binary_metrics(truth, pred, 0.5),
        "fpr_by_source": {g: round(float(pred[(origin == g) & ~truth].mean()), 4) for g in groups},
        "benign_by_source": {g: int(((origin == g) & ~truth).sum()) for g in groups},
    }


def verdict_table(warden: Warden, records) -> dict[str, dict]:
    scores, sources, _ = warden.scores([r.text for r in records])
    return {str(k) if k else "none": verdict_row(records, scores, sources, Decider(warden.policy, warden.thresholds, k))
            for k in (None, *MULTIPLES)}


def worst_source_rise(table: dict, key: str) -> float:
    base = table["none"]["fpr_by_source"]
    return max((table[key]["fpr_by_source"][g] - base[g] for g in base), default=0.0)


def sources_within(table: dict, key: str, slack_texts: int = 0) -> bool:
    """Whether no source's false-positive rate rose by more than MAX_SOURCE_RISE against "none",
    a rise of at most `slack_texts` more benign prompts flagged excepted. On a source of 161
    benign prompts 1% is under two texts: candidate AA's fine margin went 1.2 -> 1.4 for two
    role-play prompts (awesome_chatgpt_prompts +1.24%), and lost violations buried in benign words
    0.857 -> 0.820. Tables without benign counts (written before them) get no slack."""
    base, row = table["none"], table[key]
    counts = row.get("benign_by_source", {})
    for g, before in base["fpr_by_source"].items():
        up = row["fpr_by_source"][g] - before
        if up > MAX_SOURCE_RISE and not (g in counts and round(up * counts[g]) <= slack_texts):
            return False
    return True


def main() -> None:
    ap = model_parser(__doc__)
    args = ap.parse_args()
    warden = Warden(model_dir=args.model, encoder_cache=0)
    cal, held = calibration_prompts(Path(args.work), warden.model.meta, encoder_meta_of(warden))

    cal_table = verdict_table(warden, cal)
    base = cal_table["none"]
    # Everyday prompts must not pay for it: a rise confined to one kind of text (instructions,
    # say) hides in the overall rate when most benign calibration rows are tweets.
    allowed = [k for k in MULTIPLES if cal_table[str(k)]["fpr"] - base["fpr"] <= MAX_FPR_RISE
               and worst_source_rise(cal_table, str(k)) <= MAX_SOURCE_RISE]
    choice = max(allowed, key=lambda k: (cal_table[str(k)]["f1"], k)) if allowed else None
    if choice is not None and cal_table[str(choice)]["f1"] < base["f1"] + MIN_F1_GAIN:
        choice = None
    held_table = verdict_table(warden, held)
    print(f"{'multiple':>9}  {'calibration F1 / recall / FPR / worst source rise':>48}  {'held-out F1 / recall / FPR / worst source rise':>46}")
    for key in cal_table:
        c, h = cal_table[key], held_table[key]
        print(f"{key:>9}  {c['f1']:.3f} / {c['recall']:.3f} / {c['fpr']:.3f} / {worst_source_rise(cal_table, key):.3f}{'':14}"
              f"  {h['f1']:.3f} / {h['recall']:.3f} / {h['fpr']:.3f} / {worst_source_rise(held_table, key):.3f}")
    print(f"chosen: {choice} (the best calibration F1 raising the false-positive rate by at most {MAX_FPR_RISE:.1%} "
          f"overall and {MAX_SOURCE_RISE:.0%} in any source with {MIN_SOURCE_BENIGN}+ benign prompts, "
          f"if it gains at least {MIN_F1_GAIN} of F1)")

    path = Path(args.model) / "encoder" / "model.json"
    meta = json.loads(path.read_text())
    meta["cascade"]["unattributed"] = choice
    meta["cascade"]["unattributed_calibration"] = {"prompts": cal_table, "max_fpr_rise": MAX_FPR_RISE,
                                                   "max_source_rise": MAX_SOURCE_RISE, "min_f1_gain": MIN_F1_GAIN}
    meta["cascade"]["unattributed_heldout"] = held_table
    path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
