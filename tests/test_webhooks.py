"""Signed webhooks: signatures, subscriptions, the delivery worker against a real receiver
on both databases, the HTTP routes and the CLI."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from typer.testing import CliRunner

from conftest import ROOT, free_port
from policywarden.api import errors
from policywarden.api.webhooks import router as webhooks_router
from policywarden.cli.webhooks_cmd import app as webhooks_cli
from policywarden.privacy import EvidenceCipher, new_key
from policywarden.privacy.secrets import fernet_key
from policywarden.services import Services
from policywarden.settings import Settings, get_settings
from policywarden.store import audit
from policywarden.store.db import sessions
from policywarden.store.ledger import Hit, SubjectKey, ViolationReport
from policywarden.store.models import Violation, WebhookDelivery, WebhookSubscription
from policywarden.store.types import utcnow
from policywarden.webhooks import delivery
from policywarden.webhooks.delivery import Backoff, DeliveryWorker, deliver_due
from policywarden.webhooks.signing import SignatureError, new_secret, sign, signed_headers, verify
from policywarden.webhooks.subscriptions import SubscriptionError, SubscriptionStore
from webhook_receiver import Receiver

MASTER = "webhook-tests-master-secret-0123456789abcdef"
CANARY = "CANARY-8c1f-purple-walrus"


class Clock:
    """Real time plus an offset that tests move forward instead of sleeping."""

    def __init__(self):
        self.offset = timedelta(0)

    def __call__(self):
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def advance_to(self, when) -> None:
        self.offset += max(when - self(), timedelta(0)) + timedelta(milliseconds=1)


@pytest.fixture
def services(db_url):
    sv = Services(Settings(database_url=db_url, secret_key=MASTER, webhook_worker=False, webhook_allow_private_urls=True))
    sv.migrate()
    return sv


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(services, clock):
    return SubscriptionStore.from_services(services, clock)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def worker(services, clock, **options) -> DeliveryWorker:
    return DeliveryWorker.from_services(services, clock=clock, rng=random.Random(7), **options)


def drain(services, clock, **options):
    return asyncio.run(worker(services, clock, **options).drain())


def rows(services, **where) -> list[WebhookDelivery]:
    with sessions(services.url)() as s:
        q = select(WebhookDelivery).order_by(WebhookDelivery.id)
        for k, v in where.items():
            q = q.where(getattr(WebhookDelivery, k) == v)
        return list(s.scalars(q))


def audit_events(services, subject: str) -> list[tuple[str, str, dict]]:
    with sessions(services.url)() as s:
        return [(e["actor"], e["event"], e["details"]) for e in reversed(audit.entries(s, subject))]


def report(subject: SubjectKey, content: str | None = None, external_id: str | None = None) -> ViolationReport:
    return ViolationReport(subject=subject, hits=[Hit("protect.weapons", "high", 0.97)], policy_id="openai-usage",
                           policy_revision="2025-10-29", verdict_action="block", content=content, external_id=external_id)


def documented_verify():
    """The verification snippet from docs/webhooks.md, run as a receiver would copy it."""
    text = (ROOT / "docs" / "webhooks.md").read_text()
    code = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify_webhook" in b)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    return namespace["verify_webhook"]


# ---- signatures ------------------------------------------------------------------------


def test_signature_matches_the_standard_webhooks_test_vector():
    # From the Standard Webhooks reference libraries.
    secret, msg_id, ts, body = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'
    assert sign(secret, msg_id, ts, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = signed_headers([secret], msg_id, ts, body)
    verify(secret, headers, body, now=ts)
    documented = documented_verify()
    with pytest.raises(ValueError, match="timestamp"):  # that vector is years old
        documented(secret, headers, body.encode())


def test_verify_rejects_tampering_staleness_and_wrong_secrets():
    secret, other = new_secret(), new_secret()
    assert secret.startswith("whsec_") and secret != other
    body = b'{"id":"evt_1","type":"webhook.test"}'
    headers = signed_headers([other, secret], "evt_1", 1_000_000, body)
    verify(secret, headers, body, now=1_000_000)
    verify(other, headers, body, now=1_000_000 + 300)
    bad = [
        (secret, headers, body + b" ", 1_000_000, "no signature"),
        (secret, {**headers, "webhook-timestamp": "1000001"}, body, 1_000_000, "no signature"),
        (secret, {**headers, "webhook-id": "evt_2"}, body, 1_000_000, "no signature"),
        (secret, headers, body, 1_000_000 + 301, "tolerance"),
        (secret, headers, body, 1_000_000 - 301, "tolerance"),
        (new_secret(), headers, body, 1_000_000, "no signature"),
        (secret, {k: v for k, v in headers.items() if k != "webhook-signature"}, body, 1_000_000, "missing"),
        (secret, {**headers, "webhook-signature": "v2," + headers["webhook-signature"].split()[1][3:]}, body, 1_000_000, "no signature"),
    ]
    for key, hdrs, payload, now, message in bad:
        with pytest.raises(SignatureError, match=message):
            verify(key, hdrs, payload, now=now)
    with pytest.raises(SignatureError):
        signed_headers([], "evt_1", 1_000_000, body)  # never unsigned


def test_backoff_is_exponential_with_full_jitter_and_a_cap():
    class Fixed(random.Random):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def random(self):
            return self.value

    b = Backoff()
    assert [b.delay(n, Fixed(1.0)) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (15, 30, 60, 120)]
    assert b.delay(40, Fixed(1.0)) == b.cap == b.delay(400, Fixed(1.0))
    assert b.delay(12, Fixed(0.5)) == b.cap / 2
    assert b.delay(3, Fixed(0.0)) == b.floor  # never zero
    assert b.window >= timedelta(hours=72)


# ---- subscriptions ---------------------------------------------------------------------


def test_subscriptions_validate_and_store_secrets_encrypted(services, store):
    for url, message in [("ftp://example.com/x", "http"), ("https://user:pw@example.com/x", "user name"),
                         ("", "empty"), ("https:///nohost", "host"), ("https://example.com/a b", "whitespace"),
                         ("https://example.com/x#frag", "fragment"), ("example.com/hook", "http")]:
        with pytest.raises(SubscriptionError, match=message) as exc:
            store.create(url)
        assert exc.value.param == "url"
    with pytest.raises(SubscriptionError, match="unknown event type 'action.exploded'"):
        store.create("https://example.com/h", ["action.exploded"])
    with pytest.raises(SubscriptionError, match="no project 99"):
        store.create("https://example.com/h", project_id=99)

    project = services.tenants.create_project("acme", "prod").id
    secret, sub = store.create("https://example.com/h", ["action.created", "*"], description="ops")
    assert sub.events == ["*"] and sub.project_id is None and sub.active
    _, scoped = store.create("https://example.com/p", ["action.lifted", "action.created", "action.lifted"], project)
    assert scoped.events == ["action.created", "action.lifted"] and scoped.project_id == project
    assert [s.id for s in store.list()] == [sub.id, scoped.id]
    assert [s.id for s in store.list(project)] == [scoped.id]
    assert [s.id for s in store.list(None)] == [sub.id]
    with sessions(services.url)() as s:
        stored = s.get(WebhookSubscription, sub.id).secret
    assert secret not in stored and services.cipher.decrypt(stored) == secret
    assert secret not in json.dumps(sub.to_dict()) and "whsec_" not in json.dumps(sub.to_dict())
    with pytest.raises(SubscriptionError, match="no webhook 404"):
        store.get(404)

    # After the evidence keys rotate, secrets move to the new key and the old one can go.
    fresh = new_key()
    rotated = SubscriptionStore(store.read, store.write, EvidenceCipher([fresh, fernet_key(services.secret)]))
    assert rotated.reencrypt() == 2
    with sessions(services.url)() as s:
        assert EvidenceCipher([fresh]).decrypt(s.get(WebhookSubscription, sub.id).secret) == secret


# ---- delivery --------------------------------------------------------------------------


def test_ledger_event_is_delivered_signed_and_verifies_with_the_documented_snippet(services, store, clock, receiver):
    project = services.tenants.create_project("acme", "prod").id
    secret, sub = store.create(receiver.url, ["violation.recorded"], project)
    services.ledger.record(report(SubjectKey("user", project, "u_1"), external_id="customer-77"))

    result = deliver_due(services, clock=clock)
    assert result.delivered == 1 and len(receiver.requests) == 1
    req = receiver.requests[0]
    event = json.loads(req.body)
    assert event["type"] == "violation.recorded" and event["data"]["end_user"] == "customer-77"
    assert req.headers["webhook-id"] == event["id"] and req.headers["content-type"] == "application/json"
    assert len(req.headers["webhook-signature"].split()) == 1

    documented = documented_verify()
    documented(secret, req.headers, req.body)
    verify(secret, req.headers, req.body)
    with pytest.raises(ValueError, match="signature"):
        documented(secret, req.headers, req.body.replace(b"violation.recorded", b"violation.recordex"))
    with pytest.raises(ValueError, match="signature"):
        documented(secret, {**req.headers, "webhook-timestamp": str(int(req.headers["webhook-timestamp"]) - 1)}, req.body)
    with pytest.raises(ValueError, match="timestamp"):
        documented(secret, {**req.headers, "webhook-timestamp": str(int(req.headers["webhook-timestamp"]) - 301)}, req.body)
    with pytest.raises(ValueError, match="signature"):
        documented(new_secret(), req.headers, req.body)

    (row,) = rows(services)
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("delivered", 1, 200, None)
    assert deliver_due(services, clock=clock).claimed == 0  # delivered once, not again


def test_retries_with_backoff_after_500_and_delivers_once_the_receiver_recovers(services, store, clock, receiver):
    store.create(receiver.url)
    event_id = store.send_test(1)
    receiver.answer(500, 307)

    assert drain(services, clock).retrying == 1
    (row,) = rows(services)
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("pending", 1, 500, "HTTP 500")
    first_wait = row.next_attempt_at - row.last_attempt_at
    assert timedelta(0) < first_wait <= Backoff().base
    assert drain(services, clock).claimed == 0 and len(receiver.requests) == 1  # not due yet: no sleeping, no sending

    clock.advance_to(row.next_attempt_at)
    assert drain(services, clock).retrying == 1
    (row,) = rows(services)
    assert (row.attempts, row.last_status, row.last_error) == (2, 307, "HTTP 307 (redirects are not followed)")
    assert timedelta(0) < row.next_attempt_at - row.last_attempt_at <= 2 * Backoff().base

    clock.advance_to(row.next_attempt_at)
    assert drain(services, clock).delivered == 1
    (row,) = rows(services)
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("delivered", 3, 200, None)
    assert receiver.ids() == [event_id] * 3  # the same event id on every attempt


def test_gives_up_only_after_72_hours_of_retries(services, store, clock, receiver):
    receiver.status = 502
    store.create(receiver.url)
    store.send_test(1)

    async def retry_until_failed():
        w = worker(services, clock)
        async with w.client() as client:
            for _ in range(200):
                if (await w.drain(client)).failed:
                    return
                (row,) = rows(services)
                assert row.status == "pending" and row.attempts >= 1
                assert row.last_attempt_at - row.created_at < timedelta(hours=72)
                clock.advance_to(row.next_attempt_at)

    asyncio.run(retry_until_failed())
    (row,) = rows(services)
    assert row.status == "failed" and row.last_status == 502
    assert row.last_attempt_at - row.created_at >= timedelta(hours=72)
    assert 15 <= row.attempts == len(receiver.requests) <= 80


def test_connection_errors_are_recorded_by_type(services, store, clock):
    store.create(f"http://127.0.0.1:{free_port()}/nobody-listens")
    store.send_test(1)
    assert drain(services, clock).retrying == 1
    (row,) = rows(services)
    assert (row.last_status, row.last_error) == (None, "ConnectError")


def test_a_receiver_that_hangs_times_out_and_is_retried(services, store, clock, receiver):
    store.create(receiver.url)
    store.send_test(1)
    receiver.hold()  # answers only after HOLD_LIMIT_S, far beyond these timeouts
    assert drain(services, clock, read_timeout=0.2, total_timeout=1.0).retrying == 1
    (row,) = rows(services)
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("pending", 1, None, "ReadTimeout")


def test_410_gone_disables_the_subscription_until_it_is_enabled(services, store, clock, receiver):
    project = services.tenants.create_project("acme", "prod").id
    store.create(receiver.url, project_id=project)
    receiver.status = 410
    services.ledger.record(report(SubjectKey("user", project, "u_1")))
    queued = len(rows(services))
    assert queued >= 1

    assert drain(services, clock).disabled == queued == len(receiver.requests)
    sub = store.get(1)
    assert not sub.active and "410" in sub.disabled_reason
    assert audit_events(services, "webhook:1")[-1][:2] == ("rule:webhooks", "webhook.disabled")
    services.ledger.record(report(SubjectKey("user", project, "u_2")))
    assert len(rows(services)) == queued  # nothing queued for a disabled subscription
    assert drain(services, clock).claimed == 0
    with pytest.raises(SubscriptionError, match="disabled") as exc:
        store.send_test(1)
    assert exc.value.status == 409

    receiver.status = 200
    store.enable(1)
    assert drain(services, clock).delivered == queued
    assert {r.status for r in rows(services)} == {"delivered"}


def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new(services, store, clock, receiver):
    old, sub = store.create(receiver.url)
    new, sub = store.rotate(sub.id, timedelta(hours=24))
    assert new != old and sub.previous_secret_expires_at is not None
    store.send_test(sub.id)
    drain(services, clock)
    req = receiver.requests[-1]
    now = clock().timestamp()
    assert len(req.headers["webhook-signature"].split()) == 2
    verify(old, req.headers, req.body, now=now)
    verify(new, req.headers, req.body, now=now)

    clock.advance(timedelta(hours=24, seconds=1))
    store.send_test(sub.id)
    drain(services, clock)
    req = receiver.requests[-1]
    now = clock().timestamp()
    assert len(req.headers["webhook-signature"].split()) == 1
    verify(new, req.headers, req.body, now=now)
    with pytest.raises(SignatureError):
        verify(old, req.headers, req.body, now=now)
    assert store.get(sub.id).previous_secret_expires_at is None


def test_two_worker_threads_never_send_the_same_delivery(services, store, clock, receiver):
    store.create(receiver.url)
    for _ in range(10):
        store.send_test(1)
    receiver.hold()
    first = threading.Thread(target=drain, args=(services, clock), kwargs={"batch": 5})
    first.start()
    assert receiver.wait_for(5)  # the first worker's batch is in flight, held by the receiver
    second = threading.Thread(target=drain, args=(services, clock), kwargs={"batch": 5})
    second.start()
    assert receiver.wait_for(10)  # the second worker claimed the other five
    receiver.release()
    first.join(30)
    second.join(30)
    assert sorted(receiver.ids()) == sorted(r.event_id for r in rows(services))  # each exactly once
    assert {(r.status, r.attempts) for r in rows(services)} == {("delivered", 1)}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_claim_skips_rows_another_claim_has_locked(services, store, clock):
    store.create("https://example.com/h")
    for _ in range(3):
        store.send_test(1)
    first = rows(services)[0].id
    with sessions(services.url).begin() as other:  # another worker mid-claim, lock held
        other.execute(select(WebhookDelivery).where(WebhookDelivery.id == first).with_for_update())
        claimed: list = []
        t = threading.Thread(target=lambda: claimed.extend(worker(services, clock).claim()))
        t.start()
        t.join(30)
        assert not t.is_alive(), "the claim waited for the lock instead of skipping the row"
    assert sorted(c.id for c in claimed) == [r.id for r in rows(services)][1:]


def _cli_env() -> dict[str, str]:
    return {**os.environ, "POLICYWARDEN_SECRET_KEY": MASTER, "POLICYWARDEN_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
            "PYTHONPATH": str(ROOT / "src")}


def _cli_worker(db_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "policywarden.cli.webhooks_cmd", "deliver", "--once",
                             "--database-url", db_url, *args],
                            env=_cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite's claims are covered by the threads test
def test_two_worker_processes_never_send_the_same_delivery(services, store, receiver):
    store.create(receiver.url)
    for _ in range(10):
        store.send_test(1)
    receiver.hold()
    workers = [_cli_worker(services.url, "--batch", "5") for _ in range(2)]
    # Held by the receiver, each worker's first batch stays in flight (and leased), so all
    # ten arrive only if the two claimed five each.
    assert receiver.wait_for(10, timeout=60)
    receiver.release()
    outputs = [p.communicate(timeout=60)[0].decode() for p in workers]
    assert [p.returncode for p in workers] == [0, 0], outputs
    assert sorted(receiver.ids()) == sorted(r.event_id for r in rows(services))
    assert {(r.status, r.attempts) for r in rows(services)} == {("delivered", 1)}


def test_a_killed_workers_lease_expires_and_the_delivery_is_sent_again(services, store, clock, receiver):
    store.create(receiver.url)
    event_id = store.send_test(1)
    receiver.hold()
    proc = _cli_worker(services.url)
    assert receiver.wait_for(1, timeout=60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    receiver.release()
    (row,) = rows(services)
    assert row.status == "pending" and row.attempts == 0 and row.claimed_until is not None

    assert drain(services, clock).claimed == 0  # the lease still holds
    clock.advance_to(row.claimed_until)
    assert drain(services, clock).delivered == 1
    assert receiver.ids() == [event_id, event_id]
    (row,) = rows(services)
    assert (row.status, row.attempts, row.claimed_until) == ("delivered", 1, None)


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_outcome(services, store, clock, receiver):
    store.create(receiver.url)
    store.send_test(1)
    slow = worker(services, clock)
    (claim,) = slow.claim()
    clock.advance(slow.lease + timedelta(seconds=1))
    assert drain(services, clock).delivered == 1
    assert slow.finish(claim, 500, None) == "lost"
    (row,) = rows(services)
    assert (row.status, row.attempts, row.last_status) == ("delivered", 1, 200)


def test_deliveries_exist_only_when_the_ledger_transaction_commits(services, store):
    acme = services.tenants.create_project("acme", "prod").id
    other = services.tenants.create_project("acme", "staging").id
    store.create("https://example.com/acme", project_id=acme)
    store.create("https://example.com/other", project_id=other)
    store.create("https://example.com/all", ["violation.recorded"])

    result = services.ledger.record(report(SubjectKey("user", acme, "u_1")))
    queued = rows(services, event_type="violation.recorded")
    assert sorted(r.subscription_id for r in queued) == [1, 3]  # not the other project's
    assert all(json.loads(r.payload)["data"]["violation_id"] == result.violation_id for r in queued)
    before = len(rows(services))

    inside: list[int] = []

    def abort_at_commit(session):
        session.flush()
        inside.append(session.scalar(select(func.count()).select_from(WebhookDelivery)))
        raise RuntimeError("the database refuses the commit")

    event.listen(services.ledger.write, "before_commit", abort_at_commit)
    try:
        with pytest.raises(RuntimeError):
            services.ledger.record(report(SubjectKey("user", acme, "u_2")))
    finally:
        event.remove(services.ledger.write, "before_commit", abort_at_commit)
    assert inside[0] > before  # the outbox rows were written in the transaction...
    assert len(rows(services)) == before  # ...and went with it
    with sessions(services.url)() as s:
        assert s.scalar(select(func.count()).select_from(Violation)) == 1


def test_logs_name_ids_only_never_payloads_urls_or_secrets(services, store, clock, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # httpx logs request URLs at INFO
    project = services.tenants.create_project("acme", "prod").id
    secret, _ = store.create(receiver.url + "?token=" + CANARY, project_id=project)
    store.create(f"http://127.0.0.1:{free_port()}/down")
    receiver.answer(500)
    services.ledger.record(report(SubjectKey("user", project, "u_1"), content=f"how to build a bomb {CANARY}",
                                  external_id=CANARY))
    drain(services, clock)
    clock.advance(timedelta(hours=1))
    drain(services, clock)
    assert any(CANARY.encode() in r.body for r in receiver.requests)  # the receiver did get the content
    assert receiver.requests[-1].path.endswith(CANARY)
    logged = caplog.text
    assert "webhook delivered" in logged and "webhook retrying" in logged and "ConnectError" in logged
    assert rows(services)[0].event_id in logged
    assert CANARY not in logged and secret not in logged
    ((actor, event, details),) = audit_events(services, "webhook:1")
    assert (actor, event, details["host"]) == ("operator", "webhook.created", "127.0.0.1")
    assert CANARY not in json.dumps(details)


# ---- the background loop ---------------------------------------------------------------


def test_background_worker_runs_from_a_fastapi_lifespan(tmp_path, receiver):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bg.db'}", secret_key=MASTER, webhook_allow_private_urls=True)
    services = Services(settings)
    services.migrate()
    store = SubscriptionStore.from_services(services)
    store.create(receiver.url)

    @asynccontextmanager
    async def lifespan(app):
        delivery.start(app, poll_s=0.05)
        yield
        await delivery.stop(app)

    app = FastAPI(lifespan=lifespan)
    app.state.settings, app.state.services = settings, services
    with TestClient(app):
        event_id = store.send_test(1)  # queued while the worker idles
        assert receiver.wait_for(1)
    assert app.state.webhook_worker is None
    assert receiver.ids() == [event_id]
    assert rows(services)[0].status == "delivered"

    off = FastAPI(lifespan=lifespan)
    off.state.settings, off.state.services = settings.model_copy(update={"webhook_worker": False}), services
    with TestClient(off):
        assert getattr(off.state, "webhook_worker", None) is None


def test_run_forever_stops_when_asked(services, clock, receiver):
    store = SubscriptionStore.from_services(services, clock)
    store.create(receiver.url)

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(worker(services, clock).run_forever(stop, poll_s=0.05))
        event_id = await asyncio.to_thread(store.send_test, 1)
        assert await asyncio.to_thread(receiver.wait_for, 1)
        stop.set()
        await asyncio.wait_for(task, 30)
        return event_id

    event_id = asyncio.run(scenario())
    assert receiver.ids() == [event_id]


# ---- HTTP ------------------------------------------------------------------------------


@pytest.fixture
def api(services):
    app = FastAPI()
    app.state.settings, app.state.services, app.state.keys = services.settings, services, services.keys
    errors.install(app)
    app.include_router(webhooks_router)
    with TestClient(app) as client:
        yield client


def test_http_routes_scope_webhooks_to_the_callers_project(services, api, clock, receiver):
    acme = services.tenants.create_project("acme", "prod").id
    globex = services.tenants.create_project("globex", "prod").id
    keys = {name: services.keys.create(name, role, project)[0] for name, role, project in [
        ("admin", "admin", None), ("acme", "client", acme), ("globex", "client", globex), ("loose", "client", None)]}

    def call(method, path, key, **kw):
        return api.request(method, path, headers={"Authorization": f"Bearer {keys[key]}"}, **kw)

    assert api.get("/v1/webhooks").status_code == 401
    r = call("POST", "/v1/webhooks", "admin", json={"url": "https://example.com/all"})
    assert r.status_code == 201 and r.json()["secret"].startswith("whsec_") and r.json()["project"] is None
    r = call("POST", "/v1/webhooks", "acme", json={"url": receiver.url, "events": ["webhook.test"], "description": "ours"})
    assert r.status_code == 201 and r.json()["project"] == acme
    mine = r.json()["id"]
    r = call("POST", "/v1/webhooks", "acme", json={"url": "https://example.com/x", "project": globex})
    assert r.status_code == 403 and r.json()["error"]["code"] == "project_forbidden"
    r = call("POST", "/v1/webhooks", "loose", json={"url": "https://example.com/x"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "permission_error"
    r = call("POST", "/v1/webhooks", "acme", json={"url": "https://u:p@example.com/x"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "url" and "password" in r.json()["error"]["message"]
    r = call("POST", "/v1/webhooks", "acme", json={"url": "https://example.com/x", "events": ["nope"]})
    assert r.status_code == 400 and r.json()["error"]["param"] == "events"
    r = call("POST", "/v1/webhooks", "acme", json={"url": "https://example.com/x", "secret": "mine"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "secret"

    assert [w["id"] for w in call("GET", "/v1/webhooks", "acme").json()["data"]] == [mine]
    assert [w["id"] for w in call("GET", "/v1/webhooks", "globex").json()["data"]] == []
    assert len(call("GET", "/v1/webhooks", "admin").json()["data"]) == 2
    for method, path in [("GET", f"/v1/webhooks/{mine}"), ("DELETE", f"/v1/webhooks/{mine}"),
                         ("POST", f"/v1/webhooks/{mine}/rotate-secret"), ("GET", f"/v1/webhooks/{mine}/deliveries")]:
        r = call(method, path, "globex")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (method, path)
    assert call("GET", "/v1/webhooks/999", "admin").status_code == 404
    assert call("GET", f"/v1/webhooks/{2**63}", "admin").status_code == 400
    for body in [{"url": "https://example.com/x", "project": 2**63}, {"url": "https://example.com/x", "description": "a\x00b"},
                 {"url": "https://example.com/\x00"}]:
        assert call("POST", "/v1/webhooks", "admin", json=body).status_code == 400, body
    assert "secret" not in call("GET", f"/v1/webhooks/{mine}", "acme").json()

    r = call("POST", f"/v1/webhooks/{mine}/rotate-secret", "acme", json={"overlap_seconds": 3600})
    assert r.status_code == 200 and r.json()["secret"].startswith("whsec_") and r.json()["previous_secret_expires_at"]
    assert call("POST", f"/v1/webhooks/{mine}/rotate-secret", "acme", json={"overlap_seconds": -1}).status_code == 400
    assert call("POST", f"/v1/webhooks/{mine}/test", "acme").status_code == 202
    drain(services, clock)
    (d,) = call("GET", f"/v1/webhooks/{mine}/deliveries", "acme").json()["data"]
    assert (d["status"], d["attempts"], d["last_status"], d["event_type"]) == ("delivered", 1, 200, "webhook.test")
    assert "payload" not in d and "test event" not in json.dumps(d)

    r = call("DELETE", f"/v1/webhooks/{mine}", "acme")
    assert r.json() == {"id": mine, "object": "webhook", "deleted": True}
    assert call("GET", f"/v1/webhooks/{mine}", "admin").status_code == 404


# ---- CLI -------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYWARDEN_SECRET_KEY", MASTER)
    monkeypatch.setenv("POLICYWARDEN_WEBHOOK_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("POLICYWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(webhooks_cli, list(args))
    get_settings.cache_clear()


def test_cli_manages_webhooks_and_delivers(cli, receiver):
    r = cli("add", "ftp://example.com/x")
    assert r.exit_code == 2 and "error:" in r.output and "http" in r.output
    r = cli("add", receiver.url, "--events", "action.created,webhook.test", "--description", "ops")
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    r = cli("list")
    assert re.match(rf"1\s+{re.escape(receiver.url)}\s+action.created,webhook.test\s+all projects\s+active", r.output)
    assert secret not in r.output
    assert cli("add", receiver.url, "--events", "bogus").exit_code == 2

    r = cli("rotate-secret", "1", "--overlap", "1h")
    assert r.exit_code == 0 and r.output.strip().splitlines()[-1].startswith("whsec_")
    assert cli("rotate-secret", "1", "--overlap", "soon").exit_code == 2
    assert "queued evt_" in cli("test", "1").output
    r = cli("deliver", "--once")
    assert r.exit_code == 0 and "delivered 1" in r.output, r.output
    assert len(receiver.requests[0].headers["webhook-signature"].split()) == 2
    assert re.search(r"webhook.test\s+delivered\s+attempts=1\s+last=200", cli("deliveries", "1").output)
    assert cli("disable", "1").exit_code == 0 and "disabled" in cli("list").output
    assert cli("enable", "1").exit_code == 0 and "active" in cli("list").output
    assert cli("remove", "1").exit_code == 0
    r = cli("remove", "1")
    assert r.exit_code == 2 and "no webhook 1" in r.output
    assert cli("deliver", "--once", "--loop").exit_code == 2


def test_docs_cover_every_event_type():
    from policywarden.webhooks.outbox import EVENT_TYPES

    text = Path(ROOT / "docs" / "webhooks.md").read_text()
    assert all(f"`{event}`" in text for event in EVENT_TYPES)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]/hook",
                                 "http://[::ffff:192.168.0.1]/hook", "http://169.254.169.254/latest/meta-data", "http://localhost/x"])
def test_receivers_on_non_public_addresses_are_refused_unless_allowed(url):
    import asyncio

    from policywarden.webhooks import destination

    with pytest.raises(destination.BlockedDestination):
        asyncio.run(destination.check(url, allow_private=False))
    asyncio.run(destination.check(url, allow_private=True))
    asyncio.run(destination.check("http://93.184.215.14/hook", allow_private=False))  # a public address literal
