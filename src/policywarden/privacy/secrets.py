"""The server's master secret, and the keys derived from it.

Production sets `POLICYWARDEN_SECRET_KEY` (and, to rotate evidence keys, `POLICYWARDEN_EVIDENCE_KEYS`)
from a secrets manager. On embedded defaults the secret is generated once into a file readable
only by its owner, so that a laptop install works with nothing configured.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretError(RuntimeError):
    pass


def decode_secret(value: str) -> bytes:
    raw = value.strip().encode()
    try:
        data = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except ValueError:
        data = b""
    if len(data) >= 32:
        return data
    if len(raw) >= 32:  # a long passphrase is accepted as it is
        return raw
    raise SecretError("POLICYWARDEN_SECRET_KEY must be at least 32 bytes (e.g. `policywarden secret new`)")


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def load_or_create(path: str | Path) -> bytes:
    """Read the secret file, or create it (mode 0600) if it does not exist. Safe when several
    worker processes start at once: exactly one creates it, the others read it."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise SecretError(f"cannot create the secret file {p}: {exc.strerror}") from None
    else:
        with os.fdopen(fd, "w") as f:
            f.write(new_secret() + "\n")
    for _ in range(50):  # another process may be between creating and writing it
        try:
            text = p.read_text().strip()
        except OSError as exc:
            raise SecretError(f"cannot read the secret file {p}: {exc.strerror}") from None
        if text:
            return decode_secret(text)
        import time

        time.sleep(0.02)
    raise SecretError(f"the secret file {p} is empty")


def derive(secret: bytes, purpose: str, length: int = 32) -> bytes:
    """An independent key for one purpose (pseudonyms, evidence, sessions), by HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=f"policywarden:{purpose}".encode()).derive(secret)


def fernet_key(secret: bytes, purpose: str = "evidence") -> str:
    return base64.urlsafe_b64encode(derive(secret, purpose)).decode()
