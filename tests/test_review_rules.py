"""The pure rules of review: roles, queue priority, who may take which case, what a decision
needs and does, what a report must contain, and the public tokens."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from policywarden.review.decision_rules import (ActionState, Decision, Effect, check, effects, needs_second_review,
                                                outcomes_for)
from policywarden.review.eligibility import CaseFacts, Reviewer, may_decide, may_see, refusal
from policywarden.review.priority import Priority, priority, queue_key
from policywarden.review.report_rules import ReportIn, problems, same_thing
from policywarden.review.roles import Can, can, normalise_roles
from policywarden.review.tokens import AppealTokens, new_reference, reference_digest

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
ANN = Reviewer("person:ann", ("reviewer",))
CARA = Reviewer("person:cara", ("reviewer", "child_safety"))
ADMIN = Reviewer("person:root", ("admin",))
AUDITOR = Reviewer("person:aud", ("auditor",))


def test_roles_grant_what_each_job_needs_and_no_more():
    assert can(["reviewer"], Can.DECIDE) and not can(["reviewer"], Can.CHILD_SAFETY)
    assert can(["child_safety"], Can.DECIDE) and can(["child_safety"], Can.CHILD_SAFETY)
    assert can(["auditor"], Can.READ) and can(["auditor"], Can.AUDIT) and not can(["auditor"], Can.DECIDE)
    # An administrator manages people but is not cleared for child-safety content.
    assert can(["admin"], Can.MANAGE_STAFF) and not can(["admin"], Can.CHILD_SAFETY)
    assert normalise_roles(["Child-Safety", "reviewer", "reviewer"]) == ["reviewer", "child_safety"]
    with pytest.raises(ValueError, match="unknown role"):
        normalise_roles(["superuser"])
    with pytest.raises(ValueError, match="at least one role"):
        normalise_roles([])


@pytest.mark.parametrize("kind, categories, reporting, expected", [
    ("report", ["minors.age_restricted"], [], Priority.CHILD_SAFETY),
    ("escalation", ["protect.harassment"], ["ncmec"], Priority.CHILD_SAFETY),
    ("escalation", ["protect.self_harm", "protect.gambling"], [], Priority.IMMINENT_HARM),
    ("approval", ["protect.harassment"], [], Priority.ACCESS),
    ("appeal", [], [], Priority.ACCESS),
    ("report", ["protect.gambling"], [], Priority.STANDARD),
    ("escalation", [], [], Priority.STANDARD),
])
def test_priority(kind, categories, reporting, expected):
    assert priority(kind, categories, reporting) == expected


def test_queue_order_is_priority_then_age():
    t = NOW
    cases = [(3, t, 1), (1, t + timedelta(hours=1), 2), (0, t + timedelta(hours=2), 3), (1, t, 4)]
    assert [c[2] for c in sorted(cases, key=lambda c: queue_key(*c))] == [3, 4, 2, 1]


def facts(**kw) -> CaseFacts:
    return CaseFacts(**{"kind": "escalation", "status": "open", "child_safety": False, **kw})


def test_who_may_see_a_case():
    assert may_see(ANN.roles, False) and not may_see(ANN.roles, True)
    assert may_see(CARA.roles, True) and may_see(AUDITOR.roles, False)
    assert not may_see(ADMIN.roles, True)


def test_who_may_take_a_case():
    assert refusal(ANN, facts(), NOW) is None
    assert "Child-safety" in refusal(ANN, facts(child_safety=True), NOW)
    assert refusal(CARA, facts(child_safety=True), NOW) is None
    assert "role cannot decide" in refusal(AUDITOR, facts(), NOW)
    assert "closed" in refusal(ANN, facts(status="closed"), NOW)
    appeal = facts(kind="appeal", excluded=("person:ann",))
    assert "took part" in refusal(ANN, appeal, NOW) and refusal(CARA, appeal, NOW) is None
    second = facts(status="second_review", proposed_by="person:ann")
    assert "second reviewer" in refusal(ANN, second, NOW) and refusal(CARA, second, NOW) is None


def test_claims_are_exclusive_until_they_lapse():
    held = facts(claimed_by="person:cara", claim_expires_at=NOW + timedelta(minutes=5))
    assert refusal(ANN, held, NOW) == "Already claimed by cara."
    assert refusal(CARA, held, NOW) is None  # renewing one's own claim
    assert refusal(ANN, held, NOW + timedelta(minutes=6)) is None  # lapsed
    # Deciding needs one's own claim; a lapsed one still counts while nobody took it over.
    assert may_decide(CARA, held, NOW + timedelta(minutes=6)) is None
    assert may_decide(ANN, facts(), NOW) == "Claim the case before deciding it."


CATS = ["protect.harassment", "minors.csam"]


def test_a_decision_needs_an_outcome_a_category_and_a_reason():
    assert check("escalation", Decision("confirm", "protect.harassment", "threats"), CATS) is None
    assert check("escalation", Decision("uphold", "protect.harassment", "x"), CATS) == "Choose an outcome."
    assert "category" in check("report", Decision("confirm", "made.up", "x"), CATS)
    assert "reason" in check("appeal", Decision("uphold", "minors.csam", "  "), CATS)
    assert "2000" in check("appeal", Decision("uphold", "minors.csam", "x" * 2001), CATS)


def test_rejecting_actions_is_offered_only_while_some_await_a_person():
    pending, active = ActionState(1, "suspend", "pending"), ActionState(2, "restrict", "active")
    assert outcomes_for("escalation", [pending, active]) == ("confirm", "reduce", "dismiss")
    assert outcomes_for("escalation", [active]) == ("confirm", "dismiss")
    assert outcomes_for("approval", [ActionState(3, "suspend", "active", interim=True)]) == ("confirm", "reduce", "dismiss")
    assert check("escalation", Decision("reduce", "protect.harassment", "x"), CATS, [active]) == "Choose an outcome."
    assert check("escalation", Decision("reduce", "protect.harassment", "x"), CATS, [pending]) is None


def test_terminations_and_child_safety_need_a_second_reviewer():
    terminate = [ActionState(1, "terminate", "pending")]
    suspend = [ActionState(1, "suspend", "pending")]
    assert needs_second_review("approval", False, "confirm", terminate)
    assert not needs_second_review("approval", False, "reduce", terminate)
    assert not needs_second_review("approval", False, "confirm", suspend)
    assert needs_second_review("appeal", False, "uphold", [ActionState(1, "terminate", "active")])
    assert not needs_second_review("appeal", False, "overturn", [ActionState(1, "terminate", "active")])
    assert needs_second_review("report", True, "dismiss", [])


def test_effects_of_decisions_on_the_ledger():
    pending = ActionState(1, "suspend", "pending", violation_id=9)
    interim = ActionState(2, "suspend", "active", interim=True, violation_id=9)
    ladder = ActionState(3, "restrict", "active", violation_id=9)
    done = ActionState(4, "warn", "lifted", violation_id=9)
    acts = [pending, interim, ladder, done]
    d = lambda outcome, subject=None: Decision(outcome, "protect.harassment", "r", subject)  # noqa: E731
    assert effects("escalation", d("confirm"), 9, acts) == [Effect("approve", 1), Effect("confirm", 2)]
    assert effects("approval", d("reduce"), 9, acts) == [Effect("reject", 1), Effect("lift", 2)]
    assert effects("escalation", d("dismiss"), 9, acts) == [Effect("overturn", 9)]
    assert effects("approval", d("dismiss"), None, [ActionState(5, "suspend", "pending")]) == [Effect("reject", 5)]
    assert effects("report", d("confirm", "user:3:u_x"), None, []) == [Effect("record", "user:3:u_x", "protect.harassment")]
    assert effects("report", d("confirm"), None, []) == []
    assert effects("report", d("dismiss", "user:3:u_x"), None, []) == []
    assert effects("appeal", d("overturn"), 9, [ladder]) == [Effect("overturn", 9)]
    assert effects("appeal", d("overturn"), None, [ActionState(6, "terminate", "active")]) == [Effect("lift", 6)]
    assert effects("appeal", d("uphold"), 9, [ladder]) == []


def test_what_a_report_must_contain():
    cats = {"protect.weapons"}
    good = ReportIn("content", "https://chat.example/c/1", "protect.weapons")
    assert problems(good, cats) == {}
    assert problems(ReportIn("content", "x", "unsure"), cats) == {}
    bad = problems(ReportIn("rumour", " ", "made.up", description="d" * 5001, content="c" * 5001, contact="e" * 321), cats)
    assert set(bad) == {"target_kind", "target", "category", "description", "content", "contact"}
    assert set(problems(ReportIn("account", "a\x00b", "unsure"), cats)) == {"target"}


def test_reports_about_the_same_thing_are_recognised():
    assert same_thing("content", "HTTPS://Chat.Example/c/1/#frag") == same_thing("content", "https://chat.example/c/1")
    assert same_thing("account", "  Evil   Corp ") == same_thing("account", "evil corp")
    assert same_thing("content", "https://chat.example/c/1") != same_thing("content", "https://chat.example/c/2")
    assert same_thing("content", "x") != same_thing("account", "x")


def test_appeal_tokens_name_one_action_and_cannot_be_forged():
    tokens = AppealTokens(b"k" * 32)
    t = tokens.issue(42)
    assert tokens.action_id(t) == 42
    assert tokens.action_id(t.replace("pwa_42_", "pwa_43_")) is None
    assert AppealTokens(b"j" * 32).action_id(t) is None
    assert tokens.action_id("pwa_42_short") is None and tokens.action_id(None) is None


def test_report_references_are_random_and_stored_as_digests():
    a, b = new_reference(), new_reference()
    assert a != b and len(a) == 26
    assert reference_digest(a) != reference_digest(b) and len(reference_digest(a)) == 64
    assert reference_digest("pwr_short") is None and reference_digest("") is None
