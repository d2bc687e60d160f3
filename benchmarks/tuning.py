"""Operating points: the shipped thresholds against thresholds `policywarden tune` fits.

    python benchmarks/tuning.py        # ~15 min on two cores

The project's calibration prompts (the training rows neither model was fitted on) play the
part of an operator's labelled traffic: each objective is tuned on them, exactly as the
command does (policywarden.tune), and measured on the held-out prompts, overall and per
source, and on the policy's own acceptance examples.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from common import ROOT, write

sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_prompts, encoder_meta_of  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402
from policywarden.tune import Objective, examples_from, tune, tuned_policy  # noqa: E402

OBJECTIVES = {
    "F1": Objective(),
    "F0.5": Objective(beta=0.5),
    "FPR <= 5%": Objective(max_fpr=0.05),
    "FPR <= 2%": Objective(max_fpr=0.02),
}
SOURCES = ("self_instruct_human_written", "oasst_eval_prompts", "mmlu_hendrycks_test", "awesome_chatgpt_prompts",
           "counsel_chat", "written:benign.lookalikes", "toxic_spans_civil_comments", "davidson_hate_offensive")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, help="only the first N prompts of each split (a quick check of the script)")
    args = ap.parse_args()
    warden = Warden(encoder_cache=0)
    ids = [c.id for c in warden.policy.categories]
    cal, held = calibration_prompts(ROOT / "training" / "out", warden.model.meta, encoder_meta_of(warden))
    if args.limit:
        cal, held = cal[: args.limit], held[: args.limit]
    print(f"tuning on {len(cal)} calibration prompts, measuring on {len(held)} held-out prompts", flush=True)
    cal_served = warden.scores([r.text for r in cal])
    held_served = warden.scores([r.text for r in held])
    accept = [(c.id, t, True) for c in warden.policy.categories for t in c.examples.flag]
    accept += [(c.id, t, False) for c in warden.policy.categories for t in c.examples.allow]
    accept_served = warden.scores([t for _, t, _ in accept])

    y_any = np.array([r.label("any") for r in held], dtype=object)
    judged = np.array([v is not None for v in y_any])
    truth = np.array([bool(v) for v in y_any])
    source = np.array([r.source for r in held])
    rows = {"shipped": {}}
    rows.update({name: tune(warden, examples_from(cal, ids), obj, served=cal_served)["thresholds"] for name, obj in OBJECTIVES.items()})
    results = {}
    for name, thresholds in rows.items():
        decider = warden.decider_for(tuned_policy(warden, thresholds))
        flagged = np.array([decider.decide(s, o, "input").flagged for s, o in zip(held_served[0], held_served[1])])
        per_source = {s: round(float(flagged[(source == s) & judged & ~truth].mean()), 4)
                      for s in SOURCES if ((source == s) & judged & ~truth).any()}
        acc = [decider.decide(s, o, "input") for s, o in zip(accept_served[0], accept_served[1])]
        must = [v.flagged for (_, _, f), v in zip(accept, acc) if f]
        look = [v.flagged for (_, _, f), v in zip(accept, acc) if not f]
        results[name] = {
            "thresholds_changed": len(thresholds),
            "heldout": binary_metrics(truth[judged], flagged[judged], 0.5),
            "benign_flagged_by_source": per_source,
            "policy_examples": {"recall_any": round(sum(must) / len(must), 4), "lookalikes_flagged": round(sum(look) / len(look), 4)},
            "thresholds": thresholds,
        }
    print(f"{'thresholds':12} {'moved':>5} {'P':>6} {'R':>6} {'F1':>6} {'FPR':>6}  {'policy recall':>13} {'look-alikes':>11}")
    for name, r in results.items():
        h, p = r["heldout"], r["policy_examples"]
        print(f"{name:12} {r['thresholds_changed']:>5} {h['precision']:>6.3f} {h['recall']:>6.3f} {h['f1']:>6.3f} {h['fpr']:>6.3f}"
              f"  {p['recall_any']:>13.3f} {p['lookalikes_flagged']:>11.3f}")
    print("\nbenign held-out prompts flagged, by source")
    print(f"{'source':32}" + "".join(f"{n:>11}" for n in results))
    for s in SOURCES:
        print(f"{s:32}" + "".join(f"{results[n]['benign_flagged_by_source'].get(s, float('nan')):>11.3f}" for n in results))
    if not args.limit:
        write("tuning", {"model": warden.model_version, "calibration_prompts": len(cal), "heldout_prompts": len(held), "objectives": results})


if __name__ == "__main__":
    main()
