"""Staff accounts and console sessions on SQLite and PostgreSQL: Argon2id passwords, lock-out
per account and per address, idle and absolute session timeouts, and sessions that end when a
person is disabled or changes password."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from policywarden.review.staff import LoginRefused, StaffError
from policywarden.store.models import AuditEntry
from policywarden.store.review_models import Staff, StaffSession
from review_fixtures import PASSWORD, Desk


@pytest.fixture
def desk(db_url, tmp_path):
    d = Desk(db_url, tmp_path, login_failures_per_account=3, login_failures_per_address=5)
    d.person("ann", "reviewer")
    d.person("root", "admin")
    return d


def test_passwords_are_argon2id_and_rules_are_about_length(desk):
    with desk.ledger.read() as s:
        stored = s.scalar(select(Staff.password_hash).where(Staff.username == "ann"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(StaffError, match="at least 12"):
        desk.rv.staff.create("eve", "Eve", "short", ["reviewer"], "test")
    with pytest.raises(StaffError, match="already"):
        desk.rv.staff.create("ANN", "Ann", PASSWORD, ["reviewer"], "test")
    with pytest.raises(StaffError, match="username"):
        desk.rv.staff.create("a b", "x", PASSWORD, ["reviewer"], "test")
    long_passphrase = "the quick brown fox jumps over the lazy dog " * 10
    desk.rv.staff.create("eve", "Eve", long_passphrase, ["auditor"], "test")
    assert desk.rv.staff.authenticate("Eve", long_passphrase, "10.0.0.1").roles == ("auditor",)


def test_an_account_locks_after_repeated_failures_whatever_the_address(desk):
    for address in ("10.0.0.1", "10.0.0.2"):
        with pytest.raises(LoginRefused, match="Wrong username or password"):
            desk.rv.staff.authenticate("ann", "wrong password!", address)
    with pytest.raises(LoginRefused, match="Too many failed attempts") as locked:
        desk.rv.staff.authenticate("ann", "wrong password!", "10.0.0.3")
    assert locked.value.retry_after > 0
    # Locked means locked: the right password does not get in until the lock ends.
    with pytest.raises(LoginRefused, match="Too many"):
        desk.rv.staff.authenticate("ann", PASSWORD, "10.0.0.4")
    assert desk.rv.staff.authenticate("root", PASSWORD, "10.0.0.4").username == "root"
    desk.clock.advance(minutes=16)
    assert desk.rv.staff.authenticate("ann", PASSWORD, "10.0.0.4").username == "ann"
    with desk.ledger.read() as s:
        events = s.scalars(select(AuditEntry.event).where(AuditEntry.subject == "staff:ann")).all()
    assert "staff.login_throttled" in events and events[-1] == "staff.login"


def test_an_address_is_blocked_after_failures_across_accounts(desk):
    names = ["nobody1", "nobody2", "ann", "nobody3", "root"]
    for name in names[:4]:
        with pytest.raises(LoginRefused, match="Wrong"):
            desk.rv.staff.authenticate(name, "guess guess guess", "10.6.6.6")
    with pytest.raises(LoginRefused, match="Too many"):
        desk.rv.staff.authenticate("root", "guess guess guess", "10.6.6.6")
    with pytest.raises(LoginRefused, match="Too many"):
        desk.rv.staff.authenticate("root", PASSWORD, "10.6.6.6")
    assert desk.rv.staff.authenticate("root", PASSWORD, "10.7.7.7").username == "root"


def test_unknown_and_disabled_accounts_get_the_same_answer(desk):
    desk.rv.staff.set_active("ann", False, "test")
    messages = set()
    for name, password in (("ann", PASSWORD), ("ghost", PASSWORD), ("root", "not the password")):
        with pytest.raises(LoginRefused) as refused:
            desk.rv.staff.authenticate(name, password, f"10.1.1.{len(messages)}")
        messages.add(refused.value.message)
    assert messages == {"Wrong username or password."}


def test_sessions_end_after_30_idle_minutes_or_12_hours(desk):
    ann_id = desk.people["ann"][0]
    token = desk.rv.sessions.start(ann_id)
    assert len(token) >= 43  # 256 bits
    with desk.ledger.read() as s:
        assert s.scalar(select(StaffSession.token_sha256)) != token
    for _ in range(23):  # active every 29 minutes: alive for 11 h 7 min
        desk.clock.advance(minutes=29)
        assert desk.rv.sessions.resolve(token).staff.username == "ann"
    desk.clock.advance(minutes=53)  # 12 hours after log-in
    assert desk.rv.sessions.resolve(token) is None
    idle = desk.rv.sessions.start(ann_id)
    desk.clock.advance(minutes=30)
    assert desk.rv.sessions.resolve(idle) is None
    assert desk.rv.sessions.resolve("made-up") is None and desk.rv.sessions.resolve(None) is None


def test_logging_out_disabling_and_password_changes_end_sessions(desk):
    ann_id = desk.people["ann"][0]
    a, b, c = (desk.rv.sessions.start(ann_id) for _ in range(3))
    desk.rv.sessions.end(a)
    assert desk.rv.sessions.resolve(a) is None and desk.rv.sessions.resolve(b) is not None
    keep = desk.rv.sessions.resolve(b).session_id
    with pytest.raises(StaffError, match="current password"):
        desk.rv.staff.change_own_password(ann_id, "not it at all", "a brand new passphrase", keep)
    desk.rv.staff.change_own_password(ann_id, PASSWORD, "a brand new passphrase", keep)
    assert desk.rv.sessions.resolve(b) is not None and desk.rv.sessions.resolve(c) is None
    desk.rv.staff.set_active("ann", False, "person:root")
    assert desk.rv.sessions.resolve(b) is None
    desk.rv.staff.set_active("ann", True, "person:root")
    assert desk.rv.sessions.resolve(b) is None  # ended for good
    assert desk.rv.staff.authenticate("ann", "a brand new passphrase", "10.0.0.1").active


def test_csrf_tokens_belong_to_one_session(desk):
    ann_id = desk.people["ann"][0]
    a, b = desk.rv.sessions.start(ann_id), desk.rv.sessions.start(ann_id)
    token_a = desk.rv.sessions.resolve(a).csrf
    assert desk.rv.sessions.check_csrf(a, token_a)
    assert not desk.rv.sessions.check_csrf(b, token_a)
    assert not desk.rv.sessions.check_csrf(a, "") and not desk.rv.sessions.check_csrf(None, token_a)
