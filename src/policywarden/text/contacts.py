"""A text without its contact details, for scoring it a second time.

A phone number, an e-mail address or a link appended to a short violating request dilutes it
below its thresholds (and the spam data taught the models that contact details go with
scams). A short text is therefore also scored with them cut out; the verdict takes the maximum,
so the cut can only restore a score, never lower one. Patterns, not validation (that is
`privacy.redact`'s job, at a millisecond a text): cutting an order number out as well costs
nothing here.
"""

from __future__ import annotations

import re

_CONTACT = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+"  # a link (first: it may hold an address)
    r"|(?<![\w.+-])[\w.+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,24}\b"  # an e-mail address
    r"|(?<![\w+])(?!\d{4}-\d\d-\d\d\b)\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?!\w)"  # a phone number: 7 to 15 digits, not a date
)
_WS = re.compile(r"\s+")


def without_contacts(text: str) -> str:
    """`text` with e-mail addresses, phone numbers and links removed (itself when it has none)."""
    if "@" not in text and "ww" not in text and sum(map(str.isdigit, text)) < 7:
        return text
    bare = _CONTACT.sub(" ", text)
    return text if bare == text else _WS.sub(" ", bare).strip()
