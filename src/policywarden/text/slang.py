"""Coined words that stand for a filtered word, read as that word (`slang.txt`): "unalive
yourself" is "kill yourself", "seggs" is "sex". A hand-written list of coinages that mean
nothing else; see its header for what is left out and why.

Read before leetspeak is undone and again after, where it hid one ("s3ggs", "unal1ve"), though
not from a number before a word ("5eggs" is five eggs, not "seggs"). Read in any case; a curly
apostrophe counts as a straight one. A stretched word is read as a coinage's word where no
listed word fits ("seggggs": `coined`)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from policywarden.text.segment import listed

_SEPARATORS = "\u2010\u2011-"  # hyphens, besides white space
_APOSTROPHE = str.maketrans("’", "'")  # one character for one: offsets stay the same


def _squeezed(coinage: str) -> str:
    return "".join(ch for ch in coinage.lower().translate(_APOSTROPHE) if not ch.isspace() and ch not in _SEPARATORS)


def _key(words: list[str]) -> str:
    """The piece of a coinage its quick search looks for: its first word that is no listed word
    ("sa'd" of "got sa'd", "urself"), else its first of four letters or more ("neck"): a common
    word here ("got", "was") would send most texts on to the pattern."""
    word = next((w for w in words if not listed(w)), None) or next((w for w in words if len(w) >= 4), words[0])
    return word[:5]


def _entries() -> list[tuple[list[str], str]]:
    """(the coinage's words, its reading) for each line of slang.txt, checked."""
    out = []
    text = files("policywarden.text").joinpath("slang.txt").read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        coinage, sep, reading = line.partition("\t")
        words = coinage.split()
        if not sep or not words or not reading.strip() or coinage != coinage.lower():
            raise ValueError(f"slang.txt:{n}: expected 'coinage<TAB>reading', the coinage in lower case")
        out.append((words, reading.strip()))
    return out


@lru_cache(maxsize=1)
def _table() -> tuple[re.Pattern[str], dict[str, str], tuple[str, ...]]:
    readings: dict[str, str] = {}  # by the coinage without spaces or hyphens
    coinages: list[str] = []
    keys: set[str] = set()  # a piece of each coinage, every way it is written: a quick search first
    for words, reading in _entries():
        readings[_squeezed("".join(words))] = reading
        # "sewer slide", "sewer-slide", "sewerslide", "Sewer  Slide"
        coinages.append(rf"(?:[\s{_SEPARATORS}]+)?".join(map(re.escape, words)))
        keys.add(_key(words))
    # Longest first ("sewer slides" before "sewer slide"); whole words only: not in "skys", not
    # a word's part before or after an apostrophe, nor a file or domain name ("sudoku.py").
    alternatives = "|".join(sorted(coinages, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?<!\w')(?:{alternatives})(?!\w)(?!'\w)(?!\.\w)", re.IGNORECASE)
    return pattern, readings, tuple(sorted(keys))


@lru_cache(maxsize=1)
def _coined_words() -> frozenset[str]:
    return frozenset(w for words, _ in _entries() for w in words)


def coined(word: str) -> bool:
    """Whether `word` (lower case) is a word of a listed coinage ("seggs", "urself"): a
    stretched word may be read as one ("seggggs", "urselffff")."""
    return word.translate(_APOSTROPHE) in _coined_words()


def coinage(word: str) -> bool:
    """Whether `word` alone is a listed coinage ("seggs", "unalive", "sewerslide"), not only a
    word of one ("alive" of "un alive", "bath" of "toaster bath")."""
    return _squeezed(word) in _table()[1]


def unslang(text: str) -> str:
    """`text` with each listed coinage read as its words."""
    pattern, readings, keys = _table()
    plain = text.translate(_APOSTROPHE)
    lowered = plain.lower()
    if not any(k in lowered for k in keys):  # most texts hold none: a few substring searches, not a regex scan
        return text
    out, last = [], 0
    for m in pattern.finditer(plain):
        out += [text[last : m.start()], readings[_squeezed(m.group(0))]]
        last = m.end()
    return "".join(out) + text[last:] if out else text
