"""Appeal tokens and report references: the public's only keys to their appeal or report.

An appeal token names one action and carries a 128-bit HMAC of it under a key derived from
the master secret: it is handed out in the action's notice, needs no storage, and cannot be
forged or guessed for another action. A report reference is 128 random bits shown once to the
reporter; the database keeps its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_APPEAL = re.compile(r"^pwa_(\d{1,12})_([A-Za-z0-9_-]{22})$")
_REFERENCE = re.compile(r"^pwr_[A-Za-z0-9_-]{22}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class AppealTokens:
    def __init__(self, key: bytes):
        self._key = key

    def _mac(self, action_id: int) -> str:
        return _b64(hmac.new(self._key, f"appeal:{action_id}".encode(), hashlib.sha256).digest()[:16])

    def issue(self, action_id: int) -> str:
        return f"pwa_{action_id}_{self._mac(action_id)}"

    def action_id(self, token: str | None) -> int | None:
        """The action a genuine token names; None for anything else."""
        m = _APPEAL.match((token or "").strip())
        if not m:
            return None
        action_id = int(m.group(1))
        return action_id if hmac.compare_digest(self._mac(action_id), m.group(2)) else None


def new_reference() -> str:
    return "pwr_" + secrets.token_urlsafe(16)


def reference_digest(reference: str | None) -> str | None:
    ref = (reference or "").strip()
    return hashlib.sha256(ref.encode()).hexdigest() if _REFERENCE.match(ref) else None
