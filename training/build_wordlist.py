"""Write src/policywarden/text/words.txt, the word list that splits spaced-out runs of letters.

    python training/build_wordlist.py [TOKENIZER_JSON]

The words are the whole-word entries of the encoder's WordPiece vocabulary (BERT's uncased
vocabulary, Apache-2.0), in vocabulary order, which for BERT follows corpus frequency: that
order is the only frequency information the segmenter uses. Single letters other than "a" and
"i" are left out, so a run is never split into stray letters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "src" / "policywarden" / "classify" / "model" / "encoder" / "tokenizer.json"
OUT = ROOT / "src" / "policywarden" / "text" / "words.txt"


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    vocab = json.loads(source.read_text(encoding="utf-8"))["model"]["vocab"]
    words = [w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])
             if w.isascii() and w.isalpha() and (len(w) > 1 or w in ("a", "i"))]
    header = "# whole words of BERT's uncased WordPiece vocabulary (Apache-2.0), most frequent first; training/build_wordlist.py\n"
    OUT.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
