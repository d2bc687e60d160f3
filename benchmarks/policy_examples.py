"""Accuracy on the policy's own acceptance examples, per category.

    python benchmarks/policy_examples.py
    python benchmarks/policy_examples.py --model DIR --json out.json   # a candidate model directory

For each category: of its `flag` examples, how many are flagged under that category
(recall) and under any category; of its `allow` look-alikes, how many are flagged under any
category (false positives). These examples are never trained on.
"""

from __future__ import annotations

import argparse

from common import candidate_options, emit, row_flags

from policywarden import Warden


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    candidate_options(ap)
    args = ap.parse_args()
    warden = Warden(model_dir=args.model, encoder_gate=args.gate)
    rows, tot = {}, {"flag": 0, "hit_own": 0, "hit_any": 0, "allow": 0, "false_pos": 0}
    # Every example in policy order with its verdict, for a paired comparison (release.py).
    seen: dict[str, tuple[list[str], list[bool]]] = {"flag": ([], []), "allow": ([], [])}
    for cat in warden.policy.categories:
        flagged = warden.moderate(cat.examples.flag)
        allowed = warden.moderate(cat.examples.allow)
        for kind, texts, verdicts in (("flag", cat.examples.flag, flagged), ("allow", cat.examples.allow, allowed)):
            seen[kind][0].extend(texts)
            seen[kind][1].extend(v.flagged for v in verdicts)
        own = sum(any(h.id == cat.id for h in v.hits) for v in flagged)
        anyhit = sum(v.flagged for v in flagged)
        fps = [v for v in allowed if v.flagged]
        rows[cat.id] = {
            "flag_examples": len(flagged),
            "recall_own": round(own / len(flagged), 3),
            "recall_any": round(anyhit / len(flagged), 3),
            "allow_examples": len(allowed),
            "false_positive_rate": round(len(fps) / len(allowed), 3),
            "false_positive_categories": sorted({h.id for v in fps for h in v.hits}),
            "source": flagged[0].categories[[c.id for c in flagged[0].categories].index(cat.id)].source,
        }
        tot["flag"] += len(flagged)
        tot["hit_own"] += own
        tot["hit_any"] += anyhit
        tot["allow"] += len(allowed)
        tot["false_pos"] += len(fps)
    summary = {
        "recall_own": round(tot["hit_own"] / tot["flag"], 3),
        "recall_any": round(tot["hit_any"] / tot["flag"], 3),
        "false_positive_rate": round(tot["false_pos"] / tot["allow"], 3),
        **tot,
        "rows": {kind: row_flags(*pair) for kind, pair in seen.items()},
    }
    print(f"{'category':46} {'recall(own)':>11} {'recall(any)':>11} {'FP rate':>8}  scorer")
    for cid, r in rows.items():
        print(f"{cid:46} {r['recall_own']:>11.2f} {r['recall_any']:>11.2f} {r['false_positive_rate']:>8.2f}  {r['source']}")
    print(f"{'ALL':46} {summary['recall_own']:>11.2f} {summary['recall_any']:>11.2f} {summary['false_positive_rate']:>8.2f}")
    emit("policy_examples", {"model": warden.model_version, "policy": warden.policy.ref, "summary": summary, "categories": rows}, args)


if __name__ == "__main__":
    main()
