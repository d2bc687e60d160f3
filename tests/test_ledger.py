"""The enforcement ledger on SQLite and PostgreSQL: the ladder, human review, idempotency,
appeals' reversals, the audit chain, privacy safeguards and in-transaction hooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from ledger_fixtures import Clock, make_services, report, user
from policywarden.enforce.config import EnforcementConfig, LadderStep
from policywarden.privacy import new_key
from policywarden.privacy.secrets import fernet_key
from policywarden.services import Services
from policywarden.settings import Settings
from policywarden.store import audit
from policywarden.store.ledger import Conflict, LedgerError, LegalHold, SubjectKey, ViolationReport
from policywarden.store.models import AuditEntry, Strike, Violation, WebhookDelivery, WebhookSubscription

ANN = "person:ann"


@pytest.fixture
def sv(db_url, tmp_path):
    services = make_services(db_url, tmp_path)
    services.ledger.clock = Clock()
    return services


def test_ladder_from_warning_to_approved_suspension_and_decay(sv):
    ledger, clock, alice = sv.ledger, sv.ledger.clock, user()
    first = ledger.record(report(alice))
    assert [(a["kind"], a["status"]) for a in first.actions] == [("warn", "active")]
    assert first.standing.status == "warned" and first.standing.allowed
    for _ in range(2):
        assert ledger.record(report(alice)).actions == []
    fourth = ledger.record(report(alice))
    assert [(a["kind"], a["status"]) for a in fourth.actions] == [("restrict", "active")]
    assert fourth.standing.restrictions == {"rate_limit_per_minute": 10}
    for _ in range(3):
        ledger.record(report(alice))
    eighth = ledger.record(report(alice))
    # Suspension needs a person: it waits, and the restriction already in force stays.
    assert [(a["kind"], a["status"]) for a in eighth.actions] == [("suspend", "pending")]
    assert eighth.standing.status == "restricted" and eighth.standing.pending_review
    assert [a["id"] for a in ledger.actions("pending")] == [eighth.actions[0]["id"]]
    approved = ledger.approve(eighth.actions[0]["id"], ANN, "repeated harassment")
    assert approved["status"] == "active"
    st = ledger.standing([alice])
    assert not st.allowed and st.status == "suspended" and st.until == clock.now + timedelta(days=7)
    clock.advance(days=8)  # suspension and restriction over; the 30-day warning still stands
    assert ledger.standing([alice]).status == "warned"
    clock.advance(days=90)
    assert ledger.subject_record(alice)["active_points"] == 0
    history = [h["to"] for h in ledger.subject_record(alice)["actions"][2]["history"]]
    assert history == ["pending", "active"]


def test_the_most_severe_categories_suspend_at_once_pending_review(sv):
    ledger, bob = sv.ledger, user("u_bob")
    r = ledger.record(report(bob, "minors.csam", "critical"))
    suspend = next(a for a in r.actions if a["kind"] == "suspend")
    assert suspend["status"] == "active" and suspend["interim"]
    assert not r.standing.allowed and r.standing.pending_review
    ledger.confirm(suspend["id"], ANN, "reviewed: CSAM confirmed")
    st = ledger.standing([bob])
    assert not st.allowed and not st.pending_review


def test_serious_actions_wait_for_a_person_unless_the_operator_says_otherwise(db_url, tmp_path):
    cfg = EnforcementConfig(ladder=[LadderStep(at=1, action="suspend", duration="1h")], human_review=[])
    sv = make_services(db_url, tmp_path, cfg)
    r = sv.ledger.record(report(user()))
    assert [(a["kind"], a["status"]) for a in r.actions] == [("suspend", "active")]
    assert not r.standing.allowed


def test_decisions_need_a_person(sv):
    r = sv.ledger.record(report(user(), "minors.csam", "critical"))
    with pytest.raises(LedgerError, match="needs a person"):
        sv.ledger.lift(r.actions[0]["id"], "rule:auto")
    with pytest.raises(LedgerError, match="pending"):
        sv.ledger.approve(r.actions[0]["id"], ANN)


def test_idempotency_key_records_once_and_refuses_other_content(sv):
    ledger, alice = sv.ledger, user()
    a = ledger.record(report(alice, content="first"), ("key:1", "req-1"))
    b = ledger.record(report(alice, content="first"), ("key:1", "req-1"))
    assert b.replayed and b.violation_id == a.violation_id and b.to_dict() == a.to_dict()
    with pytest.raises(Conflict):
        ledger.record(report(alice, content="other"), ("key:1", "req-1"))
    ledger.record(report(alice, content="first"), ("key:2", "req-1"))  # another caller's key space
    with ledger.read() as s:
        assert s.scalar(select(func.count()).select_from(Violation)) == 2


def test_overturn_voids_the_strike_and_lifts_what_it_caused(sv):
    ledger, alice = sv.ledger, user()
    for _ in range(3):
        ledger.record(report(alice))
    fourth = ledger.record(report(alice))
    restrict = fourth.actions[0]
    out = ledger.overturn(fourth.violation_id, ANN, "appeal upheld: quoted lyrics")
    assert out["lifted"] == [restrict["id"]] and out["active_points"] == 3
    rec = ledger.subject_record(alice)
    assert rec["standing"]["status"] == "warned"
    assert rec["violations"][-1]["strike"]["void_reason"] == "appeal upheld: quoted lyrics"
    ledger.reinstate(alice, ANN, "clean slate after review")
    assert ledger.standing([alice]).status == "good"


def test_direct_action_and_standing_across_subjects(sv):
    ledger = sv.ledger
    ledger.record(report(user("u_x")))
    key = SubjectKey("key", 0, "7")
    ledger.act(key, "suspend", ANN, "abusive automation", timedelta(hours=1))
    st = ledger.standing([key, user("u_x")])
    assert st.subject == "key:7" and not st.allowed and st.status == "suspended"


def test_audit_chain_detects_changes_and_removals(sv, db_url):
    ledger, alice = sv.ledger, user()
    for _ in range(4):
        ledger.record(report(alice))
    with ledger.read() as s:
        ok = audit.verify(s)
    assert ok.ok and ok.entries >= 6
    with ledger.write.begin() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(details='{"forged":true}'))
    with ledger.read() as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.first_bad_id == 3 and "changed" in bad.problem
    # Removing an entry breaks the chain at the entry after it.
    with ledger.write.begin() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id.in_([2, 3])))
    with ledger.read() as s:
        gone = audit.verify(s)
    assert not gone.ok and gone.first_bad_id == 4 and "removed" in gone.problem


def test_evidence_is_masked_encrypted_and_purged_after_retention(sv):
    ledger, clock, alice = sv.ledger, sv.ledger.clock, user()
    secret_text = "I will hurt you, jane.doe@example.com, call +1 415 555 2671"
    r = ledger.record(report(alice, content=secret_text))
    with ledger.read() as s:
        stored = s.scalar(select(Violation.evidence).where(Violation.id == r.violation_id))
    assert stored and "jane" not in stored and "hurt" not in stored  # ciphertext
    exported = ledger.export(alice, ANN)["violations"][0]
    assert exported["evidence"] == "I will hurt you, [email], call [phone]"
    assert exported["evidence_masked"] == {"email": 1, "phone": 1}
    clock.advance(days=91)
    assert ledger.purge()["evidence"] == 1
    assert ledger.export(alice, ANN)["violations"][0]["evidence"] is None


def test_legal_hold_keeps_evidence_and_blocks_erasure(sv):
    ledger, clock, alice = sv.ledger, sv.ledger.clock, user()
    ledger.record(report(alice, "minors.csam", "critical", content="evidence text"))
    ledger.set_legal_hold(alice, "NCMEC report 123: preserve one year", ANN)
    clock.advance(days=91)
    assert ledger.purge()["evidence"] == 0
    with pytest.raises(LegalHold):
        ledger.erase(alice, ANN)
    ledger.set_legal_hold(alice, None, ANN)
    assert ledger.purge()["evidence"] == 1


def test_erasure_removes_the_subject_and_its_queued_notices(sv):
    ledger, alice = sv.ledger, user()
    with ledger.write.begin() as s:
        s.add(WebhookSubscription(url="http://127.0.0.1:9/hook", secret="x", events=["*"], active=True))
    ledger.record(report(alice, content="text", external_id="alice@example.com"))
    with ledger.read() as s:
        payloads = s.scalars(select(WebhookDelivery.payload)).all()
    assert payloads and any("alice@example.com" in p for p in payloads)
    out = ledger.erase(alice, ANN)
    assert out["violations"] == 1 and out["webhook_deliveries"] >= 2
    with ledger.read() as s:
        assert s.scalar(select(func.count()).select_from(Violation)) == 0
        assert s.scalar(select(func.count()).select_from(Strike)) == 0
        left = s.scalars(select(WebhookDelivery.payload)).all()
    assert [p for p in left if "alice@example.com" in p] == []
    assert any('"subject.erased"' in p for p in left)
    with pytest.raises(LedgerError):
        ledger.subject_record(alice)


def test_evidence_keys_rotate(sv, db_url, tmp_path):
    alice = user()
    old_key = sv.cipher.key_ids[0]
    sv.ledger.record(report(alice, content="rotate me"))
    derived = fernet_key(sv.secret)  # the key used when none are configured
    fresh = new_key()
    both = Services(Settings(database_url=db_url, secret_key=sv.settings.secret_key, evidence_keys=[fresh, derived]))
    assert both.ledger.rotate_evidence(ANN) == 1
    only_new = Services(Settings(database_url=db_url, secret_key=sv.settings.secret_key, evidence_keys=[fresh]))
    assert only_new.ledger.export(alice, ANN)["violations"][0]["evidence"] == "rotate me"
    assert only_new.cipher.primary_key_id != old_key


def test_a_failing_hook_rolls_the_whole_change_back(sv):
    def broken(session, event, data):
        if event == "action.created":
            raise RuntimeError("case store down")

    sv.ledger.hooks.append(broken)
    with pytest.raises(RuntimeError):
        sv.ledger.record(report(user()))
    with sv.ledger.read() as s:
        assert s.scalar(select(func.count()).select_from(Violation)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_unknown_source_and_empty_hits_are_refused(sv):
    with pytest.raises(LedgerError, match="source"):
        sv.ledger.record(report(user(), source="rumour"))

    with pytest.raises(LedgerError, match="at least one category"):
        sv.ledger.record(ViolationReport(user(), [], "openai-usage", "2025-10-29"))


def test_database_that_goes_away_is_a_clear_error_and_leaves_nothing(tmp_path):
    sv = Services(Settings(database_url="postgresql://nobody@127.0.0.1:1/none", secret_key="y" * 43))
    with pytest.raises(Exception) as info:
        sv.ledger.record(report(user()))
    assert "connection" in str(info.value).lower() or "connect" in str(info.value).lower()


def test_the_worked_example_in_the_readme(sv):
    """README, "Enforcement": keep the two in step."""
    ledger, clock, u = sv.ledger, sv.ledger.clock, user("u_example")
    steps = []
    for category, severity in [("protect.harassment", "high"), ("protect.harassment", "high"), ("empower.fraud", "medium"),
                               ("protect.harassment", "high"), ("protect.harassment", "high")]:
        r = ledger.record(report(u, category, severity))
        steps.append((r.points, r.active_points, [(a["kind"], a["status"]) for a in r.actions], r.standing.status))
        clock.advance(hours=1)
    assert steps == [
        (2.0, 2.0, [("warn", "active")], "warned"),
        (2.0, 4.0, [("restrict", "active")], "restricted"),
        (1.0, 5.0, [], "restricted"),
        (2.0, 7.0, [], "restricted"),
        (2.0, 9.0, [("suspend", "pending")], "restricted"),
    ]
    pending = ledger.actions("pending")[0]
    ledger.approve(pending["id"], ANN, "pattern of harassment confirmed")
    assert ledger.standing([u]).status == "suspended"
    ledger.overturn(5, ANN, "appeal: the last message was a quotation")
    st = ledger.standing([u])
    assert st.status == "restricted" and ledger.subject_record(u)["active_points"] == 7.0
