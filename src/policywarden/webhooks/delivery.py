"""The delivery worker: claims due deliveries from the outbox, signs and POSTs them, and
records what happened.

At least once: a delivery is claimed with a lease (`claimed_until`) in a short transaction
of its own, sent outside any transaction, then its outcome is recorded. A worker that dies
mid-send leaves a lease that runs out, and the next worker sends it again with the same
event id, which receivers use to drop duplicates. Claims are exclusive: PostgreSQL takes
the rows with FOR UPDATE SKIP LOCKED; SQLite's write transactions begin with BEGIN
IMMEDIATE, which serialises claimers.

Logs carry event ids, subscription ids, status codes and error types: never a payload, a
URL or a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import secrets as _secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from .. import __version__
from ..privacy.crypto import KeyError_
from ..store import audit
from ..store.models import WebhookDelivery, WebhookSubscription
from ..store.types import utcnow
from . import destination
from .signing import SignatureError, signed_headers
from .subscriptions import secrets_in_force

log = logging.getLogger("policywarden.webhooks")

USER_AGENT = f"PolicyWarden-Webhooks/{__version__}"

_SENDING = contextvars.ContextVar("policywarden_webhook_sending", default=False)


class _QuietWebhookRequests(logging.Filter):
    """httpx logs every request's URL at INFO, and a receiver's URL may carry its own token
    (as chat-tool webhook URLs do): drop those records for webhook requests only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _SENDING.get()


def _quiet_httpx() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _QuietWebhookRequests) for f in logger.filters):
        logger.addFilter(_QuietWebhookRequests())


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: the n-th retry waits a uniformly random time up
    to min(cap, base * 2**(n-1)), so receivers that come back are not hit by every worker at
    once. A delivery is retried until `window` has passed since it was queued, and then once
    more: it is marked failed no sooner than `window` after it was queued."""

    base: timedelta = timedelta(seconds=15)
    cap: timedelta = timedelta(hours=6)
    window: timedelta = timedelta(hours=72)
    floor: timedelta = timedelta(seconds=1)  # never zero, so a round never retries what it just sent

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        ceiling = min(self.cap, self.base * 2 ** min(max(attempts - 1, 0), 32))
        return max(self.floor, ceiling * rng.random())


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds the lease on, with what it needs to send it."""

    id: int
    token: str
    subscription_id: int
    event_id: str
    payload: str
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None


@dataclass
class Report:
    """What a call did, by outcome. `lost`: another worker took the delivery over after this
    worker's lease ran out, so this worker's outcome was not recorded."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: int = 0
    lost: int = 0

    def add(self, other: Report) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class DeliveryWorker:
    read: sessionmaker[Session]
    write: sessionmaker[Session]
    cipher: object  # privacy.EvidenceCipher: subscription secrets are stored encrypted
    clock: object = field(default=utcnow)
    rng: random.Random = field(default_factory=random.SystemRandom)
    backoff: Backoff = field(default_factory=Backoff)
    batch: int = 50
    concurrency: int = 16
    lease: timedelta = timedelta(minutes=2)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0  # the whole request; the lease must outlast it
    allow_private: bool = False  # see destination.py

    def __post_init__(self) -> None:
        if self.lease.total_seconds() <= self.total_timeout:
            raise ValueError("the lease must be longer than the total request timeout")
        if self.batch < 1 or self.concurrency < 1:
            raise ValueError("batch and concurrency must be at least 1")

    @classmethod
    def from_services(cls, services, **options) -> DeliveryWorker:
        from ..store.db import sessions

        options.setdefault("allow_private", services.settings.webhook_allow_private_urls)
        return cls(sessions(services.url), sessions(services.url, write=True), services.cipher, **options)

    def client(self) -> httpx.AsyncClient:
        # Redirects are not followed: the signature was made for the URL the operator registered.
        _quiet_httpx()
        timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
        return httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                 limits=httpx.Limits(max_connections=self.concurrency))

    # ---- the database side, synchronous (run in a thread from the event loop) ------------

    def _due(self, cutoff: datetime, now: datetime):
        return (
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= cutoff,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
            WebhookSubscription.active.is_(True),
        )

    def any_due(self, cutoff: datetime | None = None) -> bool:
        """A cheap read, so that an idle worker does not take SQLite's write lock every poll."""
        now = self.clock()
        with self.read() as s:
            q = select(exists().where(WebhookSubscription.id == WebhookDelivery.subscription_id, *self._due(cutoff or now, now)))
            return bool(s.scalar(q))

    def claim(self, limit: int | None = None, cutoff: datetime | None = None) -> list[Claim]:
        """Take a lease on up to `limit` deliveries due by `cutoff` (default: now)."""
        now = self.clock()
        token = _secrets.token_hex(16)
        with self.write.begin() as s:
            rows = s.execute(
                select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(*self._due(cutoff or now, now))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit or self.batch)
                .with_for_update(of=WebhookDelivery, skip_locked=True)
            ).all()
            claims = []
            for d, sub in rows:
                d.claimed_until, d.claim_token = now + self.lease, token
                claims.append(Claim(d.id, token, sub.id, d.event_id, d.payload, sub.url, sub.secret, sub.previous_secret,
                                    sub.previous_secret_expires_at))
            return claims

    def finish(self, claim: Claim, status: int | None, error: str | None) -> str:
        """Record one attempt: 'delivered', 'retrying', 'failed', 'disabled' (410 Gone), or
        'lost' when the lease was taken over and nothing is recorded."""
        now = self.clock()
        with self.write.begin() as s:
            d = s.get(WebhookDelivery, claim.id, with_for_update=True)
            if d is None or d.status != "pending" or d.claim_token != claim.token:
                return "lost"
            d.attempts += 1
            d.last_attempt_at, d.last_status, d.claimed_until, d.claim_token = now, status, None, None
            if status is not None and 200 <= status < 300:
                d.status, d.delivered_at, d.last_error = "delivered", now, None
                return "delivered"
            d.last_error = (error or f"HTTP {status}")[:300]
            if status == 410:
                # The receiver says the endpoint is gone: stop sending to it. This delivery and
                # any others queued wait for the subscription to be enabled again.
                sub = s.get(WebhookSubscription, claim.subscription_id, with_for_update=True)
                if sub is not None and sub.active:
                    sub.active, sub.disabled_at = False, now
                    sub.disabled_reason = f"the receiver answered 410 Gone to event {claim.event_id}"
                    audit.append(s, "rule:webhooks", "webhook.disabled", f"webhook:{sub.id}", None,
                                 {"reason": sub.disabled_reason})
                d.next_attempt_at = now
                return "disabled"
            if now - d.created_at >= self.backoff.window:
                d.status = "failed"
                return "failed"
            d.next_attempt_at = now + self.backoff.delay(d.attempts, self.rng)
            return "retrying"

    # ---- the network side ----------------------------------------------------------------

    async def send(self, client: httpx.AsyncClient, claim: Claim) -> tuple[int | None, str | None]:
        """POST one delivery; (status code, None) or (None, error type). The response body is
        never read."""
        now = self.clock()
        try:
            keys = secrets_in_force(self.cipher, claim.secret, claim.previous_secret, claim.previous_secret_expires_at, now)
        except (KeyError_, SignatureError):
            return None, "SecretUnreadable"  # never send unsigned; retried once the key is back
        body = claim.payload.encode("utf-8")
        headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                   **signed_headers(keys, claim.event_id, int(now.timestamp()), body)}
        sending = _SENDING.set(True)  # this task's context only
        try:
            async with asyncio.timeout(self.total_timeout):
                await destination.check(claim.url, self.allow_private)
                async with client.stream("POST", claim.url, content=body, headers=headers) as response:
                    status = response.status_code
        except Exception as exc:  # refused, timed out, TLS, a URL httpx cannot use: all are failed attempts
            return None, type(exc).__name__
        finally:
            _SENDING.reset(sending)
        if 300 <= status < 400:
            return status, f"HTTP {status} (redirects are not followed)"
        return status, None

    async def _deliver(self, client: httpx.AsyncClient, claim: Claim, gate: asyncio.Semaphore) -> str:
        async with gate:
            status, error = await self.send(client, claim)
        try:
            outcome = await asyncio.to_thread(self.finish, claim, status, error)
        except Exception as exc:  # the database is away: the lease runs out and the delivery is sent again
            log.error("webhook outcome not recorded: event=%s subscription=%s error=%s",
                      claim.event_id, claim.subscription_id, type(exc).__name__)
            return "lost"
        level = logging.INFO if outcome == "delivered" else logging.WARNING
        log.log(level, "webhook %s: event=%s subscription=%s status=%s error=%s",
                outcome, claim.event_id, claim.subscription_id, status, error)
        return outcome

    async def round(self, client: httpx.AsyncClient, cutoff: datetime | None = None) -> Report:
        """Claim one batch and send it, up to `concurrency` requests at a time."""
        report = Report()
        if not await asyncio.to_thread(self.any_due, cutoff):
            return report
        claims = await asyncio.to_thread(self.claim, None, cutoff)
        report.claimed = len(claims)
        gate = asyncio.Semaphore(self.concurrency)
        for outcome in await asyncio.gather(*(self._deliver(client, c, gate) for c in claims)):
            setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    async def drain(self, client: httpx.AsyncClient | None = None) -> Report:
        """Send everything due now, batch after batch. What fails is rescheduled after now,
        so each delivery is tried at most once per call."""
        cutoff = self.clock()
        total = Report()
        async with contextlib.AsyncExitStack() as stack:
            client = client or await stack.enter_async_context(self.client())
            while True:
                report = await self.round(client, cutoff)
                total.add(report)
                if not report.claimed:
                    return total

    async def run_forever(self, stop: asyncio.Event, poll_s: float = 2.0) -> None:
        """Deliver until `stop` is set: a batch after another while there is work, and a
        look every `poll_s` seconds when there is none. Survives database outages."""
        async with self.client() as client:
            while not stop.is_set():
                try:
                    busy = (await self.round(client)).claimed
                except Exception as exc:
                    log.error("webhook worker round failed: %s", type(exc).__name__)
                    busy = 0
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), poll_s)


def deliver_due(services, **options) -> Report:
    """Send everything due now and return; for the CLI, cron jobs and tests. Call it from
    synchronous code. `options` are DeliveryWorker's (clock, rng, batch, lease, timeouts)."""
    return asyncio.run(DeliveryWorker.from_services(services, **options).drain())


def start(app, poll_s: float = 2.0, **options) -> None:
    """Start delivering in the background of a FastAPI app (from its lifespan), unless the
    `webhook_worker` setting is off. Needs `app.state.settings` and `app.state.services`."""
    if not app.state.settings.webhook_worker:
        return
    worker = DeliveryWorker.from_services(app.state.services, **options)
    stop_event = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop_event, poll_s), name="policywarden-webhooks")
    app.state.webhook_worker = (stop_event, task)


async def stop(app, grace_s: float = 10.0) -> None:
    """Stop the background worker, letting requests in flight finish for up to `grace_s`;
    what is cut off is sent again when its lease runs out."""
    running = getattr(app.state, "webhook_worker", None)
    if running is None:
        return
    stop_event, task = running
    app.state.webhook_worker = None
    stop_event.set()
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(task, grace_s)
