"""Who may see or change which subject: admin keys everything, a project's client keys their
own key, their project and their project's end users. With auth off (or no key created yet
under `auth=auto`) the server is open and the caller acts as an admin."""

from __future__ import annotations

from fastapi import Request

from ..store.keys import KeyInfo
from ..store.ledger import LedgerError, SubjectKey
from .errors import ApiError


def is_admin(key: KeyInfo | None) -> bool:
    return key is None or key.is_admin


def require_admin(key: KeyInfo | None) -> None:
    if not is_admin(key):
        raise ApiError(403, "This operation needs an admin API key.", code="admin_required")


def parse_subject(text: str) -> SubjectKey:
    try:
        return SubjectKey.parse(text)
    except LedgerError as exc:
        raise ApiError(400, str(exc), param="subject", code="invalid_subject") from None


def may_access(key: KeyInfo | None, subject: SubjectKey) -> bool:
    if is_admin(key):
        return True
    if subject.kind == "key":
        return subject.ref == str(key.id)
    return key.project_id is not None and subject.scope == key.project_id


def check_access(key: KeyInfo | None, subject: SubjectKey) -> None:
    # Not 403: a client must not learn whether another project's subject exists.
    if not may_access(key, subject):
        raise ApiError(404, f"No record of {subject} for this key.", param="subject", code="not_found")


def project_for(key: KeyInfo | None, requested: int | None) -> int | None:
    """The project a call acts in: the key's own; an admin may name any."""
    if requested is None:
        return key.project_id if key else None
    if is_admin(key) or (key and key.project_id == requested):
        return requested
    raise ApiError(403, f"This key cannot act for project {requested}.", param="project", code="project_forbidden")


def idempotency(request: Request, key: KeyInfo | None) -> tuple[str, str] | None:
    value = request.headers.get("idempotency-key")
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 200:
        raise ApiError(400, "Idempotency-Key must be 1 to 200 characters.", param="Idempotency-Key", code="invalid_idempotency_key")
    return (f"key:{key.id}" if key else "open", value)
