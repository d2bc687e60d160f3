"""Appeals and misuse reports from the public, on SQLite and PostgreSQL: an appeal goes to a
reviewer who took no part in the decision, overturning it reverses the action and its strike
and notifies through the webhook; reports are grouped, rate-limited, encrypted, and their
reporters can follow them."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from ledger_fixtures import report, user
from policywarden.review.appeals import AppealRefused
from policywarden.review.decision_rules import Decision
from policywarden.review.deciding import DecisionRefused
from policywarden.review.report_rules import ReportIn
from policywarden.review.reports import RateLimited, ReportInvalid
from policywarden.store.models import Violation
from policywarden.store.review_models import Appeal, Case, MisuseReport
from review_fixtures import Desk


@pytest.fixture
def desk(db_url, tmp_path):
    d = Desk(db_url, tmp_path, reports_per_hour=3)
    for name in ("ann", "bob"):
        d.person(name, "reviewer")
    return d


def open_cases(desk, kind: str) -> list[Case]:
    with desk.ledger.read() as s:
        return list(s.scalars(select(Case).where(Case.kind == kind).order_by(Case.id)))


def test_an_appeal_goes_to_another_reviewer_and_overturning_reverses_and_notifies(desk):
    desk.subscribe()
    recorded = desk.ledger.record(report(user(), "protect.weapons", "critical", verdict_action="escalate", content="x"))
    (action,) = [a for a in recorded.actions if a["status"] == "active"]
    (escalation,) = open_cases(desk, "escalation")
    desk.claim("ann", escalation.id)
    desk.decide("ann", escalation.id, Decision("confirm", "protect.weapons", "instructions for a weapon"))
    token = next(e for e in desk.events("action.created") if e["id"] == action["id"])["appeal"]["token"]

    target = desk.rv.appeals.lookup(token)
    assert (target.kind, target.in_force, target.appeal) == (action["kind"], True, None)
    filed = desk.rv.appeals.file(token, "It was a question about history, call me on 555 0100 123", "me@example.org", "10.0.0.1")
    assert filed.appeal.state == "received"
    with pytest.raises(AppealRefused, match="already been appealed"):
        desk.rv.appeals.file(token, "again", "", "10.0.0.1")
    (appeal,) = open_cases(desk, "appeal")
    assert appeal.excluded == ["person:ann"] and appeal.action_ids == [action["id"]]
    assert "took part" in desk.claim("ann", appeal.id).refused
    assert desk.claim("bob", appeal.id).refused is None
    assert desk.rv.appeals.lookup(token).appeal.state == "in_review"
    done = desk.decide("bob", appeal.id, Decision("overturn", "protect.weapons", "a history question"))
    assert done.effects == (f"overturn {recorded.violation_id}",)

    record = desk.ledger.subject_record(user())
    assert record["active_points"] == 0 and record["violations"][0]["strike"]["voided_at"]
    assert next(a for a in record["actions"] if a["id"] == action["id"])["status"] == "lifted"
    lifted = [e for e in desk.events("action.lifted") if e["id"] == action["id"]]
    assert [e["review"] for e in lifted] == [{"case_id": appeal.id, "case_kind": "appeal", "outcome": "overturn"}]
    status = desk.rv.appeals.lookup(token)
    assert (status.in_force, status.appeal.state, status.appeal.message) == (
        False, "closed", "The action was overturned and lifted.")
    # The appellant's words are stored masked and encrypted.
    with desk.ledger.read() as s:
        stored = s.scalars(select(Appeal)).one()
    assert "history" not in stored.statement and "history" in desk.sv.cipher.decrypt(stored.statement)
    assert "555 0100 123" not in desk.sv.cipher.decrypt(stored.statement)


def test_an_upheld_appeal_keeps_the_action(desk):
    recorded = desk.ledger.record(report(user()))
    (warn,) = recorded.actions
    token = desk.rv.tokens.issue(warn["id"])
    desk.rv.appeals.file(token, "I did nothing", "", "10.0.0.1")
    (appeal,) = open_cases(desk, "appeal")
    desk.claim("ann", appeal.id)
    assert desk.decide("ann", appeal.id, Decision("uphold", "protect.harassment", "the messages are threats")).effects == ()
    assert desk.ledger.standing([user()]).status == "warned"
    assert desk.rv.appeals.lookup(token).appeal.message == "The action was upheld."


def test_appeals_need_a_genuine_token_for_an_action_in_force(desk):
    (warn,) = desk.ledger.record(report(user())).actions
    with pytest.raises(AppealRefused, match="not valid"):
        desk.rv.appeals.file(f"pwa_{warn['id']}_{'A' * 22}", "please", "", "10.0.0.1")
    assert desk.rv.appeals.lookup(f"pwa_{warn['id']}_{'A' * 22}") is None
    token = desk.rv.tokens.issue(warn["id"])
    with pytest.raises(AppealRefused, match="Tell us why"):
        desk.rv.appeals.file(token, "  ", "", "10.0.0.1")
    desk.ledger.lift(warn["id"], "person:ops", "lifted")
    with pytest.raises(AppealRefused, match="no longer in force"):
        desk.rv.appeals.file(token, "please", "", "10.0.0.1")


def test_reports_about_the_same_thing_are_grouped_into_one_case(desk):
    first = desk.rv.reports.file(ReportIn("content", "https://chat.example/c/9", "protect.harassment",
                                          description="threats to my friend", contact="friend@example.org"), "10.0.0.1")
    second = desk.rv.reports.file(ReportIn("content", "HTTPS://chat.example/c/9/", "minors.grooming"), "10.0.0.2")
    other = desk.rv.reports.file(ReportIn("content", "https://chat.example/c/10", "unsure"), "10.0.0.3")
    assert first.case_id == second.case_id != other.case_id and second.grouped and not first.grouped
    grouped, single = open_cases(desk, "report")
    assert grouped.report_count == 2 and grouped.categories == ["protect.harassment", "minors.grooming"]
    assert grouped.child_safety and grouped.priority == 0  # a later report can only raise the priority
    assert single.categories == [] and single.priority == 3
    with desk.ledger.read() as s:
        stored = s.scalars(select(MisuseReport).order_by(MisuseReport.id)).first()
    assert "friend@example.org" not in stored.contact and desk.sv.cipher.decrypt(stored.contact) == "friend@example.org"
    assert "threats" not in stored.description and "chat.example" not in stored.target
    # A closed case does not swallow new reports: they open a new one.
    desk.claim("ann", single.id)
    desk.decide("ann", single.id, Decision("dismiss", "protect.harassment", "nothing there"))
    again = desk.rv.reports.file(ReportIn("content", "https://chat.example/c/10", "unsure"), "10.0.0.3")
    assert again.case_id not in (single.id, grouped.id)


def test_reports_are_rate_limited_per_address_and_checked(desk):
    for _ in range(3):
        desk.rv.reports.file(ReportIn("account", "spam-bot", "empower.fraud"), "10.9.9.9")
    with pytest.raises(RateLimited) as limited:
        desk.rv.reports.file(ReportIn("account", "spam-bot", "empower.fraud"), "10.9.9.9")
    assert limited.value.retry_after > 0
    desk.rv.reports.file(ReportIn("account", "spam-bot", "empower.fraud"), "10.9.9.10")
    desk.clock.advance(minutes=61)
    desk.rv.reports.file(ReportIn("account", "spam-bot", "empower.fraud"), "10.9.9.9")
    with pytest.raises(ReportInvalid) as invalid:
        desk.rv.reports.file(ReportIn("account", "", "made.up"), "10.0.0.1")
    assert set(invalid.value.errors) == {"target", "category"}
    with desk.ledger.read() as s:  # the throttle keeps no address in clear
        keys = s.execute(text("SELECT key FROM throttles")).scalars().all()
    assert keys and not any("10.9.9" in k for k in keys)


def test_a_reporter_follows_the_report_and_an_upheld_report_records_a_violation(desk):
    desk.ledger.record(report(user("u_spammer"), "protect.harassment"))  # the ledger knows the account
    filed = desk.rv.reports.file(ReportIn("account", "the spammer", "empower.fraud", content="buy now at fake.example"),
                                 "10.0.0.1")
    assert desk.rv.reports.status(filed.reference)[1].state == "received"
    assert desk.rv.reports.status("pwr_" + "x" * 22) is None
    desk.claim("ann", filed.case_id)
    assert desk.rv.reports.status(filed.reference)[1].state == "in_review"
    with pytest.raises(DecisionRefused, match="no record of user:0:u_nobody"):
        desk.decide("ann", filed.case_id, Decision("confirm", "empower.fraud", "scam", "user:0:u_nobody"))
    desk.decide("ann", filed.case_id, Decision("confirm", "empower.fraud", "a scam", "user:0:u_spammer"))
    report_row, status = desk.rv.reports.status(filed.reference)
    assert (status.state, status.message) == ("closed", "Action taken: the report was upheld.")
    violations = desk.ledger.subject_record(user("u_spammer"))["violations"]
    assert [(v["source"], v["categories"]) for v in violations] == [
        ("classifier", ["protect.harassment"]), ("report", ["empower.fraud"])]
    with desk.ledger.read() as s:
        v = s.get(Violation, violations[-1]["id"])
        assert desk.ledger.evidence.open(v.evidence) == "buy now at fake.example"
        (case,) = s.scalars(select(Case).where(Case.id == filed.case_id)).all()
    assert case.subject == "user:0:u_spammer" and case.violation_id == v.id
    # No escalation case for what a person has just decided.
    assert open_cases(desk, "escalation") == []


def test_what_the_public_wrote_is_deleted_after_the_retention_period(desk):
    kept = desk.rv.reports.file(ReportIn("content", "https://chat.example/c/1", "unsure", content="open case text"), "10.0.0.1")
    closed = desk.rv.reports.file(ReportIn("content", "https://chat.example/c/2", "unsure", content="closed case text",
                                           contact="me@example.org"), "10.0.0.1")
    (action,) = desk.ledger.record(report(user("u_held"))).actions
    desk.rv.appeals.file(desk.rv.tokens.issue(action["id"]), "please look again", "", "10.0.0.1")
    (appeal,) = open_cases(desk, "appeal")
    for case_id, outcome in ((closed.case_id, "dismiss"), (appeal.id, "uphold")):
        desk.claim("ann", case_id)
        desk.decide("ann", case_id, Decision(outcome, "protect.harassment", "seen"))
    desk.ledger.set_legal_hold(user("u_held"), "court order", "person:dpo")
    assert desk.rv.purge() == {"reports": 0, "appeals": 0}  # not old enough
    desk.clock.advance(days=91)
    assert desk.rv.purge() == {"reports": 1, "appeals": 0}  # the appeal's account is on hold
    assert [p.text for p in desk.rv.cases.reveal(closed.case_id, "person:ann").revealed] == [
        "(removed after the retention period)"]
    assert "open case text" in [p.text for p in desk.rv.cases.reveal(kept.case_id, "person:ann").revealed]
    desk.ledger.set_legal_hold(user("u_held"), None, "person:dpo")
    assert desk.rv.purge() == {"reports": 0, "appeals": 1}
    assert desk.rv.purge() == {"reports": 0, "appeals": 0}
    assert desk.rv.cases.load(appeal.id).hidden == 0
