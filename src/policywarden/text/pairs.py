"""How often one word followed another in the training texts (`pairs.txt.gz`, written by
`training/build_pairs.py`): the context by which a guessed word is chosen among its readings
(`vowels`, `normalize`'s emoji in the place of a letter). Pure: reads only a packaged file, once,
on first use (0.3 s, 12 MB; some 140,000 pairs)."""

from __future__ import annotations

import gzip
import math
import re
from functools import cache
from importlib.resources import files

# A reading's cost is its `segment.word_cost` less this much times log(1 + pairs seen) with each
# neighbour. On disemvowelled texts of a tenth of the training split, pairs counted on the rest,
# 86.4% of their vowelless words read right, against 74.0% as the commonest spelling alone; in a
# first version of the reader weights 2 and 4 came within 0.3 pt of 3.
PAIR_WEIGHT = 3.0
# A word, as the pairs were counted and as the readers look them up.
WORD = re.compile(r"[^\W\d_]+")


@cache
def _pairs() -> dict[str, float]:
    """`"first second"` -> log(1 + how often the pair was seen), for pairs seen often enough."""
    raw = files("policywarden.text").joinpath("pairs.txt.gz").read_bytes()
    out: dict[str, float] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            first, second, count = line.split(" ")
            out[f"{first} {second}"] = math.log1p(int(count))
    return out


def followed(first: str, second: str) -> float:
    """log(1 + how often `second` followed `first`) in the training texts (lower case); 0.0 for a
    pair seen fewer than three times."""
    return _pairs().get(f"{first} {second}", 0.0)
