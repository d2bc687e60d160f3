"""Accuracy of the shipped model on the held-back halves of ../shared/data and of the written examples.

    python training/build_dataset.py --data ../shared/data --out training/out   # once, ~10 s
    python benchmarks/heldout.py [--include-nonpermissive]
    python benchmarks/heldout.py --model DIR --json out.json --verdicts cand.npz   # a candidate
    python benchmarks/compare.py base.npz cand.npz                               # paired difference

Per policy category and OpenAI category: precision, recall, F1, FPR and AUPRC from the real
verdict (thresholds as shipped). Per source: how often the verdict flags, against how often
it should. Overall, and apart for the public sources and the written examples. And the
`flagged` that `/v1/moderations` returns (a policy hit or any OpenAI category) against OpenAI's
taxonomy: the in-house counterpart of a "should flag" figure on an OpenAI-style set. None of
these texts was trained on. --verdicts keeps each record's label and verdict (no text, only a digest
of it) for benchmarks/compare.py.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys

import numpy as np
from common import ROOT, candidate_options, emit, recall_by_item

from policywarden import Warden
from policywarden.policy import OPENAI_CATEGORIES
from policywarden.training.metrics import binary_metrics
from policywarden.training.records import heldout_records


def by_group(records, y: np.ndarray, pred: np.ndarray) -> dict:
    """A category's positives counted as independent items: the records of one group (a
    JailbreakBench goal's prompts and answers) are one item, every other record its own.
    `recall_by_group`: the mean over items of the share of their positives flagged."""
    items: dict[str, list[bool]] = {}
    for i in np.flatnonzero(y == 1):
        items.setdefault(records[i].group or f"record:{i}", []).append(bool(pred[i]))
    return {"groups": len(items), "recall_by_group": recall_by_item(items)}


def openai_truth(record) -> int:
    """Should an OpenAI moderation result flag this record: 1 where any OpenAI category is
    labelled 1, 0 where all thirteen are labelled 0, -1 (not counted) otherwise: offensive
    tweets labelled not hateful say nothing of harassment, which OpenAI's taxonomy flags."""
    labels = [record.label(f"openai:{name}") for name in OPENAI_CATEGORIES]
    if any(v == 1 for v in labels):
        return 1
    return 0 if all(v == 0 for v in labels) else -1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--include-nonpermissive", action="store_true", help="also measure on NC/GPL/no-licence sets")
    candidate_options(ap)
    ap.add_argument("--verdicts", help="write each record's label, verdict and score to this .npz")
    args = ap.parse_args()
    out = ROOT / "training" / ("out-all" if args.include_nonpermissive else "out")
    if not (out / "dataset.jsonl").exists():
        cmd = [sys.executable, str(ROOT / "training" / "build_dataset.py"), "--data", str(ROOT.parent / "shared" / "data"), "--out", str(out)]
        subprocess.run(cmd + (["--include-nonpermissive"] if args.include_nonpermissive else []), check=True)
    records = heldout_records(out / "dataset.jsonl", ROOT / "training" / "written")
    warden = Warden(model_dir=args.model, encoder_gate=args.gate)
    verdicts: list = [None] * len(records)
    for surface, role in (("input", "user"), ("output", "assistant")):
        rows = [i for i, r in enumerate(records) if (r.role == "assistant") == (role == "assistant")]
        for k in range(0, len(rows), 512):
            chunk = rows[k : k + 512]
            for i, v in zip(chunk, warden.moderate([records[i].text for i in chunk], surface)):
                verdicts[i] = v

    ids = [c.id for c in warden.policy.categories]
    per_cat = {}
    for j, cid in enumerate(ids):
        y = np.array([-1 if r.label(cid) is None else int(r.label(cid)) for r in records])
        known = y >= 0
        if (y[known] == 1).sum() == 0:
            continue
        scores = np.array([v.categories[j].score for v in verdicts])
        pred = np.array([v.categories[j].flagged for v in verdicts])
        per_cat[cid] = binary_metrics(y[known], scores[known], 0.5, pred=pred[known])
        per_cat[cid].update(by_group(records, y, pred))
    for name in OPENAI_CATEGORIES:
        y = np.array([-1 if r.label(f"openai:{name}") is None else int(r.label(f"openai:{name}")) for r in records])
        known = y >= 0
        if (y[known] == 1).sum() == 0:
            continue
        scores = np.array([v.openai_scores[name] for v in verdicts])
        pred = np.array([v.openai_flags[name] for v in verdicts])
        per_cat[f"openai:{name}"] = binary_metrics(y[known], scores[known], 0.5, pred=pred[known])

    per_source = {}
    y_any = np.array([-1 if r.label("any") is None else int(r.label("any")) for r in records])
    flagged = np.array([v.flagged for v in verdicts])
    score_any = np.array([max(c.score for c in v.categories) for v in verdicts])
    group = np.array([r.source + (" (answers)" if r.role == "assistant" else "") for r in records])
    for src in sorted(set(group)):
        m = (group == src) & (y_any >= 0)
        if m.any():
            per_source[src] = binary_metrics(y_any[m], score_any[m], 0.5, pred=flagged[m])
    m = y_any >= 0
    overall = binary_metrics(y_any[m], score_any[m], 0.5, pred=flagged[m])
    written = np.char.startswith(group, "written:")
    parts = {name: binary_metrics(y_any[m & w], score_any[m & w], 0.5, pred=flagged[m & w])
             for name, w in (("public", ~written), ("written", written))}
    y_openai = np.array([openai_truth(r) for r in records])
    api_flagged = np.array([v.openai_flagged for v in verdicts])
    m = y_openai >= 0
    # The flag is the score: no one score stands behind it (13 heads, each at its own threshold, and policy hits).
    as_served = binary_metrics(y_openai[m], api_flagged[m].astype(float), 0.5, pred=api_flagged[m])
    if args.verdicts:
        digest = np.array([hashlib.sha256(r.text.encode("utf-8", "surrogatepass")).hexdigest()[:16] for r in records])
        np.savez_compressed(args.verdicts, label=y_any, flagged=flagged, score=score_any, group=group, digest=digest,
                            openai_label=y_openai, openai_flagged=api_flagged, model=np.array(warden.model_version))
        print(f"wrote {args.verdicts}")

    print(f"held-out records: {len(records)}; overall violating-vs-not: P={overall['precision']:.3f} R={overall['recall']:.3f} F1={overall['f1']:.3f} FPR={overall['fpr']:.3f}")
    for name, r in parts.items():
        print(f"  {name} sources: P={r['precision']:.4f} R={r['recall']:.4f} F1={r['f1']:.4f} FPR={r['fpr']:.4f}")
    r = as_served
    print(f"as /v1/moderations flags (a policy hit or any OpenAI category), against OpenAI's taxonomy ({r['n']} records): "
          f"P={r['precision']:.3f} R={r['recall']:.3f} F1={r['f1']:.3f} FPR={r['fpr']:.3f}")
    print(f"\n{'category':46} {'pos':>5} {'P':>6} {'R':>6} {'F1':>6} {'FPR':>6} {'AUPRC':>6}")
    for cid, r in per_cat.items():
        print(f"{cid:46} {r['positives']:>5} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f} {r['fpr']:>6.3f} {r['auprc']:>6.3f}")
    print(f"\n{'source':46} {'n':>6} {'pos':>5} {'flag rate':>9} {'R':>6} {'FPR':>6}")
    for src, r in per_source.items():
        rate = (r["tp"] + r["fp"]) / r["n"]
        print(f"{src:46} {r['n']:>6} {r['positives']:>5} {rate:>9.3f} {r['recall']:>6.3f} {r['fpr']:>6.3f}")
    name = "heldout_all" if args.include_nonpermissive else "heldout"
    emit(name, {"model": warden.model_version, "records": len(records), "overall": overall, **parts,
                "openai_flagged": as_served, "categories": per_cat, "sources": per_source}, args)


if __name__ == "__main__":
    main()
