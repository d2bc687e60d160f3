"""Standing: whether a key, project or end user may be served now, why, and until when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .ladder import rank

_STATUS = {-1: "good", 0: "warned", 1: "restricted", 2: "suspended", 3: "terminated"}


@dataclass(frozen=True)
class ActionView:
    id: int
    subject: str
    kind: str
    status: str  # pending, active, lifted, rejected
    expires_at: datetime | None = None
    restrictions: dict = field(default_factory=dict)
    reason: str = ""
    interim: bool = False

    def in_force(self, now: datetime) -> bool:
        return self.status == "active" and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class Standing:
    subject: str
    allowed: bool
    status: str  # good, warned, restricted, suspended, terminated
    until: datetime | None = None
    reason: str | None = None
    action_id: int | None = None
    restrictions: dict = field(default_factory=dict)
    pending_review: bool = False  # an action awaits a person's decision

    def to_dict(self) -> dict:
        return {
            "subject": self.subject,
            "allowed": self.allowed,
            "status": self.status,
            "until": self.until.isoformat() if self.until else None,
            "reason": self.reason,
            "action_id": self.action_id,
            "restrictions": self.restrictions,
            "pending_review": self.pending_review,
        }


def standing_from(subject: str, actions: Iterable[ActionView], now: datetime) -> Standing:
    """The standing the subject's actions give at `now`: the most severe action in force wins;
    among equals, the one that lasts longest."""
    actions = list(actions)
    live = [a for a in actions if a.in_force(now)]
    pending = any(a.status == "pending" or (a.interim and a.in_force(now)) for a in actions)
    if not live:
        return Standing(subject, True, "good", pending_review=pending)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    top = max(live, key=lambda a: (rank(a.kind), a.expires_at or far))
    r = rank(top.kind)
    return Standing(
        subject,
        allowed=r < rank("suspend"),
        status=_STATUS[r],
        until=top.expires_at,
        reason=top.reason,
        action_id=top.id,
        restrictions=top.restrictions if top.kind == "restrict" else {},
        pending_review=pending,
    )


def worst(standings: Iterable[Standing]) -> Standing:
    """The binding standing among a key's, its project's and an end user's."""
    order = {v: k for k, v in _STATUS.items()}
    return max(standings, key=lambda s: (order[s.status], not s.allowed))
