"""The dictionary words the word list adds from the training texts (training/build_wordlist.py --corpus)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from build_wordlist import SCOWL_NOTICE, TEXT, corpus_words  # noqa: E402


def test_corpus_words_are_used_dictionary_words_the_lists_lack_most_used_first():
    texts = ["Persuade them to deceive.", "deceive and deceived", "Deceive!", "a sneaky zzqx plan",
             "sneaky zzqx", "Sneaky sneakier zzqx", "deceivers deceive"]
    dictionary = {"deceive", "deceived", "deceivers", "sneaky", "sneakier", "plan", "persuade"}
    found = corpus_words(texts, dictionary, min_texts=2)
    # "zzqx" is no dictionary word, "plan" and "persuade" are listed already, and "deceived" and
    # "deceivers" (one text each, and inflections of "deceive" anyway) fall under the threshold.
    assert found == [("deceive", 4), ("sneaky", 3)]
    # At one text each, the inflections of words found are known through them and left out.
    assert [w for w, _ in corpus_words(texts, dictionary, min_texts=1)] == ["deceive", "sneaky"]


def test_shipped_corpus_words_carry_the_dictionary_notice():
    text = (TEXT / "words_corpus.txt").read_text(encoding="utf-8")
    assert SCOWL_NOTICE in text
    words = [w for w in text.splitlines() if w and not w.startswith("#")]
    assert len(words) > 2000 and len(set(words)) == len(words)
    assert all(w.isascii() and w.isalpha() and w.islower() and len(w) >= 3 for w in words)
