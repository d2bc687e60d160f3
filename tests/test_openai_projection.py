"""How flagged policy categories show under OpenAI's 13 categories (decide.Decider.project_openai),
on made-up scores: no model involved."""

from __future__ import annotations

import pytest

from policywarden.decide import OPENAI_CATEGORIES, Decider
from policywarden.policy import load_policy


@pytest.fixture(scope="module")
def decider():
    policy = load_policy()
    return Decider(policy, {c.id: 0.5 for c in policy.categories} | {f"openai:{n}": 0.5 for n in OPENAI_CATEGORIES})


def verdict(decider, **scores):
    full = {c.id: 0.0 for c in decider.policy.categories} | {f"openai:{n}": 0.0 for n in OPENAI_CATEGORIES}
    full.update({k.replace("__", "."): v for k, v in scores.items()})
    return decider.decide(full, {})


def flagged(v):
    return {n for n, f in v.openai_flags.items() if f}


def test_a_policy_hit_shows_under_the_mapped_category_that_fits_best_not_all_of_them(decider):
    # protect.violence_terrorism maps to violence, violence/graphic, hate/threatening, illicit/violent
    v = verdict(decider, protect__violence_terrorism=0.9, **{"openai:violence/graphic": 0.2, "openai:violence": 0.4})
    assert v.flagged and flagged(v) == {"violence"}
    assert v.openai_scores["violence"] == pytest.approx(0.9)  # raised with the policy category's score
    assert v.openai_scores["hate/threatening"] == 0.0


def test_an_openai_head_that_flags_on_its_own_is_enough(decider):
    v = verdict(decider, protect__weapons=0.8, **{"openai:illicit/violent": 0.7})
    assert flagged(v) == {"illicit/violent"}
    assert v.openai_scores["illicit/violent"] == pytest.approx(0.7)


def test_without_openai_scores_the_first_mapped_category_shows(decider):
    policy = decider.policy
    scores = {c.id: 0.0 for c in policy.categories} | {"protect.self_harm": 0.95}
    v = decider.decide(scores, {})
    assert flagged(v) == {"self-harm"}


def test_openai_heads_flag_without_any_policy_hit(decider):
    v = verdict(decider, **{"openai:hate": 0.8})
    assert not v.flagged and flagged(v) == {"hate"}


def test_unmapped_policy_categories_raise_no_openai_category(decider):
    v = verdict(decider, privacy__social_scoring=0.9)
    assert v.flagged and not flagged(v)


def test_openai_flagged_is_a_policy_hit_or_any_openai_category(decider):
    """What /v1/moderations returns as `flagged`: wider than the policy's verdict."""
    assert not verdict(decider).openai_flagged
    v = verdict(decider, **{"openai:harassment": 0.9})
    assert not v.flagged and v.openai_flagged
    v = verdict(decider, protect__weapons=0.9)
    assert v.flagged and v.openai_flagged
