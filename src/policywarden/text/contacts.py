"""A text without its contact details, for scoring it a second time.

A phone number or an e-mail address appended to a short violating request dilutes it below
its thresholds (and the spam data taught the models that contact details go with
scams). A short text is therefore also scored with them cut out; the verdict takes the maximum,
so the cut can only restore a score, never lower one. Patterns, not validation (that is
`privacy.redact`'s job, at a millisecond a text): cutting an order number out as well costs
nothing here.
"""

from __future__ import annotations

import re

# Links are left in: cut out of tweets, they left offensive-but-allowed text that scored higher
# (two new false positives in the held-out Davidson tweets). So are dates and US social security
# numbers, whose removal left "His social security number is" (flagged under privacy.compromise).
_CONTACT = re.compile(
    r"(?i)(?<![\w.+-])[\w.+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,24}\b"  # an e-mail address
    r"|(?<![\w+])(?!\d{4}-\d\d-\d\d\b|\d{3}-\d\d-\d{4}\b)\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?!\w)"  # a phone number: 7 to 15 digits
)
_WS = re.compile(r"\s+")


def without_contacts(text: str) -> str:
    """`text` with e-mail addresses and phone numbers removed (itself when it has none)."""
    if "@" not in text and sum(map(str.isdigit, text)) < 7:
        return text
    bare = _CONTACT.sub(" ", text)
    return text if bare == text else _WS.sub(" ", bare).strip()
