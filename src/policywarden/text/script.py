"""How much of a text the classifier can read.

The shipped models read English: text in other scripts passes normalisation unchanged and gets
scores near zero, which would read as "benign" when it means "not read". A verdict therefore
carries the share of the text's letters that are Latin once normalised (look-alike letters
folded, accents stripped), so an operator can route the rest to another reviewer or backend.
"""

from __future__ import annotations

from .normalize import normalize

_SAMPLE = 20_000  # characters: a share, not a count, so a long text's opening is enough


def latin_share(text: str) -> float | None:
    """Share of the letters in `text` that are Latin after normalisation; None without letters."""
    letters = [ch for ch in normalize(text[:_SAMPLE]) if ch.isalpha()]
    if not letters:
        return None
    return round(sum(ch.isascii() for ch in letters) / len(letters), 3)
