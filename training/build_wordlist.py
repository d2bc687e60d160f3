"""Write the word lists that split spaced-out runs of letters and judge whether a reading is English.

    python training/build_wordlist.py [--tokenizer TOKENIZER_JSON]
    python training/build_wordlist.py --corpus [--dictionary /usr/share/dict/american-english] [--min-texts 5]

Without --corpus it writes src/policywarden/text/words.txt: the whole-word entries of the
encoder's WordPiece vocabulary (BERT's uncased vocabulary, Apache-2.0), in vocabulary order,
which for BERT follows corpus frequency: that order is the only frequency information the
segmenter uses. Single letters other than "a" and "i" are left out, so a run is never split into
stray letters.

With --corpus it writes src/policywarden/text/words_corpus.txt: the words BERT's list lacks
("incite", "harass", "deceive", "persuasive", "circumvent") that a dictionary holds (SCOWL's
American English list as Debian's `wamerican` package installs it; lower-case words of three
letters or more) and that at least --min-texts texts of the training split use (the dataset's,
disguised rows left out, and the written examples'), most used first. Words the other two lists
already hold, or hold a stem of, are left out, and so is an inflection of another word found
("harassing" beside "harass": `segment.known_in`). It needs the dataset (training/build_dataset.py) and the dictionary (`apt-get install
wamerican`). The held-out split is never read. Deterministic.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TEXT = ROOT / "src" / "policywarden" / "text"
DEFAULT = ROOT / "src" / "policywarden" / "classify" / "model" / "encoder" / "tokenizer.json"
DICTIONARY = Path("/usr/share/dict/american-english")
# SCOWL's licence asks that its notice go with copies of the lists and of what its scripts output.
SCOWL_NOTICE = """\
# Words from SCOWL (Spell Checker Oriented Word Lists), via Debian's wamerican package:
#   Copyright 2000-2011 by Kevin Atkinson
#   Permission to use, copy, modify, distribute and sell these word lists, the associated
#   scripts, the output created from the scripts, and its documentation for any purpose is
#   hereby granted without fee, provided that the above copyright notice appears in all copies
#   and that both that copyright notice and this permission notice appear in supporting
#   documentation. Kevin Atkinson makes no representations about the suitability of this array
#   for any purpose. It is provided "as is" without express or implied warranty.
"""
_WORD = re.compile(r"[a-z]+")


def vocabulary_words(tokenizer: Path) -> list[str]:
    vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    return [w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])
            if w.isascii() and w.isalpha() and (len(w) > 1 or w in ("a", "i"))]


def corpus_words(texts, dictionary: set[str], min_texts: int) -> list[tuple[str, int]]:
    """Dictionary words the word list does not know, with how many of `texts` use them: those
    used by at least `min_texts`, most used first (ties alphabetical)."""
    from policywarden.text.segment import known_in

    listed = dict.fromkeys((w for name in ("words.txt", "words_extra.txt")
                            for w in (TEXT / name).read_text(encoding="utf-8").splitlines() if w and not w.startswith("#")), 0.0)
    used: Counter[str] = Counter()
    for text in texts:
        used.update(set(_WORD.findall(text.lower())))
    found = {w: n for w, n in used.items() if n >= min_texts and w in dictionary and not known_in(w, listed)}
    # An inflection of another word found ("painkillers", "painkiller") is known through it.
    kept = [(w, n) for w, n in found.items() if not known_in(w, {o: 0.0 for o in found if o != w})]
    return sorted(kept, key=lambda wn: (-wn[1], wn[0]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer", type=Path, default=DEFAULT)
    ap.add_argument("--corpus", action="store_true", help="write words_corpus.txt instead of words.txt")
    ap.add_argument("--dictionary", type=Path, default=DICTIONARY)
    ap.add_argument("--min-texts", type=int, default=5)
    ap.add_argument("--dataset", type=Path, default=ROOT / "training" / "out" / "dataset.jsonl")
    ap.add_argument("--written", type=Path, default=ROOT / "training" / "written")
    args = ap.parse_args()
    if not args.corpus:
        words = vocabulary_words(args.tokenizer)
        header = "# whole words of BERT's uncased WordPiece vocabulary (Apache-2.0), most frequent first; training/build_wordlist.py\n"
        out = TEXT / "words.txt"
        out.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
        print(f"{len(words)} words -> {out.relative_to(ROOT)}")
        return
    from policywarden.training.records import read_jsonl, written_records

    for needed, hint in ((args.dataset, "build the dataset first (training/build_dataset.py)"),
                         (args.dictionary, "install the dictionary (apt-get install wamerican)")):
        if not needed.exists():
            raise SystemExit(f"{needed} not found: {hint}")
    dictionary = {w for w in args.dictionary.read_text(encoding="utf-8").split()
                  if len(w) >= 3 and w.isascii() and w.isalpha() and w.islower()}
    records = [r for r in read_jsonl(args.dataset) if r.split == "train" and r.source.split(":")[0] != "disguised"]
    records += [r for r in written_records(args.written) if r.split == "train"]
    out = TEXT / "words_corpus.txt"
    words = corpus_words((r.text for r in records), dictionary, args.min_texts)
    header = (f"# dictionary words the lists above lack, used in at least {args.min_texts} of {len(records)} training "
              "texts, most used first; training/build_wordlist.py --corpus\n" + SCOWL_NOTICE)
    out.write_text(header + "".join(f"{w}\n" for w, _ in words), encoding="utf-8")
    print(f"{len(words)} words -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
