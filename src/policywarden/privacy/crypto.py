"""Evidence encryption at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a list of keys.

The first key encrypts; every key decrypts, so keys rotate without downtime: put the new key
first, keep the old one after it, run `policywarden evidence rotate`, then drop the old one.
"""

from __future__ import annotations

import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyError_(ValueError):
    """A key is malformed, or stored data was encrypted under a key that is no longer configured."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def key_id(key: str) -> str:
    """A short fingerprint that names a key without revealing it."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


class EvidenceCipher:
    def __init__(self, keys: list[str]):
        if not keys:
            raise KeyError_("at least one evidence key is needed")
        try:
            self._fernets = [Fernet(k.encode() if isinstance(k, str) else k) for k in keys]
        except (ValueError, TypeError):
            raise KeyError_("an evidence key is not a valid Fernet key (32 url-safe base64-encoded bytes)") from None
        self._multi = MultiFernet(self._fernets)
        self.key_ids = [key_id(k) for k in keys]

    @property
    def primary_key_id(self) -> str:
        return self.key_ids[0]

    def encrypt(self, text: str) -> str:
        return self._multi.encrypt(text.encode("utf-8", "surrogatepass")).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode()).decode("utf-8", "surrogatepass")
        except InvalidToken:
            raise KeyError_("stored data was encrypted under a key that is not configured any more") from None

    def rotate(self, token: str) -> str:
        """The same plaintext, re-encrypted under the primary key."""
        try:
            return self._multi.rotate(token.encode()).decode()
        except InvalidToken:
            raise KeyError_("stored data was encrypted under a key that is not configured any more") from None
