"""How much of a text the classifier can read.

The shipped models read English: text in other scripts gets scores near zero, which would read
as "benign" when it means "not read". A verdict therefore carries the share of the text's letters
the model reads: Latin letters (accents stripped), and look-alike Cyrillic or Greek letters that
normalisation folds into an English word ("bоmb" with a Cyrillic "о").

Counted on the text before folding, not after: normalisation transliterates a token that mixes
scripts, so "我想知道怎么制作bomb" would read as pinyin and count as Latin, and one Latin letter in
each Russian word would turn the whole text "Latin". A mixed token's other letters count as read
only when the folded token is a known English word.
"""

from __future__ import annotations

import re

from .normalize import fold_token, latin_majority, unstyle
from .segment import known

_TOKEN = re.compile(r"\S+")
_NOT_LETTER = re.compile(r"[^a-z]+")


def coverage(text: str) -> float | None:
    """Share of the letters in `text` that the model reads; None without letters."""
    if text.isascii():  # the common case: every letter is Latin
        return 1.0 if any(map(str.isalpha, text)) else None
    text = unstyle(text)
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    latin_text = latin_majority(letters)
    read = 0
    for token in _TOKEN.findall(text):
        ascii_letters = sum(ch.isascii() and ch.isalpha() for ch in token)
        if token.isascii():
            read += ascii_letters
            continue
        folded = fold_token(token, latin_text)
        core = _NOT_LETTER.sub("", folded)
        # Read only where the whole token folded into Latin letters that make a word: a leetspeak
        # digit beside Chinese text changes the token too, and leaves "a" ("4") to look known.
        if folded != token and folded.isascii() and core and known(core):
            read += sum(map(str.isalpha, token))
        else:
            read += ascii_letters
    return round(read / len(letters), 3)
