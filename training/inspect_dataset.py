"""Eyeball a built dataset: counts per source and split, and a few random
positives (and known negatives) per head.

    python training/inspect_dataset.py training/out/dataset.jsonl [--n 5] [--head any] [--neg]
"""
import argparse
import collections
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heads import ALL_HEADS, value  # noqa: E402


def short_labels(r):
    ones = [h for h, v in r["labels"].items() if v == 1]
    return f"+{ones} default={r['default']}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--head", action="append", help="only these heads")
    ap.add_argument("--neg", action="store_true", help="show known negatives instead of positives")
    ap.add_argument("--seed", default="inspect")
    args = ap.parse_args()
    with open(args.path, encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    by_src = collections.Counter((r["source"], r["split"]) for r in recs)
    for src in sorted({s for s, _ in by_src}):
        print(f"{src:42s} train {by_src[(src, 'train')]:6d} heldout {by_src[(src, 'heldout')]:6d}")
    want = 0 if args.neg else 1
    for head in args.head or ALL_HEADS:
        hits = [r for r in recs if value(r["labels"], r["default"], head) == want]
        if not hits:
            continue
        rng = random.Random(f"{args.seed}:{head}")
        print(f"\n=== {head}  ({len(hits)} {'negatives' if args.neg else 'positives'})")
        for r in rng.sample(hits, min(args.n, len(hits))):
            text = " ".join(r["text"].split())[:220]
            print(f"  [{r['source']}|{r['role']}|{r['split']}] {text}\n      {short_labels(r)}")


if __name__ == "__main__":
    main()
