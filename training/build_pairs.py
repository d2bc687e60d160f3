"""Write src/policywarden/text/pairs.txt.gz: how often each word followed another in the
training texts, the context by which disemvowelled text is read back (policywarden.text.vowels).

    python training/build_pairs.py [--dataset training/out/dataset.jsonl] [--min-count 3]

Counts pairs of neighbouring words, both known to the word list (`segment.known`: listed, or an
inflection of a listed word), over the training split of the dataset (`make model` writes it;
rows written by training/disguise.py left out: they are the ciphers, not the language) and of
the written examples. Pairs seen fewer than --min-count times are dropped: at 3, some 134,000
pairs, 0.6 MB compressed. The held-out split is never read, so the robustness benchmark, which
disguises held-out texts, reads them with context it has not seen. Deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from policywarden.text.pairs import WORD  # noqa: E402
from policywarden.text.segment import known  # noqa: E402
from policywarden.training.records import read_jsonl, written_records  # noqa: E402

OUT = ROOT / "src" / "policywarden" / "text" / "pairs.txt.gz"


def count_pairs(texts) -> Counter[tuple[str, str]]:
    pairs: Counter[tuple[str, str]] = Counter()
    for text in texts:
        words = [w if known(w) else "" for w in WORD.findall(text.lower())]
        pairs.update((a, b) for a, b in zip(words, words[1:]) if a and b)
    return pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=ROOT / "training" / "out" / "dataset.jsonl")
    ap.add_argument("--written", type=Path, default=ROOT / "training" / "written")
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if not args.dataset.exists():
        raise SystemExit(f"{args.dataset} not found: build the dataset first (training/build_dataset.py)")
    records = [r for r in read_jsonl(args.dataset) if r.split == "train" and r.source.split(":")[0] != "disguised"]
    records += [r for r in written_records(args.written) if r.split == "train"]
    pairs = count_pairs(r.text for r in records)
    kept = sorted((a, b, n) for (a, b), n in pairs.items() if n >= args.min_count)
    header = (f"# word pairs seen at least {args.min_count} times in {len(records)} training texts of "
              "../shared/data and training/written; training/build_pairs.py\n")
    body = "".join(f"{a} {b} {n}\n" for a, b, n in kept)
    # mtime=0: the same counts give the same bytes
    args.out.write_bytes(gzip.compress((header + body).encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{len(kept)} pairs of {len(pairs)} from {len(records)} texts -> {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
