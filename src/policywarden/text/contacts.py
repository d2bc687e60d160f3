"""A text without its contact details, for scoring it a second time.

A phone number, an e-mail address or a link appended to a short violating request dilutes it
below its thresholds (and the spam data taught the models that contact details go with
scams). A short text is therefore also scored with them cut out; the verdict takes the maximum,
so the cut can only restore a score, never lower one.
"""

from __future__ import annotations

import re

from ..privacy.redact import find

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_WS = re.compile(r"\s+")


def without_contacts(text: str) -> str:
    """`text` with e-mail addresses, phone numbers and links removed (itself when it has none)."""
    spans = [(s, e) for s, e, _ in find(text, kinds=("email", "phone"))]
    spans += [m.span() for m in _URL.finditer(text)]
    if not spans:
        return text
    out, last = [], 0
    for start, end in sorted(spans):
        if start >= last:
            out.append(text[last:start])
            last = end
        else:
            last = max(last, end)  # a link that holds an address
    out.append(text[last:])
    return _WS.sub(" ", "".join(out)).strip()
