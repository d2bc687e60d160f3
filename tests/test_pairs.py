"""The word pairs that read disemvowelled text back in context (training/build_pairs.py)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from build_pairs import OUT, count_pairs  # noqa: E402


def test_pairs_are_counted_between_known_words_only():
    pairs = count_pairs(["Create a fake news story, create a fake one.", "zzqx create a"])
    assert pairs[("create", "a")] == 3 and pairs[("a", "fake")] == 2
    assert pairs[("story", "create")] == 1  # punctuation does not part neighbours
    assert not any("zzqx" in pair for pair in pairs)  # not a word: it pairs with nothing
    assert ("fake", "one") in pairs and ("one", "zzqx") not in pairs


def test_shipped_pairs_are_deterministic_text():
    lines = gzip.decompress(OUT.read_bytes()).decode("utf-8").splitlines()
    assert lines[0].startswith("# word pairs seen at least 3 times")
    rows = [line.split(" ") for line in lines[1:]]
    assert len(rows) > 100_000 and all(len(r) == 3 and int(r[2]) >= 3 for r in rows)
    assert rows == sorted(rows, key=lambda r: (r[0], r[1]))
