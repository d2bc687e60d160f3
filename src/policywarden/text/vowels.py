"""Disemvowelled text read back with its vowels: "Hw d I cmmt a mss shtng" -> "how do I commit a
mass shooting" (not "a miss shooting", the commonest spelling of "mss").

A string of consonants has many spellings ("crt": court, create, cart, curt; "brnr": burner,
brainer), and the commonest alone misreads a request ("court a fake news story"). Each word is read
as the spelling that makes the likeliest sentence: a spelling costs its `segment.word_cost`, less
`pairs.PAIR_WEIGHT` times the log of how often it followed the word before it in the training
texts (`pairs.followed`), found by dynamic programming over the sentence; a word writers hide
letters of counts as commoner. Words with a vowel,
"a" and "I" and what follows an apostrophe ("dn't") are read as written and give context.
Pure: reads only packaged files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .pairs import PAIR_WEIGHT, WORD, followed
from .segment import VOWEL, often_masked, spellings

# A spelling that is a word writers hide letters of (`segment.often_masked`: "btch", "rtrd",
# "kll") counts as this much commoner: leaving the vowels out is a way past a word filter too.
# On the robustness benchmark's disemvowelled texts, 2: 71.0% -> 72.7% of violating texts still
# flagged; 4: 75.3% (one benign text of 300 more flagged, "rtrd" read "retard", not "retired");
# 6, as for a letter hidden behind a mark: 76.3%, the same benign one.
_MASKED_BONUS = 4.0

# Before "n't" a word is one of these ("dn't" is "don't", not "done't"), by its consonants.
_NEGATED = {VOWEL.sub("", w): w for w in (
    "ain", "aren", "can", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "mightn",
    "mustn", "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn")}


def read_vowelless(text: str) -> str:
    """`text` with each word that has no vowel (other than "a", "I", and a word straight after an
    apostrophe) spelled out with its likeliest vowels, in lower case; the rest as written."""
    spans = [span for m in WORD.finditer(text) for span in _camel_parts(text, m.start(), m.end())]
    if not spans:
        return text
    # Each word's choices: (cost, spelling); a word read as written is its only choice.
    choices: list[Sequence[tuple[float, str]]] = []
    for start, end in spans:
        word = text[start:end].lower()
        after_apostrophe = start and text[start - 1] in "'’"
        found = () if VOWEL.search(word) or word in ("a", "i") or after_apostrophe else tuple(
            (cost - _MASKED_BONUS * often_masked(spelled), spelled) for cost, spelled in spellings(word))
        if found and text[end : end + 2] in ("'t", "’t") and word in _NEGATED:
            found = ((0.0, _NEGATED[word]),)
        choices.append(found or ((0.0, word),))
    # best[s]: the cost of the cheapest reading so far that ends in spelling s; back[k][s]: the
    # spelling before it (a Viterbi search: words x choices^2, choices at most 10).
    best = [cost for cost, _ in choices[0]]
    back: list[list[int]] = [[-1] * len(choices[0])]
    for k in range(1, len(choices)):
        before, row, links = choices[k - 1], [], []
        for cost, spelling in choices[k]:
            total, link = min(
                (best[j] + cost - PAIR_WEIGHT * followed(previous, spelling), j)
                for j, (_, previous) in enumerate(before)
            )
            row.append(total)
            links.append(link)
        best = row
        back.append(links)
    at = min(range(len(best)), key=best.__getitem__)
    read = [""] * len(choices)
    for k in range(len(choices) - 1, -1, -1):
        read[k] = choices[k][at][1]
        at = back[k][at]
    out, at = [], 0
    for (start, end), spelled in zip(spans, read):
        out.append(text[at:start])
        out.append(text[start:end] if spelled == text[start:end].lower() else spelled)
        at = end
    out.append(text[at:])
    return "".join(out)


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _camel_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span of a word, or of each word run together in it by capitals where it has no vowel
    ("#BldThWll": Bld, Th, Wll, read "buildthewall", as the hashtag is written in full)."""
    word = text[start:end]
    if VOWEL.search(word.lower()) or not _CAMEL.search(word):
        return [(start, end)]
    cuts = [start, *(start + m.start() for m in _CAMEL.finditer(word)), end]
    return list(zip(cuts, cuts[1:]))
