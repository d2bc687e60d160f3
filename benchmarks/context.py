"""Answers judged alone and with the prompt they reply to, on held-out prompt and answer pairs.

    python benchmarks/context.py [--data ../shared/data] [--model DIR --json FILE]

Pairs come from training/pairs.py, held-out halves only: answers that carry out a violating
request (GPTFuzz evaluate, JailbreakBench by goal), refusals of one, ordinary answers to
ordinary requests, and DiaSafety's test half of answers that endorse a toxic remark or do not.
For each source and kind it reports the share of answers flagged alone, flagged in context,
and the share of prompts flagged, with F1 for "the answer violates" (complied vs refused or
ordinary) both ways.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

import numpy as np

from common import ROOT, candidate_options, emit, recall_by_item

sys.path.insert(0, str(ROOT / "training"))

from pairs import load_pairs  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402


def f1(pred: list[bool], truth: list[bool]) -> dict:
    return binary_metrics(np.array(truth), np.array(pred), 0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    candidate_options(ap)
    args = ap.parse_args()
    pairs = [p for p in load_pairs(args.data) if p["split"] == "heldout"]
    warden = Warden(model_dir=args.model, encoder_gate=args.gate)
    if warden.compliance is None:
        sys.exit("the model has no compliance model (model/context/): build it with training/build_context.py")
    answers, prompts = [p["answer"] for p in pairs], [p["prompt"] for p in pairs]
    alone = [v.flagged for v in warden.moderate(answers, "output")]
    ctx = [v.flagged for v in warden.moderate(answers, "output", context=prompts)]
    asked = [v.flagged for v in warden.moderate(prompts, "input")]

    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[f"{p['source']} / {p['kind']}"].append(i)
    rows = {}
    print(f"{'held-out pairs':46} {'n':>5} {'prompt':>7} {'alone':>7} {'context':>8}")
    for name in sorted(groups):
        idx = groups[name]
        rate = lambda flags: round(sum(flags[i] for i in idx) / len(idx), 4)  # noqa: E731
        rows[name] = {"n": len(idx), "prompt_flagged": rate(asked), "answer_flagged_alone": rate(alone), "answer_flagged_in_context": rate(ctx)}
        r = rows[name]
        print(f"{name:46} {len(idx):5d} {r['prompt_flagged']:7.1%} {r['answer_flagged_alone']:7.1%} {r['answer_flagged_in_context']:8.1%}")

    scored = [i for i, p in enumerate(pairs) if p["kind"] in ("complied", "refused", "benign")]
    truth = [pairs[i]["kind"] == "complied" for i in scored]
    agree = [i for i, p in enumerate(pairs) if p["kind"] in ("agreed", "disagreed")]
    agree_truth = [pairs[i]["kind"] == "agreed" for i in agree]
    summary = {
        "violating answers (complied vs refused or ordinary)": {
            "alone": f1([alone[i] for i in scored], truth),
            "in_context": f1([ctx[i] for i in scored], truth),
        },
        "DiaSafety toxicity agreement (agreed vs not)": {
            "alone": f1([alone[i] for i in agree], agree_truth),
            "in_context": f1([ctx[i] for i in agree], agree_truth),
        },
    }
    # The violating answers reply to few distinct prompts (28 held-out), and an answer that
    # complies takes its prompt's score: one prompt's verdict moves dozens of answers. Recall
    # per prompt (the mean over prompts of the share of their violating answers flagged) shows
    # how much of a change is one prompt.
    by_prompt: dict[str, list[int]] = defaultdict(list)
    for i in scored:
        if pairs[i]["kind"] == "complied":
            by_prompt[pairs[i]["prompt"]].append(i)

    def per_prompt(flags) -> float:
        return recall_by_item({p: [flags[i] for i in idx] for p, idx in by_prompt.items()})

    prompts_summary = {"distinct": len(by_prompt), "answers": sum(map(len, by_prompt.values())),
                       "recall_by_prompt_alone": per_prompt(alone), "recall_by_prompt_in_context": per_prompt(ctx),
                       "prompts_flagged": sum(asked[idx[0]] for idx in by_prompt.values())}
    print(f"violating answers reply to {prompts_summary['distinct']} distinct prompts ({prompts_summary['prompts_flagged']} "
          f"flagged); recall by prompt: alone {prompts_summary['recall_by_prompt_alone']:.3f}, in context "
          f"{prompts_summary['recall_by_prompt_in_context']:.3f}")
    for name, both in summary.items():
        a, c = both["alone"], both["in_context"]
        print(f"{name}: alone P {a['precision']:.3f} R {a['recall']:.3f} F1 {a['f1']:.3f}; "
              f"in context P {c['precision']:.3f} R {c['recall']:.3f} F1 {c['f1']:.3f}")
    meta = warden.compliance.model.meta
    emit("context", {"model": warden.model_version, "compliance": meta["version"],
                     "support": warden.compliance.support, "words": warden.compliance.words,
                     "summary": summary, "violating_prompts": prompts_summary, "groups": rows}, args)


if __name__ == "__main__":
    main()
