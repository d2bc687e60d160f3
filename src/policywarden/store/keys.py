"""API keys: 256 random bits, shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from .models import ApiKey

KEY_PREFIX = "pw_"


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime | None
    revoked_at: datetime | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(row.id, row.name, row.prefix, row.role, row.created_at, row.revoked_at)


class KeyStore:
    def __init__(self, session_factory: sessionmaker[Session]):
        self.sessions = session_factory

    def create(self, name: str, role: str = "client") -> tuple[str, KeyInfo]:
        """Returns the key (shown once) and its record."""
        key = KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        with self.sessions.begin() as s:
            row = ApiKey(name=name, prefix=key[:10], key_sha256=_digest(key), role=role)
            s.add(row)
            s.flush()
            return key, _info(row)

    def verify(self, key: str) -> KeyInfo | None:
        """The active key's record, or None. Looked up by digest, so the key never meets a comparison."""
        with self.sessions() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.key_sha256 == _digest(key), ApiKey.revoked_at.is_(None)))
            return _info(row) if row else None

    def any_active(self) -> bool:
        with self.sessions() as s:
            return bool(s.scalar(select(exists().where(ApiKey.revoked_at.is_(None)))))

    def any_created(self) -> bool:
        """Whether a key was ever created: once one was, revoking it does not reopen the API."""
        with self.sessions() as s:
            return bool(s.scalar(select(exists().where(ApiKey.id.isnot(None)))))

    def list(self) -> list[KeyInfo]:
        with self.sessions() as s:
            return [_info(r) for r in s.scalars(select(ApiKey).order_by(ApiKey.id))]

    def revoke(self, key_id: int) -> bool:
        with self.sessions.begin() as s:
            row = s.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = datetime.now(timezone.utc)
            return True
