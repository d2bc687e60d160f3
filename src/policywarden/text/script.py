"""How much of a text the classifier can read.

The shipped models read English: text in other scripts passes normalisation unchanged and gets
scores near zero, which would read as "benign" when it means "not read". A verdict therefore
carries the share of the text's letters that are Latin once normalised (look-alike letters
folded, accents stripped), so an operator can route the rest to another reviewer or backend.
"""

from __future__ import annotations

from collections.abc import Iterable


def latin_share(normalised: Iterable[str]) -> float | None:
    """Share of the letters in these normalised pieces that are Latin; None without letters."""
    letters = latin = 0
    for piece in normalised:
        if piece.isascii():  # the common case, counted without a loop in Python over characters
            n = sum(map(str.isalpha, piece))
            letters, latin = letters + n, latin + n
            continue
        for ch in piece:
            if ch.isalpha():
                letters += 1
                latin += ch.isascii()
    return round(latin / letters, 3) if letters else None
