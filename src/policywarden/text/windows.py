"""Split long text into overlapping windows so it is scored whole, never truncated."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\S+")


def windows(text: str, size: int = 256, overlap: int = 64) -> list[str]:
    """Overlapping windows of at most `size` words; a text of `size` words or fewer is one window.

    Overlap keeps a phrase that straddles a boundary whole in at least one window.
    """
    if size <= overlap:
        raise ValueError("window size must exceed the overlap")
    spans = [m.span() for m in _TOKEN.finditer(text)]
    if len(spans) <= size:
        return [text]
    out = []
    step = size - overlap
    for start in range(0, len(spans), step):
        chunk = spans[start : start + size]
        out.append(text[chunk[0][0] : chunk[-1][1]])
        if start + size >= len(spans):
            break
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def sentences(text: str, min_words: int = 3) -> list[str]:
    """Sentences (split at end punctuation or line breaks) of at least `min_words` words."""
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.split()) >= min_words]


_PARAGRAPH_END = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def paragraphs(text: str, min_words: int = 3) -> list[str]:
    """Paragraphs (split at blank lines) of at least `min_words` words."""
    return [p.strip() for p in _PARAGRAPH_END.split(text) if len(p.split()) >= min_words]


# A capitalised word straight after a lower-case one, a comma or a semicolon: where a sentence
# may have been run into the one before it without its full stop ("... was fine How do I ...").
_RUN_ON = re.compile(r"(?<=[a-z,;])\s+(?=[A-Z][a-z]+\b)")


# Capitalised words that open a sentence far more often than they name anything: pronouns,
# determiners, question words, auxiliaries, conjunctions, interjections and the verbs requests
# open with. After a lower-case word, a digit, a comma, a semicolon or a colon one of these most
# likely starts a sentence run into the text before it ("... jelly beans to How do I ..."); a
# capitalised name ("... we met Anna at ...") does not. "I" and "A" are left out: mid-sentence
# ("so yesterday I went", "Plan A") they start nothing, and they would read most texts' clauses.
_OPENERS = (
    "How What Why Where When Who Which Can Could Would Should Will Is Are Do Does Did You We They "
    "He She It My Our Your This That These Those There Here The An Some Any All Every Each If So "
    "But And Or Then Now Just No Yes Yeah Yup Oh Please Let Write Create Give Tell Explain Describe "
    "Generate Make List Help Show Provide Draft Compose Publish Draw Design Develop Find Teach "
    "Suggest Ignore"
).split()
_RUN_ON_OPENER = re.compile(rf"(?<=[a-z0-9,;:])\s+(?=(?:{'|'.join(_OPENERS)})\b)")


def clauses(text: str, max_words: int, min_words: int = 3, openers: bool = False) -> list[str]:
    """Each stretch of a sentence from such a capitalised word to the sentence's end, cut at
    `max_words` words, of at least `min_words`. With `openers`, only those from a word that
    usually opens a sentence (`_OPENERS`), after a lower-case word, digit, comma, semicolon or colon."""
    out = []
    run_on = _RUN_ON_OPENER if openers else _RUN_ON
    for sentence in sentences(text, min_words):
        for m in run_on.finditer(sentence):
            words = sentence[m.end() :].split()[:max_words]
            if len(words) >= min_words:
                out.append(" ".join(words))
    return out


# A template's label that a piece of text opens with ("Question:", "Q:", "Task:", "My question
# is:", "Here is what I need:"). Ordinary training texts in such templates ("Question: ...
# Answer:") taught the models that the label is benign. Only these labels: a label in general
# gives context the rest needs ("To dice an onion: halve it ...", "archery q: ... shooting").
_LABEL = re.compile(
    r"\A\s*(?:(?:(?:my|the|your|our|user|next|new)\s+)?"
    r"(?:question|q|query|task|request|prompt|instructions?|input|human|user)(?:\s+is)?"
    r"|here(?:\s+is|'s|’s)\s+(?:what\s+i\s+need|my\s+(?:question|request|task)))\s*:\s+(?=\S)",
    re.IGNORECASE)


def after_label(text: str, min_words: int = 3) -> str | None:
    """What follows a template's label and colon that `text` opens with, if it is `min_words`
    words or more; else None."""
    m = _LABEL.match(text)
    if m is None:
        return None
    rest = text[m.end() :]
    return rest if len(rest.split()) >= min_words else None
