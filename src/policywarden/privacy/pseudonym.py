"""End users known only by a keyed hash of the id the integrator sends.

The same id in the same project always gives the same pseudonym, so strikes add up; without
the key nobody can test a guessed id against the stored pseudonyms. Ids from different projects
never collide, because the project is hashed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "u_"
MAX_ID_CHARS = 512


class Pseudonymiser:
    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key

    def __call__(self, project: int, external_id: str) -> str:
        if not isinstance(external_id, str) or not external_id.strip():
            raise ValueError("an end-user id must be a non-empty string")
        if len(external_id) > MAX_ID_CHARS:
            raise ValueError(f"an end-user id must be at most {MAX_ID_CHARS} characters")
        msg = f"{project}\x00{external_id}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, msg, hashlib.sha256).digest()[:20]
        return PREFIX + base64.b32encode(digest).decode().rstrip("=").lower()
