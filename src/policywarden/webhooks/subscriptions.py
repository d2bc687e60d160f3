"""Webhook subscriptions: where events go, which ones, and the secrets that sign them.

A secret is shown once, when it is created or rotated, and stored encrypted under the
evidence keys. A rotation keeps the previous secret signing for an overlap, so receivers
can switch without rejecting a single delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ..store import audit
from ..store.models import Project, WebhookDelivery, WebhookSubscription
from ..store.types import utcnow
from .outbox import EVENT_TYPES, enqueue_for
from .signing import new_secret

DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)
MAX_URL = 2000
MAX_DESCRIPTION = 200
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


class SubscriptionError(ValueError):
    status = 400
    code = "invalid_webhook"
    param: str | None = None

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class SubscriptionNotFound(SubscriptionError):
    status = 404
    code = "not_found"


class SubscriptionConflict(SubscriptionError):
    status = 409
    code = "webhook_disabled"


ALL = object()  # list(): every subscription, whatever its project


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def validate_url(url: str) -> str:
    """http(s) only, with a host, and without credentials: the signature is what
    authenticates PolicyWarden to the receiver, and a password would sit in stored rows."""
    url = url.strip()
    if not url:
        raise SubscriptionError("the URL is empty", "url")
    if len(url) > MAX_URL:
        raise SubscriptionError(f"the URL is longer than {MAX_URL} characters", "url")
    if any(c.isspace() for c in url) or _has_control(url):
        raise SubscriptionError("the URL contains whitespace or control characters", "url")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise SubscriptionError(f"not a valid URL: {exc}", "url") from None
    if parsed.scheme not in ("http", "https"):
        raise SubscriptionError("the URL must start with http:// or https://", "url")
    if not parsed.host:
        raise SubscriptionError("the URL has no host", "url")
    if parsed.userinfo:
        raise SubscriptionError("the URL must not contain a user name or password; the signature authenticates us", "url")
    if parsed.fragment:
        raise SubscriptionError("the URL must not contain a #fragment (it is never sent)", "url")
    return url


def validate_events(events: Iterable[str] | None) -> list[str]:
    chosen = sorted({e.strip() for e in (events or ["*"]) if e.strip()})
    if not chosen:
        raise SubscriptionError("choose at least one event type, or '*'", "events")
    unknown = [e for e in chosen if e != "*" and e not in EVENT_TYPES]
    if unknown:
        raise SubscriptionError(f"unknown event type {unknown[0][:80]!r}; known: *, {', '.join(EVENT_TYPES)}", "events")
    return ["*"] if "*" in chosen else chosen


@dataclass(frozen=True)
class Subscription:
    id: int
    url: str
    project_id: int | None  # None: every project
    events: list[str]
    description: str | None
    active: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    previous_secret_expires_at: datetime | None  # while set and in the future, two secrets sign

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("disabled_at", "created_at", "previous_secret_expires_at"):
            d[k] = d[k].isoformat() if d[k] else None
        d["project"] = d.pop("project_id")  # named as the other routes name it
        return {"object": "webhook", **d}


@dataclass(frozen=True)
class DeliveryInfo:
    """What an operator may see of a delivery: never its payload."""

    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("last_attempt_at", "next_attempt_at", "delivered_at", "created_at"):
            d[k] = d[k].isoformat() if d[k] else None
        return {"object": "webhook.delivery", **d}


def _info(row: WebhookSubscription, now: datetime) -> Subscription:
    overlap = row.previous_secret_expires_at if row.previous_secret and row.previous_secret_expires_at and \
        row.previous_secret_expires_at > now else None
    return Subscription(row.id, row.url, row.project_id, list(row.events), row.description, row.active,
                        row.disabled_reason, row.disabled_at, row.created_at, overlap)


class SubscriptionStore:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], cipher, clock=utcnow):
        self.read, self.write, self.cipher, self.clock = read, write, cipher, clock

    @classmethod
    def from_services(cls, services, clock=utcnow) -> SubscriptionStore:
        from ..store.db import sessions

        return cls(sessions(services.url), sessions(services.url, write=True), services.cipher, clock)

    def _row(self, s: Session, sub_id: int, lock: bool = False) -> WebhookSubscription:
        row = s.get(WebhookSubscription, sub_id, with_for_update=lock) if 0 < sub_id <= MAX_ID else None
        if row is None:
            raise SubscriptionNotFound(f"no webhook {sub_id}")
        return row

    def create(self, url: str, events: Sequence[str] | None = None, project_id: int | None = None,
               description: str | None = None, actor: str = "operator") -> tuple[str, Subscription]:
        """Returns the signing secret (shown once) and the subscription."""
        url, events = validate_url(url), validate_events(events)
        description = (description or "").strip() or None
        if description and len(description) > MAX_DESCRIPTION:
            raise SubscriptionError(f"the description is longer than {MAX_DESCRIPTION} characters", "description")
        if description and _has_control(description):
            raise SubscriptionError("the description must be one line of text", "description")
        secret = new_secret()
        now = self.clock()
        with self.write.begin() as s:
            if project_id is not None and not (0 < project_id <= MAX_ID and s.get(Project, project_id)):
                raise SubscriptionError(f"no project {project_id}", "project_id")
            row = WebhookSubscription(url=url, project_id=project_id, description=description, events=events,
                                      secret=self.cipher.encrypt(secret), active=True, created_at=now)
            s.add(row)
            s.flush()
            # The host only: a receiver's URL may carry its own token.
            audit.append(s, actor, "webhook.created", f"webhook:{row.id}", None,
                         {"host": httpx.URL(url).host, "events": events, "project": project_id})
            return secret, _info(row, now)

    def get(self, sub_id: int) -> Subscription:
        with self.read() as s:
            return _info(self._row(s, sub_id), self.clock())

    def list(self, project_id: int | None | object = ALL) -> list[Subscription]:
        """Every subscription (ALL), or those of one project (None: the all-projects ones)."""
        now = self.clock()
        with self.read() as s:
            q = select(WebhookSubscription).order_by(WebhookSubscription.id)
            if project_id is not ALL:
                q = q.where(WebhookSubscription.project_id.is_(None) if project_id is None
                            else WebhookSubscription.project_id == project_id)
            return [_info(r, now) for r in s.scalars(q)]

    def delete(self, sub_id: int, actor: str = "operator") -> None:
        """Removes the subscription with its queued and past deliveries."""
        with self.write.begin() as s:
            row = self._row(s, sub_id, lock=True)
            s.delete(row)
            s.flush()
            audit.append(s, actor, "webhook.deleted", f"webhook:{sub_id}")

    def disable(self, sub_id: int, reason: str, actor: str = "operator") -> Subscription:
        """Stops queuing and sending. Deliveries already queued wait, and go out on enable()."""
        now = self.clock()
        with self.write.begin() as s:
            row = self._row(s, sub_id, lock=True)
            row.active, row.disabled_reason, row.disabled_at = False, reason[:300], now
            audit.append(s, actor, "webhook.disabled", f"webhook:{sub_id}", None, {"reason": row.disabled_reason})
            return _info(row, now)

    def enable(self, sub_id: int, actor: str = "operator") -> Subscription:
        """Resumes sending, starting with what was queued while disabled."""
        now = self.clock()
        with self.write.begin() as s:
            row = self._row(s, sub_id, lock=True)
            row.active, row.disabled_reason, row.disabled_at = True, None, None
            s.execute(update(WebhookDelivery)
                      .where(WebhookDelivery.subscription_id == sub_id, WebhookDelivery.status == "pending")
                      .values(next_attempt_at=now))
            audit.append(s, actor, "webhook.enabled", f"webhook:{sub_id}")
            return _info(row, now)

    def rotate(self, sub_id: int, overlap: timedelta = DEFAULT_OVERLAP, actor: str = "operator") -> tuple[str, Subscription]:
        """A new secret, shown once. The current one keeps signing beside it for `overlap`
        (zero: retired at once); a secret retired earlier stops signing now."""
        if overlap < timedelta(0) or overlap > MAX_OVERLAP:
            raise SubscriptionError(f"the overlap must be between 0 and {MAX_OVERLAP.days} days", "overlap_seconds")
        secret = new_secret()
        now = self.clock()
        with self.write.begin() as s:
            row = self._row(s, sub_id, lock=True)
            if overlap:
                row.previous_secret, row.previous_secret_expires_at = row.secret, now + overlap
            else:
                row.previous_secret, row.previous_secret_expires_at = None, None
            row.secret = self.cipher.encrypt(secret)
            audit.append(s, actor, "webhook.secret_rotated", f"webhook:{sub_id}", None,
                         {"overlap_s": int(overlap.total_seconds())})
            return secret, _info(row, now)

    def send_test(self, sub_id: int) -> str:
        """Queues a `webhook.test` event for this subscription alone; returns its event id."""
        with self.write.begin() as s:
            row = self._row(s, sub_id)
            if not row.active:
                raise SubscriptionConflict(f"webhook {sub_id} is disabled ({row.disabled_reason}); enable it first")
            return enqueue_for(s, row, "webhook.test", {"webhook_id": row.id, "message": "test event from PolicyWarden"})

    def deliveries(self, sub_id: int, limit: int = 50, status: str | None = None) -> list[DeliveryInfo]:
        """The most recent deliveries first, without their payloads."""
        with self.read() as s:
            self._row(s, sub_id)
            q = (select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)
                 .order_by(WebhookDelivery.id.desc()).limit(limit))
            if status:
                q = q.where(WebhookDelivery.status == status)
            return [DeliveryInfo(d.id, d.event_id, d.event_type, d.status, d.attempts, d.last_status, d.last_error,
                                 d.last_attempt_at, d.next_attempt_at if d.status == "pending" else None,
                                 d.delivered_at, d.created_at) for d in s.scalars(q)]

    def reencrypt(self) -> int:
        """Re-encrypt every stored secret under the primary evidence key (after a key rotation)."""
        done = 0
        with self.write.begin() as s:
            for row in s.scalars(select(WebhookSubscription).with_for_update()):
                row.secret = self.cipher.rotate(row.secret)
                if row.previous_secret:
                    row.previous_secret = self.cipher.rotate(row.previous_secret)
                done += 1
        return done


def secrets_in_force(cipher, secret: str, previous: str | None, previous_expires_at: datetime | None,
                     now: datetime) -> list[str]:
    """The plaintext secrets that sign a delivery now: the current one, and the previous one
    during a rotation's overlap."""
    out = [cipher.decrypt(secret)]
    if previous and previous_expires_at and previous_expires_at > now:
        out.append(cipher.decrypt(previous))
    return out
