"""Coined words that stand for a filtered word, read as that word (`slang.txt`): "unalive
yourself" is "kill yourself", "seggs" is "sex". A hand-written list of coinages that mean
nothing else; see its header for what is left out and why."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files


def _squeezed(coinage: str) -> str:
    return coinage.replace(" ", "").replace("-", "")


@lru_cache(maxsize=1)
def _table() -> tuple[re.Pattern[str], dict[str, str], tuple[str, ...]]:
    readings: dict[str, str] = {}  # by the coinage without spaces or hyphens
    coinages: list[str] = []
    keys: set[str] = set()  # a piece of each coinage, every way it is written: a quick search first
    text = files("policywarden.text").joinpath("slang.txt").read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        coinage, sep, reading = line.partition("\t")
        words = coinage.split()
        if not sep or not words or not reading.strip() or coinage != coinage.lower():
            raise ValueError(f"slang.txt:{n}: expected 'coinage<TAB>reading', the coinage in lower case")
        readings[_squeezed("".join(words))] = reading.strip()
        keys.add(next((w for w in words if len(w) >= 3), words[0])[:5])
        coinages.append(r"[ \-]?".join(map(re.escape, words)))  # "sewer slide", "sewer-slide", "sewerslide"
    # Longest first ("sewer slides" before "sewer slide"); whole words only, not in "skys".
    alternatives = "|".join(sorted(coinages, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’])(?:{alternatives})(?![\w'’])"), readings, tuple(sorted(keys))


def unslang(text: str) -> str:
    """`text` (lower case, as `normalize` folds it) with each listed coinage read as its words."""
    pattern, readings, keys = _table()
    if not any(k in text for k in keys):  # most texts hold none: a few substring searches, not a regex scan
        return text
    return pattern.sub(lambda m: readings[_squeezed(m.group(0))], text)
