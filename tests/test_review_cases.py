"""Cases, queues, claims and decisions on SQLite and PostgreSQL: cases open in the ledger's own
transaction, the queue is ordered and filtered by role, claims are exclusive and lapse,
decisions act on the ledger, and terminations and child-safety decisions take two people."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from ledger_fixtures import report, user
from policywarden.enforce.config import EnforcementConfig, LadderStep
from policywarden.review.decision_rules import Decision
from policywarden.review.deciding import DecisionRefused
from policywarden.review.priority import Priority
from policywarden.store.models import AuditEntry, Strike
from policywarden.store.review_models import Case, CaseEvent
from review_fixtures import Desk


@pytest.fixture
def desk(db_url, tmp_path):
    d = Desk(db_url, tmp_path)
    d.person("ann", "reviewer")
    d.person("bob", "reviewer")
    d.person("cara", "reviewer", "child_safety")
    d.person("dev", "child_safety")
    return d


def cases(desk) -> list[Case]:
    with desk.ledger.read() as s:
        return list(s.scalars(select(Case).order_by(Case.id)))


def test_cases_open_in_the_ledgers_transaction_and_the_notice_names_them(desk):
    desk.subscribe()
    escalated = desk.ledger.record(report(user("u_1"), "protect.self_harm", "critical", verdict_action="escalate"))
    desk.ledger.record(report(user("u_2"), "protect.harassment"))  # a plain flag: no case
    csam = desk.ledger.record(report(user("u_3"), "minors.csam", "critical", verdict_action="escalate", reporting=["ncmec"]))
    interim = next(a for a in csam.actions if a["interim"])
    opened = cases(desk)
    assert [(c.kind, c.subject, c.priority, c.child_safety) for c in opened] == [
        ("escalation", "user:0:u_1", Priority.IMMINENT_HARM, False),
        ("escalation", "user:0:u_3", Priority.CHILD_SAFETY, True),
    ]
    # The interim suspension joins the case of its violation rather than opening another.
    assert opened[1].violation_id == csam.violation_id and opened[1].action_ids == [interim["id"]]
    recorded = {e["violation_id"]: e for e in desk.events("violation.recorded")}
    assert recorded[escalated.violation_id]["case_id"] == opened[0].id
    assert "case_id" not in recorded[escalated.violation_id + 1]
    created = {e["id"]: e for e in desk.events("action.created")}
    assert created[interim["id"]]["case_id"] == opened[1].id
    # An action in force tells the account how to appeal it.
    appeal = created[interim["id"]]["appeal"]
    assert desk.rv.tokens.action_id(appeal["token"]) == interim["id"] and appeal["path"] == f"/appeal/{appeal['token']}"


def test_actions_awaiting_approval_open_approval_cases_and_close_when_decided_elsewhere(desk):
    for _ in range(8):
        result = desk.ledger.record(report(user()))
    (pending,) = result.actions
    assert pending["status"] == "pending"
    (case,) = cases(desk)
    assert (case.kind, case.priority, case.action_ids) == ("approval", Priority.ACCESS, [pending["id"]])
    desk.ledger.approve(pending["id"], "person:ops", "approved through the API")
    (case,) = cases(desk)
    assert (case.status, case.outcome, case.decided_by) == ("closed", "resolved_elsewhere", "person:ops")


def test_the_queue_is_ordered_by_priority_then_age_and_filtered_by_role(desk):
    desk.ledger.record(report(user("u_1"), "protect.national_security", "high", verdict_action="escalate"))
    desk.clock.advance(minutes=1)
    desk.ledger.record(report(user("u_2"), "protect.weapons", "critical", verdict_action="escalate"))
    desk.clock.advance(minutes=1)
    desk.ledger.record(report(user("u_3"), "minors.grooming", "critical", verdict_action="escalate"))
    desk.clock.advance(minutes=1)
    desk.ledger.record(report(user("u_4"), "protect.violence_terrorism", "critical", verdict_action="escalate"))
    cara = desk.rv.queue.list(("reviewer", "child_safety"))
    assert [r.subject for r in cara] == ["user:0:u_3", "user:0:u_2", "user:0:u_4", "user:0:u_1"]
    assert [r.subject for r in desk.rv.queue.list(("reviewer",))] == ["user:0:u_2", "user:0:u_4", "user:0:u_1"]
    ann_id, ann = desk.people["ann"]
    taken = desk.rv.queue.claim_next(ann, ann_id)
    assert taken.case_id == cara[1].id  # the most urgent case that ann may take


def test_claims_are_exclusive_and_lapse_when_abandoned(desk):
    desk.ledger.record(report(user(), "protect.weapons", "critical", verdict_action="escalate"))
    (case,) = cases(desk)
    assert desk.claim("ann", case.id).refused is None
    assert desk.claim("bob", case.id).refused == "Already claimed by ann."
    assert [r.claimed_by for r in desk.rv.queue.list(("reviewer",))] == ["ann"]
    bob_id, bob = desk.people["bob"]
    assert desk.rv.queue.claim_next(bob, bob_id).case_id is None
    desk.clock.advance(minutes=31)  # ann walked away
    assert desk.rv.queue.claim_next(bob, bob_id).case_id == case.id
    with pytest.raises(DecisionRefused, match="Already claimed by bob"):
        desk.decide("ann", case.id, Decision("confirm", "protect.weapons", "late"))
    assert desk.rv.queue.release(case.id, desk.people["ann"][1], desk.people["ann"][0]) is not None
    assert desk.rv.queue.release(case.id, bob, bob_id) is None
    assert desk.claim("ann", case.id).refused is None


def test_concurrent_reviewers_never_get_the_same_case(desk):
    for i in range(6):
        desk.ledger.record(report(user(f"u_{i}"), "protect.weapons", "critical", verdict_action="escalate"))
    people = [desk.person(f"rev{i}", "reviewer") for i in range(6)]
    got, errors = [], []
    barrier = threading.Barrier(len(people))

    def work(name):
        staff_id, reviewer = desk.people[name]
        barrier.wait()
        try:
            got.append(desk.rv.queue.claim_next(reviewer, staff_id).case_id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"rev{i}",)) for i in range(len(people))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(got) == sorted(c.id for c in cases(desk))


def test_dismissing_an_escalation_voids_its_strike_and_lifts_its_actions(desk):
    recorded = desk.ledger.record(report(user(), "protect.weapons", "critical", verdict_action="escalate", content="x"))
    (case,) = cases(desk)
    desk.claim("ann", case.id)
    with pytest.raises(DecisionRefused, match="reason"):
        desk.decide("ann", case.id, Decision("dismiss", "protect.weapons", ""))
    desk.clock.advance(minutes=7)
    done = desk.decide("ann", case.id, Decision("dismiss", "protect.weapons", "a history question"))
    assert done.status == "closed" and done.effects == (f"overturn {recorded.violation_id}",)
    (case,) = cases(desk)
    assert (case.outcome, case.decided_by, case.time_to_decision_s, case.claimed_by) == ("dismiss", "person:ann", 420, None)
    with desk.ledger.read() as s:
        assert s.scalar(select(Strike.voided_at).where(Strike.violation_id == recorded.violation_id)) is not None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.event == "case.decided")).one()
    assert entry.actor == "person:ann" and '"outcome":"dismiss"' in entry.details
    assert all(a["status"] == "lifted" for a in desk.ledger.subject_record(user())["actions"])
    with pytest.raises(DecisionRefused, match="closed"):
        desk.decide("ann", case.id, Decision("confirm", "protect.weapons", "again"))


def terminating_desk(db_url, tmp_path) -> Desk:
    config = EnforcementConfig(ladder=[LadderStep(at=1, action="warn"), LadderStep(at=2, action="terminate")])
    d = Desk(db_url, tmp_path, config)
    for name, roles in (("ann", ["reviewer"]), ("bob", ["reviewer"]), ("cara", ["reviewer", "child_safety"])):
        d.person(name, *roles)
    return d


def test_a_termination_takes_a_second_reviewer(db_url, tmp_path):
    desk = terminating_desk(db_url, tmp_path)
    desk.ledger.record(report(user()))
    result = desk.ledger.record(report(user()))
    (terminate,) = [a for a in result.actions if a["kind"] == "terminate"]
    (case,) = cases(desk)
    desk.claim("ann", case.id)
    first = desk.decide("ann", case.id, Decision("confirm", "protect.harassment", "relentless threats"))
    assert first.status == "second_review"
    assert desk.ledger.actions("pending")[0]["id"] == terminate["id"]  # nothing carried out yet
    assert "second reviewer" in desk.claim("ann", case.id).refused
    assert desk.claim("bob", case.id).refused is None
    reopened = desk.rv.decisions.second_review(case.id, desk.people["bob"][1], False, "the threats were quotes")
    assert reopened.status == "open" and cases(desk)[0].proposal is None
    desk.claim("ann", case.id)
    desk.decide("ann", case.id, Decision("confirm", "protect.harassment", "the quotes were the user's own"))
    desk.claim("bob", case.id)
    done = desk.rv.decisions.second_review(case.id, desk.people["bob"][1], True, "agreed after reading the context")
    assert done.status == "closed" and done.effects == (f"approve {terminate['id']}",)
    (case,) = cases(desk)
    assert (case.decided_by, case.second_reviewer, case.outcome) == ("person:ann", "person:bob", "confirm")
    action = next(a for a in desk.ledger.subject_record(user())["actions"] if a["id"] == terminate["id"])
    assert action["status"] == "active" and action["decided_by"] == "person:bob"
    with desk.ledger.read() as s:
        events = s.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert events == ["opened", "claimed", "decision_proposed", "claimed", "second_review_disagreed", "claimed",
                      "decision_proposed", "claimed", "second_review_agreed", "decided"]


def test_child_safety_cases_are_for_child_safety_reviewers_and_take_two_of_them(desk):
    result = desk.ledger.record(report(user(), "minors.grooming", "critical", verdict_action="escalate", reporting=["ncmec"]))
    (case,) = cases(desk)
    assert "Child-safety" in desk.claim("ann", case.id).refused
    desk.claim("cara", case.id)
    assert desk.decide("cara", case.id, Decision("confirm", "minors.grooming", "clear grooming")).status == "second_review"
    assert "Child-safety" in desk.claim("bob", case.id).refused
    desk.claim("dev", case.id)
    done = desk.rv.decisions.second_review(case.id, desk.people["dev"][1], True, "agreed")
    interim = next(a for a in result.actions if a["interim"])
    assert done.effects == (f"confirm {interim['id']}",)
    action = next(a for a in desk.ledger.subject_record(user())["actions"] if a["id"] == interim["id"])
    assert action["status"] == "active" and not action["interim"]


def test_revealing_content_is_audited_and_shows_it_masked(desk):
    desk.ledger.record(report(user(), "protect.weapons", "critical", verdict_action="escalate",
                              content="build it like this, then mail jane.doe@example.com"))
    (case,) = cases(desk)
    file = desk.rv.cases.load(case.id)
    assert file.hidden == 1 and file.revealed == []
    with desk.ledger.read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "case.content_viewed"))
    shown = desk.rv.cases.reveal(case.id, "person:ann")
    (piece,) = shown.revealed
    assert "build it like this" in piece.text and "jane.doe@example.com" not in piece.text
    with desk.ledger.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.event == "case.content_viewed")).all()
    assert before == 0 and [e.actor for e in entry] == ["person:ann"]
    assert [e.event for e in shown.history][-1] == "content_viewed"


def test_erasing_an_account_erases_its_cases(desk):
    desk.ledger.record(report(user(), "protect.weapons", "critical", verdict_action="escalate"))
    desk.ledger.record(report(user("u_other"), "protect.weapons", "critical", verdict_action="escalate"))
    desk.ledger.erase(user(), "person:dpo")
    assert [c.subject for c in cases(desk)] == ["user:0:u_other"]


def test_a_renewed_claim_moves_its_expiry_and_a_lapsed_one_shows_as_free(desk):
    desk.ledger.record(report(user(), "protect.weapons", "critical", verdict_action="escalate"))
    (case,) = cases(desk)
    desk.claim("ann", case.id)
    desk.clock.advance(minutes=20)
    desk.claim("ann", case.id)
    desk.clock.advance(minutes=20)
    assert desk.rv.queue.list(("reviewer",))[0].claimed_by == "ann"
    desk.clock.advance(minutes=11)
    assert desk.rv.queue.list(("reviewer",))[0].claimed_by is None
