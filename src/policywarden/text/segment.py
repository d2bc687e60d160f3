"""Split a run of letters into words: "makea" -> "make a", "howtomakeabomb" -> "how to make a bomb".

Spaced-out letters ("m a k e a b o m b") lose their word boundaries once joined, and a
neighbouring one-letter word ("a", "I") or a second spaced word runs into the first. The run is
split by the most probable sequence of known words under a Zipf model of word frequency: a word
of frequency rank r costs log((r + 1) * log N). The word list (`words.txt`) is the whole words
of BERT's uncased vocabulary in its frequency order. Pure: reads only that packaged file.
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache
from importlib.resources import files

_REPEAT2 = re.compile(r"(.)\1{2,}")  # three or more of a letter -> two
_REPEAT1 = re.compile(r"(.)\1+")  # two or more -> one
_MAX_RUN = 80  # longer runs are joined as they are


@cache
def _costs() -> tuple[dict[str, float], int, frozenset[str]]:
    """Each word's cost, the longest word's length, and every prefix of a word."""
    text = files("policywarden.text").joinpath("words.txt").read_text(encoding="utf-8")
    words = [w for w in text.splitlines() if w and not w.startswith("#")]
    log_n = math.log(len(words))
    costs: dict[str, float] = {}
    for rank, word in enumerate(words):
        costs.setdefault(word, math.log((rank + 1) * log_n))
    prefixes = frozenset(w[:k] for w in costs for k in range(1, len(w) + 1))
    return costs, max(map(len, costs)), prefixes


# An inflected form the list lacks ("torturing") counts as its stem plus a small cost, so it is
# not broken into two rarer words ("tor turing").
_SUFFIXES = ("ing", "ed", "es", "s", "er", "ers", "est", "ly", "ness")
_INFLECTION_COST = 1.0
# A piece with a cost is a word, or a stem and a suffix whose stem less its last letter begins a
# word ("stopp|ing", "cri|es", "tortur|ing"): either way all but its last DEAD_END letters begin a
# word. Once they do not, no longer piece from the same start has a cost.
_DEAD_END = max(map(len, _SUFFIXES)) + 2


def _cost(piece: str, costs: dict[str, float]) -> float | None:
    cost = costs.get(piece)
    if cost is not None:
        return cost
    for suffix in _SUFFIXES:
        stem = piece[: -len(suffix)]
        if len(stem) < 3 or not piece.endswith(suffix):
            continue
        # "tortur|ing" -> torture, "stopp|ing" -> stop, "cri|es" -> cry
        for base in (stem, stem + "e", stem[:-1] if stem[-1] == stem[-2] else "", stem[:-1] + "y" if stem.endswith("i") else ""):
            if base in costs:
                return costs[base] + _INFLECTION_COST
    return None


def known(word: str) -> bool:
    """Whether `word` (lower case) is in the word list, or an inflection of a word in it."""
    return _cost(word, _costs()[0]) is not None


# Runs recur: every overlapping window of a text repeats its runs, and so do attacks.
@lru_cache(maxsize=4096)
def segment(run: str) -> str:
    """`run` (lower-case letters) as space-separated words; unchanged when it is a word itself,
    when no split into known words exists (a name, say), or when it is very long."""
    costs, longest, prefixes = _costs()
    if len(run) > _MAX_RUN or _cost(run, costs) is not None:
        return run
    # A stretched word ("b o o o r i n g") is read as the word, not split ("boo ring").
    for squeezed in (_REPEAT2.sub(r"\1\1", run), _REPEAT1.sub(r"\1", run)):
        if _cost(squeezed, costs) is not None:
            return squeezed
    n = len(run)
    best = [0.0] + [math.inf] * n
    start = [0] * (n + 1)
    # Forward from each reachable start; the first start reaching an end at its least cost wins
    # ties, as in a search backward from each end.
    for begin in range(n):
        if math.isinf(best[begin]):
            continue
        for end in range(begin + 1, min(n, begin + longest + 4) + 1):
            if end - begin > _DEAD_END and run[begin : end - _DEAD_END] not in prefixes:
                break
            cost = _cost(run[begin:end], costs)
            if cost is not None and best[begin] + cost < best[end]:
                best[end], start[end] = best[begin] + cost, begin
    if math.isinf(best[n]):
        return run
    words = []
    end = n
    while end:
        words.append(run[start[end]:end])
        end = start[end]
    return " ".join(reversed(words))
