"""What the ledger takes and gives: subjects, reports of violations, results, and errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from ..enforce.standing import ActionView, Standing
from .models import EnforcementAction

SOURCES = ("classifier", "event", "report", "review")


class LedgerError(Exception):
    status = 400
    code = "ledger_error"


class NotFound(LedgerError):
    status = 404
    code = "not_found"


class Conflict(LedgerError):
    status = 409
    code = "conflict"


class LegalHold(Conflict):
    code = "legal_hold"


@dataclass(frozen=True)
class SubjectKey:
    """A subject as the ledger knows it. End users are known by `ref`, a keyed hash."""

    kind: str  # key, project, user
    scope: int  # the project id; 0 for server-wide
    ref: str

    def __str__(self) -> str:
        return f"user:{self.scope}:{self.ref}" if self.kind == "user" else f"{self.kind}:{self.ref}"

    @classmethod
    def parse(cls, text: str) -> SubjectKey:
        """Inverse of str(): 'key:12', 'project:3', 'user:3:u_…'."""
        kind, _, rest = text.partition(":")
        if kind == "user":
            scope, _, ref = rest.partition(":")
            if scope.isdigit() and ref:
                return cls("user", int(scope), ref)
        elif kind in ("key", "project") and rest.isdigit():
            return cls(kind, int(rest) if kind == "project" else 0, rest)
        raise LedgerError(f"not a subject: {text[:80]!r} (expected key:ID, project:ID or user:PROJECT:PSEUDONYM)")


@dataclass(frozen=True)
class Hit:
    category: str
    severity: str
    score: float


@dataclass(frozen=True)
class ViolationReport:
    """What to record. `content` is the raw text: only a masked, encrypted excerpt is kept."""

    subject: SubjectKey
    hits: Sequence[Hit]
    policy_id: str
    policy_revision: str
    source: str = "classifier"
    verdict_action: str = "flag"
    surface: str = "input"
    model_version: str | None = None
    reporting: Sequence[str] = ()
    content: str | None = None
    actor: str = "system"
    external_id: str | None = None  # the integrator's own id for an end user, stored encrypted

    def fingerprint(self) -> str:
        """What an idempotency key is bound to: the same key with other content is refused."""
        body = json.dumps(
            [str(self.subject), sorted((h.category, round(h.score, 6)) for h in self.hits), self.source,
             self.verdict_action, self.surface, self.policy_revision, self.content or ""],
            ensure_ascii=False,
        )
        return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class RecordResult:
    violation_id: int
    subject: str
    points: float
    active_points: float
    actions: list[dict]
    standing: Standing
    replayed: bool = False

    def to_dict(self) -> dict:
        return {
            "violation_id": self.violation_id,
            "subject": self.subject,
            "points": self.points,
            "active_points": self.active_points,
            "actions": self.actions,
            "standing": self.standing.to_dict(),
        }


@dataclass
class Evidence:
    """Turns raw content into a stored excerpt: masked, then encrypted."""

    cipher: object  # privacy.EvidenceCipher
    make_excerpt: object  # (text, max_chars) -> (masked_text, counts)

    def seal(self, content: str, max_chars: int) -> tuple[str | None, str | None, dict]:
        if not content or max_chars <= 0:
            return None, None, {}
        text, counts = self.make_excerpt(content, max_chars)
        return self.cipher.encrypt(text), self.cipher.primary_key_id, counts

    def open(self, token: str | None) -> str | None:
        return self.cipher.decrypt(token) if token else None


def action_dict(a: EnforcementAction, subject: str) -> dict:
    return {
        "id": a.id,
        "subject": subject,
        "kind": a.kind,
        "status": a.status,
        "interim": a.interim,
        "reason": a.reason,
        "restrictions": a.restrictions or {},
        "step": a.step,
        "violation_id": a.violation_id,
        "policy_revision": a.policy_revision,
        "created_by": a.created_by,
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "effective_at": a.effective_at.isoformat() if a.effective_at else None,
        "expires_at": a.expires_at.isoformat() if a.expires_at else None,
        "decided_by": a.decided_by,
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
    }


def _view(a: EnforcementAction, subject: str) -> ActionView:
    return ActionView(a.id, subject, a.kind, a.status, a.expires_at, a.restrictions or {}, a.reason, a.interim)
