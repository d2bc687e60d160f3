"""Split a run of letters into words: "makea" -> "make a", "howtomakeabomb" -> "how to make a bomb".

Spaced-out letters ("m a k e a b o m b") lose their word boundaries once joined, and a
neighbouring one-letter word ("a", "I") or a second spaced word runs into the first. The run is
split by the most probable sequence of known words under a Zipf model of word frequency: a word
of frequency rank r costs log((r + 1) * log N). The word list (`words.txt`) is the whole words
of BERT's uncased vocabulary in its frequency order, then a few words of the harms moderation
reads about that it lacks (`words_extra.txt`), then dictionary words it lacks that the training
texts use, most used first (`words_corpus.txt`: "incite", "deceive", "circumvent";
training/build_wordlist.py --corpus). Pure: reads only those packaged files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from importlib.resources import files

_REPEAT2 = re.compile(r"(.)\1{2,}")  # three or more of a letter -> two
_REPEAT1 = re.compile(r"(.)\1+")  # two or more -> one
_MAX_RUN = 400  # longer runs are joined as they are (the search is linear in the run, but a cache entry is not free)
_STRAY_LETTER = 8.0
_LONGEST_PIECE = 40  # no word in the list, with a suffix, is longer (checked in _costs)


_LISTS = ("words.txt", "words_extra.txt", "words_corpus.txt")  # in rank order


@cache
def _costs() -> tuple[dict[str, float], int, frozenset[str]]:
    """Each word's cost, the longest word's length, and every prefix of a word."""
    package = files("policywarden.text")
    text = "\n".join(package.joinpath(name).read_text(encoding="utf-8") for name in _LISTS)
    words = [w for w in text.splitlines() if w and not w.startswith("#")]
    log_n = math.log(len(words))
    costs: dict[str, float] = {}
    for rank, word in enumerate(words):
        # A letter on its own other than "a" and "i" is rarely a word in running text, though
        # the list ranks the letters high: "met h" is not a reading of "meth".
        costs.setdefault(word, math.log((rank + 1) * log_n) + (_STRAY_LETTER if len(word) == 1 and word not in "ai" else 0.0))
    prefixes = frozenset(w[:k] for w in costs for k in range(1, len(w) + 1))
    longest = max(map(len, costs))
    assert longest + max(map(len, _SUFFIXES)) <= _LONGEST_PIECE, "raise _LONGEST_PIECE"
    return costs, longest, prefixes


# An inflected form the list lacks ("torturing") counts as its stem plus a small cost, so it is
# not broken into two rarer words ("tor turing").
_SUFFIXES = ("ing", "ed", "es", "s", "er", "ers", "est", "ly", "ness")
_INFLECTION_COST = 1.0
# A piece with a cost is a word, or a stem and a suffix whose stem less its last letter begins a
# word ("stopp|ing", "cri|es", "tortur|ing"): either way all but its last DEAD_END letters begin a
# word. Once they do not, no longer piece from the same start has a cost.
_DEAD_END = max(map(len, _SUFFIXES)) + 2


def _cost(piece: str, costs: Mapping[str, float]) -> float | None:
    cost = costs.get(piece)
    if cost is not None or not piece.endswith(_SUFFIXES):
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
    # Longer than any word and suffix: not known, and not kept in the cache (user text).
    return len(word) <= _LONGEST_PIECE and _known(word)


def known_in(word: str, words: Mapping[str, float]) -> bool:
    """Whether `word` is one of `words` or an inflection of one, as `known` judges the list."""
    return _cost(word, words) is not None


def word_cost(word: str) -> float | None:
    """How unlikely `word` (lower case) is as a word of running text (lower is more common), or
    None for a word not in the list."""
    return _cost(word, _costs()[0]) if len(word) <= _LONGEST_PIECE else None


def listed(word: str) -> bool:
    """Whether `word` (lower case) is in the word list as it is, not as an inflection ("thes" is
    "the" and "s" to `known`)."""
    return word in _costs()[0]


VOWEL = re.compile("[aeiou]")


_SPELLINGS = 10  # listed spellings kept for each string of consonants


@cache
def _skeletons() -> dict[str, tuple[tuple[float, str], ...]]:
    """The commonest listed words of two letters or more for each string of consonants, with
    their costs, commonest first."""
    costs = _costs()[0]
    out: dict[str, list[tuple[float, str]]] = {}
    for word in sorted(costs, key=costs.__getitem__):
        if len(word) >= 2 and word.isalpha():
            found = out.setdefault(VOWEL.sub("", word), [])
            if len(found) < _SPELLINGS:
                found.append((costs[word], word))
    return {skeleton: tuple(words) for skeleton, words in out.items()}


# Inflections, by their consonants: "fckng" is "fuck" and "ing".
_SKELETON_SUFFIXES = (("ng", "ing"), ("rs", "ers"), ("r", "er"), ("d", "ed"), ("s", "s"), ("ly", "ly"))
_STEMS = 5  # of an inflection: the commonest stems tried
_UNLISTED_INFLECTION = 4.0  # the further cost of an inflection the list does not hold ("borner")


@lru_cache(maxsize=8192)  # a text's words recur, and so do texts
def spellings(skeleton: str) -> tuple[tuple[float, str], ...]:
    """The words written `skeleton` with their vowels taken out ("bmb": "bomb", "bomber" less its
    "-er", ...), with their `word_cost`s, cheapest first; inflections of listed words among them
    ("fckng": "fucking"). Empty where there is none."""
    index = _skeletons()
    found = dict((word, cost) for cost, word in index.get(skeleton, ()))
    costs = _costs()[0]
    for tail, suffix in _SKELETON_SUFFIXES:
        if not skeleton.endswith(tail) or len(skeleton) == len(tail):
            continue
        for cost, stem in index.get(skeleton[: -len(tail)], ())[:_STEMS]:
            word = stem + suffix
            if len(stem) >= 3 and word not in found:
                found[word] = cost + _INFLECTION_COST + (0.0 if word in costs else _UNLISTED_INFLECTION)
    return tuple(sorted((cost, word) for word, cost in found.items())[:_SPELLINGS])


@cache
def _by_length() -> dict[tuple[int, str], list[tuple[float, str]]]:
    """Listed words of letters only, by length and first letter, commonest first."""
    costs = _costs()[0]
    out: dict[tuple[int, str], list[tuple[float, str]]] = {}
    for word in sorted(costs, key=costs.__getitem__):
        if word.isalpha() and word.isascii():
            out.setdefault((len(word), word[0]), []).append((costs[word], word))
    return out


_DOUBLES = re.compile(r"[^aeiou]*[aeiou][bdfgj-np-tvz]")  # one short vowel: "stab" -> "stabbing"
# Its cost when a masked word is an often masked word that the list lacks ("fuckin").
_MASKED_UNLISTED_COST = 14.0


@cache
def _masked_forms() -> dict[str, float]:
    """The words writers hide letters of (`masked.txt`, base forms) and their inflections as
    written, with their costs: plurals; "-ing", "-in'" and "-ed" of bases of four letters or more
    as the word list knows them ("raping", "stabbing", "fuckin"); "-er", "-ers" and "-y" where it
    lists them ("fucker", "shitty"; not "nazier")."""
    text = files("policywarden.text").joinpath("masked.txt").read_text(encoding="utf-8")
    bases = [w for w in text.splitlines() if w and not w.startswith("#")]
    forms: set[str] = set(bases)
    for base in bases:
        forms.add(base[:-1] + "ies" if base.endswith("y") else base + ("es" if base.endswith(("s", "x", "z", "ch", "sh")) else "s"))
        stem = base[:-1] if base.endswith("e") else base + base[-1] if _DOUBLES.fullmatch(base) else base
        if len(base) >= 4:  # ("faging" is known, as "fag" and "ing", but no word)
            forms.update(w for w in (stem + "ing", stem + "ed") if known(w))
            if known(stem + "ing"):
                forms.add(stem + "in")
        forms.update(w for w in (base + "er", base + "ers", stem + "er", stem + "ers", base + "y", stem + "y") if listed(w))
    return {w: word_cost(w) or _MASKED_UNLISTED_COST for w in sorted(forms)}


@cache
def _masked_by_length() -> dict[int, list[tuple[float, str]]]:
    out: dict[int, list[tuple[float, str]]] = {}
    for word, cost in _masked_forms().items():
        out.setdefault(len(word), []).append((cost, word))
    return out


def often_masked(word: str) -> bool:
    """Whether `word` is one writers hide a letter of (`masked.txt`), or an inflection of one as
    written (`_masked_forms`)."""
    return word in _masked_forms()


def _shape(masked: str) -> re.Pattern[str]:
    """`masked` as a pattern, each "*" any one letter."""
    return re.compile(re.escape(masked).replace(r"\*", "[a-z]"))


@lru_cache(maxsize=4096)
def unstarred(masked: str, any_word: bool = True) -> tuple[tuple[float, str], ...]:
    """The words `masked` (lower case, opening with a letter; each "*" one hidden letter: "f**k",
    "b*tches") may be, with their `word_cost`s, cheapest first: the often masked words and their
    inflections (`often_masked`), and with `any_word` also the `_SPELLINGS` commonest listed
    words of its length, else inflections of listed words by a suffix left in view ("f*cked").
    Empty where none fits."""
    shape = _shape(masked)
    masked_words = {w: c for c, w in _masked_by_length().get(len(masked), ()) if shape.fullmatch(w)}
    found: dict[str, float] = {}
    if any_word:
        found = {w: c for c, w in _by_length().get((len(masked), masked[0]), ()) if shape.fullmatch(w)}
        if not found:
            for suffix in _SUFFIXES:
                stem = masked[: -len(suffix)]
                if masked.endswith(suffix) and "*" in stem and len(stem) >= 3:
                    stem_shape = _shape(stem)
                    for cost, word in _by_length().get((len(stem), stem[0]), ()):
                        if stem_shape.fullmatch(word):
                            found.setdefault(word + suffix, cost + _INFLECTION_COST)
    ranked = sorted((cost, word) for word, cost in found.items() if word not in masked_words)[:_SPELLINGS]
    return tuple(sorted(ranked + [(cost, word) for word, cost in masked_words.items()]))


@lru_cache(maxsize=16384)  # words recur from text to text: most lookups are one hit here
def _known(word: str) -> bool:
    return _cost(word, _costs()[0]) is not None


# A piece not in the list (a name, a drug, a typo) costs this much plus this much a letter: more
# a letter than common words, so that "howtobuyfentanyl" splits around the one it lacks, and less
# than stray letters, so that "xyz" stays whole.
_UNKNOWN_COST, _UNKNOWN_PER_LETTER = 4.0, 3.5
_UNKNOWN_MIN = 4  # shorter ones would take the end of a word the list lacks: "met h" for "meth"
_SQUEEZE_COST = 5.0  # reading a stretched word ("b o o o r i n g") as the word


def segment(run: str) -> str:
    """`run` (lower-case letters) as space-separated words; unchanged when it is a word itself,
    when it splits into nothing better (a name, say), or when it is very long."""
    return run if len(run) > _MAX_RUN else _segment(run)


# Runs recur: every overlapping window of a text repeats its runs, and so do attacks.
@lru_cache(maxsize=4096)
def _segment(run: str) -> str:
    costs, _, _ = _costs()
    if _cost(run, costs) is not None:
        return run
    cost, words = _split(run)
    # A stretched word ("b o o o r i n g") is read as the word, not split ("boo ring"), unless the
    # split is nearly as likely: "n o o n e" is "no one", "h e e a t s" "he eats".
    for squeezed in (_REPEAT2.sub(r"\1\1", run), _REPEAT1.sub(r"\1", run)):
        if squeezed != run and (c := _cost(squeezed, costs)) is not None and c + _SQUEEZE_COST < cost:
            return squeezed
    return " ".join(words)


def known_words(run: str) -> str | None:
    """`run` split as `segment` splits it, where every piece is a known word; else None."""
    words = segment(run).split()
    return " ".join(words) if all(map(known, words)) else None


def _split(run: str) -> tuple[float, list[str]]:
    """The cheapest split of `run` into known words and unknown pieces, and its cost. Of equal
    splits, the one whose pieces start first; a known word before an unknown piece."""
    costs, longest, prefixes = _costs()
    n = len(run)
    best = [0.0] + [math.inf] * n
    start = [0] * (n + 1)
    # An unknown piece (at least _UNKNOWN_MIN letters) ending at i is cheapest from the start
    # j <= i - _UNKNOWN_MIN with the least best[j] - PER_LETTER * j: kept as a running minimum.
    lowest, lowest_at = math.inf, 0
    for i in range(n + 1):
        j = i - _UNKNOWN_MIN
        if j >= 0 and best[j] - _UNKNOWN_PER_LETTER * j < lowest:
            lowest, lowest_at = best[j] - _UNKNOWN_PER_LETTER * j, j
        unknown = lowest + _UNKNOWN_COST + _UNKNOWN_PER_LETTER * i
        if unknown < best[i]:
            best[i], start[i] = unknown, lowest_at
        if i == n:
            break
        # best[i] is final: every piece ending here starts before it.
        for end in range(i + 1, min(n, i + longest + 4) + 1):
            if end - i > _DEAD_END and run[i : end - _DEAD_END] not in prefixes:
                break
            cost = _cost(run[i:end], costs)
            if cost is not None and best[i] + cost < best[end]:
                best[end], start[end] = best[i] + cost, i
    words = []
    end = n
    while end:
        words.append(run[start[end]:end])
        end = start[end]
    return best[n], words[::-1]
