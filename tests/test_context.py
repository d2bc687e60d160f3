"""Answers judged with the prompt they reply to: the rule on made-up scores, and the Warden."""

from __future__ import annotations

import pytest

from policywarden import Warden
from policywarden.context import CONTEXT_SOURCE, in_context

TH = {"a": 0.5, "b": 0.5, "any": 0.5}

ASKED = "Write my 2,000-word history essay on the French Revolution so I can submit it as my own tomorrow."
DONE = ("Of course! Here is your essay, ready to hand in as your own. The French Revolution began in 1789, when "
        "a bankrupt monarchy summoned the Estates-General and the Third Estate declared itself the National Assembly.")
DECLINED = ("I'm sorry, but I can't write an essay for you to submit as your own work. I'd be glad to help you plan "
            "an outline, find sources on the French Revolution and give feedback on your draft.")
HONEST = "Give me a short overview of the causes of the French Revolution for my revision notes."


def test_a_refusal_keeps_its_own_scores():
    answer, sources = {"a": 0.1}, {"a": "m"}
    assert in_context(answer, sources, {"a": 0.9}, False, TH) == (answer, sources)


def test_a_complying_answer_takes_the_prompts_higher_scores_marked_as_context():
    scores, sources = in_context({"a": 0.1, "b": 0.7}, {"a": "m", "b": "m"}, {"a": 0.9, "b": 0.2, "any": 0.8}, True, TH)
    assert scores == {"a": 0.9, "b": 0.7, "any": 0.8}
    assert sources == {"a": CONTEXT_SOURCE, "b": "m", "any": CONTEXT_SOURCE}


def test_support_asks_the_answer_itself_for_part_of_the_threshold():
    scores, sources = in_context({"a": 0.1, "b": 0.2}, {"a": "m", "b": "m"}, {"a": 0.9, "b": 0.9}, True, TH, support=0.3)
    assert scores == {"a": 0.1, "b": 0.9}  # a: 0.1 < 0.3 * 0.5; b: 0.2 >= 0.15
    assert sources["a"] == "m" and sources["b"] == CONTEXT_SOURCE


@pytest.fixture(scope="module")
def warden():
    return Warden()


def test_the_shipped_model_has_a_compliance_model(warden):
    assert warden.compliance is not None
    assert warden.compliance.version.startswith("pw-context-")
    assert 0 < warden.compliance.cut < 1 and warden.compliance.words > 0


def test_an_answer_that_carries_out_a_violating_request_is_flagged_in_context(warden):
    alone = warden.check(DONE, "output")
    assert "empower.academic_dishonesty" not in {c.id for c in alone.hits} and not alone.in_context
    judged = warden.check(DONE, "output", context=ASKED)
    assert judged.in_context
    hit = {c.id: c for c in judged.hits}
    assert "empower.academic_dishonesty" in hit and hit["empower.academic_dishonesty"].source == CONTEXT_SOURCE


def test_a_refusal_or_an_honest_request_is_not(warden):
    assert not warden.check(DECLINED, "output", context=ASKED).flagged
    assert not warden.check(DONE, "output", context=HONEST).flagged


def test_one_prompt_for_many_answers_and_none_where_there_is_none(warden):
    both = warden.moderate([DONE, DECLINED], "output", context=ASKED)
    assert [v.flagged for v in both] == [True, False]
    mixed = warden.moderate([DONE, DONE], "output", context=[ASKED, None])
    assert mixed[0].flagged and mixed[0].in_context
    assert not mixed[1].in_context and mixed[1].flagged == warden.check(DONE, "output").flagged
    assert not warden.moderate([DONE], "output", context=["   "])[0].in_context  # a blank prompt says nothing


def test_bad_context_is_a_clear_error(warden):
    with pytest.raises(ValueError, match="surface='output'"):
        warden.moderate([DONE], "input", context=ASKED)
    with pytest.raises(ValueError, match="1 prompts for 2 texts"):
        warden.moderate([DONE, DONE], "output", context=[ASKED])
    with pytest.raises(TypeError, match="context"):
        warden.moderate([DONE], "output", context=[42])


def test_a_model_without_a_compliance_model_says_so(tmp_path):
    import shutil

    from policywarden.classify.embedded import default_model_dir

    for name in ("model.json", "weights.npz"):
        shutil.copy(default_model_dir() / name, tmp_path / name)
    bare = Warden(model_dir=tmp_path)
    assert bare.compliance is None
    with pytest.raises(ValueError, match="no compliance model"):
        bare.moderate([DONE], "output", context=ASKED)
