"""API keys: 256 random bits, shown once, stored as SHA-256, with a role and a project;
revocable, and rotatable with an overlap during which the old key still works."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from . import audit
from .models import ApiKey, Organisation, Project
from .types import utcnow

KEY_PREFIX = "pw_"
ROLES = ("client", "admin")


class KeyStoreError(ValueError):
    pass


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime | None
    revoked_at: datetime | None
    project_id: int | None = None
    expires_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(row.id, row.name, row.prefix, row.role, row.created_at, row.revoked_at, row.project_id, row.expires_at)


def _new_key() -> str:
    return KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


class KeyStore:
    """`write` sessions take the write lock up front on SQLite (see store.db): changes append
    to the audit chain, which must not fork."""

    def __init__(self, session_factory: sessionmaker[Session], write: sessionmaker[Session] | None = None,
                 cache_seconds: float = 0.0):
        self.sessions = session_factory
        self.write = write or session_factory
        self.cache_seconds = cache_seconds
        self._created = False  # once a key exists it always has: no need to ask again
        self._cache: dict[str, tuple[KeyInfo, float]] = {}

    def create(self, name: str, role: str = "client", project_id: int | None = None, actor: str = "operator") -> tuple[str, KeyInfo]:
        """Returns the key (shown once) and its record."""
        if role not in ROLES:
            raise KeyStoreError(f"role must be one of {', '.join(ROLES)}")
        key = _new_key()
        with self.write.begin() as s:
            if project_id is not None and s.get(Project, project_id) is None:
                raise KeyStoreError(f"no project {project_id}")
            row = ApiKey(name=name, prefix=key[:10], key_sha256=_digest(key), role=role, project_id=project_id)
            s.add(row)
            s.flush()
            audit.append(s, actor, "key.created", f"key:{row.id}", None, {"name": name, "role": role, "project": project_id})
            return key, _info(row)

    def rotate(self, key_id: int, overlap: timedelta = timedelta(hours=24), actor: str = "operator") -> tuple[str, KeyInfo]:
        """A new key with the old one's name, role and project; the old key keeps working for
        `overlap` so that clients can switch without an outage."""
        key = _new_key()
        with self.write.begin() as s:
            old = s.get(ApiKey, key_id, with_for_update=True)
            if old is None or old.revoked_at is not None:
                raise KeyStoreError(f"no active key with id {key_id}")
            now = utcnow()
            ends = now + overlap
            if old.expires_at is None or old.expires_at > ends:
                old.expires_at = ends
            row = ApiKey(name=old.name, prefix=key[:10], key_sha256=_digest(key), role=old.role, project_id=old.project_id)
            s.add(row)
            s.flush()
            audit.append(s, actor, "key.rotated", f"key:{key_id}", None, {"new_key": row.id, "old_expires_at": old.expires_at.isoformat()})
            return key, _info(row)

    def verify(self, key: str) -> KeyInfo | None:
        """The active key's record, or None. Looked up by digest, so the key never meets a comparison.

        A valid key is remembered for `cache_seconds`, so a busy client costs no query per call;
        a revocation made in another process therefore takes up to that long to bite."""
        digest = _digest(key)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and hit[1] > now and (hit[0].expires_at is None or hit[0].expires_at > utcnow()):
            return hit[0]
        with self.sessions() as s:
            row = s.scalar(
                select(ApiKey).where(
                    ApiKey.key_sha256 == digest,
                    ApiKey.revoked_at.is_(None),
                    or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > utcnow()),
                )
            )
            info = _info(row) if row else None
        if info is not None:
            if len(self._cache) >= 10_000:
                self._cache.clear()
            self._cache[digest] = (info, now + self.cache_seconds)
        return info

    def any_active(self) -> bool:
        with self.sessions() as s:
            return bool(s.scalar(select(exists().where(ApiKey.revoked_at.is_(None)))))

    def any_created(self) -> bool:
        """Whether a key was ever created: once one was, revoking it does not reopen the API."""
        if not self._created:
            with self.sessions() as s:
                self._created = bool(s.scalar(select(exists().where(ApiKey.id.isnot(None)))))
        return self._created

    def list(self, project_id: int | None = None) -> list[KeyInfo]:
        with self.sessions() as s:
            q = select(ApiKey).order_by(ApiKey.id)
            if project_id is not None:
                q = q.where(ApiKey.project_id == project_id)
            return [_info(r) for r in s.scalars(q)]

    def revoke(self, key_id: int, actor: str = "operator") -> bool:
        with self.write.begin() as s:
            row = s.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = utcnow()
            self._cache.pop(row.key_sha256, None)
            audit.append(s, actor, "key.revoked", f"key:{key_id}", None, {})
            return True


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    name: str
    organisation: str


class Tenants:
    """Organisations and their projects: who a key acts for, and whose end users it names."""

    def __init__(self, session_factory: sessionmaker[Session], write: sessionmaker[Session] | None = None):
        self.sessions = session_factory
        self.write = write or session_factory

    def create_project(self, organisation: str, name: str) -> ProjectInfo:
        """Creates the organisation too when it is new."""
        if not organisation.strip() or not name.strip():
            raise KeyStoreError("organisation and project names must not be empty")
        with self.write.begin() as s:
            org = s.scalar(select(Organisation).where(Organisation.name == organisation))
            if org is None:
                org = Organisation(name=organisation, created_at=utcnow())
                s.add(org)
                s.flush()
            if s.scalar(select(Project).where(Project.org_id == org.id, Project.name == name)):
                raise KeyStoreError(f"organisation {organisation!r} already has a project {name!r}")
            p = Project(org_id=org.id, name=name, created_at=utcnow())
            s.add(p)
            s.flush()
            return ProjectInfo(p.id, p.name, org.name)

    def projects(self) -> list[ProjectInfo]:
        with self.sessions() as s:
            rows = s.execute(select(Project, Organisation.name).join(Organisation).order_by(Project.id)).all()
            return [ProjectInfo(p.id, p.name, org) for p, org in rows]

    def get(self, project_id: int) -> ProjectInfo | None:
        with self.sessions() as s:
            row = s.execute(select(Project, Organisation.name).join(Organisation).where(Project.id == project_id)).first()
            return ProjectInfo(row[0].id, row[0].name, row[1]) if row else None
