"""Build the compliance model that lets an answer be judged with its prompt (model/context/).

    python training/build_context.py                 # train and write into the package
    python training/build_context.py --out /tmp/ctx  # somewhere else

1. Prompt and answer pairs come from ../shared/data (training/pairs.py): answers that carry out
   a violating request (GPTFuzz, JailbreakBench), refusals of one, and ordinary answers to
   ordinary requests (MedQuAD, counsel_chat, GPTeacher, GSM8K). Written answers
   (training/written/answers/) add what the public sets lack: refusals that offer a safe
   alternative or stay in a role-play persona, compliance after a disclaimer, and ordinary
   answers with refusal-like words ("I'm sorry to hear ...").
2. A one-head n-gram model learns "complies" (carried out or ordinary answer) against "refused"
   from the opening words of each training answer; its threshold is fitted on the trainer's own
   calibration rows.
3. The support (how much of a head's threshold the answer must reach by itself before it takes
   the prompt's score, see policywarden.context) is chosen by F1 on training pairs, judged by
   the shipped Warden (or --model's, for a candidate): violating = complied.

Held-out pairs are measured by benchmarks/context.py, never here. Needs the `train` extra.
Deterministic for a given data snapshot and seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from pairs import load_pairs  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.classify.compliance import HEAD, ComplianceModel, opening  # noqa: E402
from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.context import in_context  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402
from policywarden.training.records import Record, hash_split  # noqa: E402
from policywarden.training.trainer import TrainConfig, train  # noqa: E402

CONTEXT_VERSION = "pw-context-2026.12.2"
SUPPORTS = (0.0, 0.1, 0.25, 0.5)
COMPLIES = {"complied": 1, "benign": 1, "refused": 0}  # DiaSafety's agreement labels are measured, not trained on


def choose_support(warden: Warden, compliance: ComplianceModel, pairs: list[dict]) -> tuple[float, dict]:
    """The support with the best F1 (violating = complied) on these pairs, and every option's figures."""
    answers = [p["answer"] for p in pairs]
    a_scores, a_sources, _ = warden.scores(answers, fine=False)
    p_scores, _, _ = warden.scores([p["prompt"] for p in pairs])
    complies = compliance.score(answers) >= compliance.cut
    truth = np.array([p["kind"] == "complied" for p in pairs])
    table = {}
    for support in SUPPORTS:
        flagged = np.array([warden.decider.decide(*in_context(a, src, p, bool(c), warden.thresholds, support), "output").flagged
                            for a, src, p, c in zip(a_scores, a_sources, p_scores, complies)])
        table[str(support)] = binary_metrics(truth, flagged, 0.5)
    alone = np.array([warden.decider.decide(a, src, "output").flagged for a, src in zip(a_scores, a_sources)])
    table["answer alone"] = binary_metrics(truth, alone, 0.5)
    best = max(SUPPORTS, key=lambda s: (table[str(s)]["f1"], s))  # ties: the stricter support
    return best, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(default_model_dir() / "context"))
    ap.add_argument("--words", type=int, default=120, help="opening words of an answer the model reads")
    ap.add_argument("--choose-on", type=int, default=1500, help="training pairs sampled to choose the support")
    ap.add_argument("--written-repeat", type=int, default=10,
                    help="times each written training answer counts (a few hundred among ~12,000 public ones)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", help="the model directory whose verdicts choose the support (default: the shipped one); "
                                    "a candidate's context model is chosen with the candidate")
    args = ap.parse_args()
    t0 = time.time()
    out = Path(args.out)

    pairs = [p for p in load_pairs(args.data) if p["kind"] in COMPLIES or p["kind"] in ("agreed", "disagreed")]
    records = [
        Record(opening(p["answer"], args.words), {HEAD: COMPLIES[p["kind"]]}, None, "assistant", p["source"], p["licence"], p["split"])
        for p in pairs if p["kind"] in COMPLIES
    ]
    written = sorted((ROOT / "training" / "written" / "answers").glob("*.jsonl"))
    for path in written:
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                split = hash_split(row["text"])
                records.extend(Record(opening(row["text"], args.words), {HEAD: int(row["complies"])}, None, "assistant",
                                      f"written/answers/{path.stem}", "project (written)", split)
                               for _ in range(args.written_repeat if split == "train" else 1))
    report = train(records, [HEAD], out, TrainConfig(version=CONTEXT_VERSION, seed=args.seed, C=2.0))
    compliance = ComplianceModel(out)
    print(f"compliance model: {len(records)} answers; threshold {compliance.cut:.3f}; "
          f"held-out F1 {report['heldout']['per_head'][HEAD]['f1']:.3f}", flush=True)
    held = [r for r in records if r.split == "heldout"]
    right = (compliance.model.score([normalize(r.text) for r in held])[:, 0] >= compliance.cut) == np.array([r.labels[HEAD] == 1 for r in held])
    accuracy = {}
    for src in sorted({r.source for r in held}):
        m = np.array([r.source == src for r in held])
        accuracy[src] = {"n": int(m.sum()), "accuracy": round(float(right[m].mean()), 4)}
        print(f"  held-out {src}: {accuracy[src]['n']} answers, {accuracy[src]['accuracy']:.1%} right")

    train_pairs = [p for p in pairs if p["split"] == "train" and p["kind"] in COMPLIES]
    chosen = random.Random(args.seed).sample(train_pairs, min(args.choose_on, len(train_pairs)))
    warden = Warden(model_dir=args.model, encoder_cache=0)
    support, table = choose_support(warden, compliance, chosen)
    for name, row in table.items():
        print(f"  support {name:>12}: F1 {row['f1']:.3f} (tp {row['tp']}, fp {row['fp']}, fn {row['fn']})")
    print(f"chosen support {support}", flush=True)

    meta_path = out / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["context"] = {
        "words": args.words,
        "support": support,
        "chosen_on": {"pairs": len(chosen), "scorer": warden.model_version, "options": table},
        "sources": sorted({r.source for r in records}),
        "heldout_accuracy": accuracy,
        "seconds": round(time.time() - t0, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
