"""A prompt the violation head (`any`) is sure of, though no category reaches its own threshold:
flagged under the category it fits best (decide.Decider), on made-up scores."""

from __future__ import annotations

import pytest

from policywarden.decide import OPENAI_CATEGORIES, UNATTRIBUTED_SOURCE, Decider
from policywarden.policy import load_policy

TH = 0.5


def make(unattributed, policy=None):
    policy = policy or load_policy()
    thresholds = {c.id: TH for c in policy.categories} | {f"openai:{n}": TH for n in OPENAI_CATEGORIES} | {"any": 0.4}
    return Decider(policy, thresholds, unattributed)


def scores(policy, **given):
    full = {c.id: 0.05 for c in policy.categories} | {f"openai:{n}": 0.0 for n in OPENAI_CATEGORIES}
    full.update({k.replace("__", "."): v for k, v in given.items()})
    return full


@pytest.fixture(scope="module")
def decider():
    return make(1.2)


def test_a_sure_violation_is_flagged_under_the_best_fitting_category(decider):
    s = scores(decider.policy, any=0.9, protect__illicit=0.3, protect__weapons=0.2)
    v = decider.decide(s, {}, "input")
    assert v.flagged and [c.id for c in v.hits] == ["protect.illicit"]
    hit = v.hits[0]
    assert hit.source == UNATTRIBUTED_SOURCE and hit.score == pytest.approx(0.3)  # the score is not made up
    # A best guess: recorded for review, never a block, a mandatory report or an OpenAI category.
    assert v.action == hit.action == "flag"
    assert not any(v.openai_flags.values())


def test_a_best_guess_never_calls_for_a_mandatory_report(decider):
    v = decider.decide(scores(decider.policy, any=0.9, minors__csam=0.45), {}, "input")
    assert [c.id for c in v.hits] == ["minors.csam"] and v.reporting == [] and v.action == "flag"


def test_below_the_multiple_or_on_answers_or_when_off_nothing_is_added(decider):
    s = scores(decider.policy, any=0.47, protect__illicit=0.3)  # 0.47 < 1.2 * 0.4
    assert not decider.decide(s, {}, "input").flagged
    sure = scores(decider.policy, any=0.9, protect__illicit=0.3)
    assert not decider.decide(sure, {}, "output").flagged
    assert not make(None).decide(sure, {}, "input").flagged


def test_a_category_that_flags_on_its_own_is_left_as_it_is(decider):
    v = decider.decide(scores(decider.policy, any=0.9, protect__weapons=0.8, protect__illicit=0.45), {"protect.weapons": "m"}, "input")
    assert [(c.id, c.source) for c in v.hits] == [("protect.weapons", "m")]


def test_a_disabled_category_is_never_the_fallback():
    from policywarden.policy.overlay import apply_overlay
    from policywarden.policy.schema import Overlay

    off = apply_overlay(load_policy(), Overlay(id="no-illicit", base="openai-usage", disabled=["protect.illicit"]))
    d = make(1.2, off)
    v = d.decide(scores(off, any=0.9, protect__illicit=0.45, protect__weapons=0.2), {}, "input")
    assert [c.id for c in v.hits] == ["protect.weapons"]
