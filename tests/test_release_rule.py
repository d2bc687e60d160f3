"""benchmarks/release.py: the release rule, on benchmark outputs written for the test."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import release  # noqa: E402

BASE = {
    "heldout": {"model": "base", "overall": {"n": 1000, "f1": 0.79, "precision": 0.78, "recall": 0.80, "fpr": 0.08, "fp": 100, "fn": 90},
                "categories": {"protect.sexual_violence": {"positives": 35, "recall": 0.94},
                               "minors.grooming": {"positives": 9, "recall": 1.0},
                               "openai:sexual": {"positives": 200, "recall": 0.9}}},
    "fresh": {"everyday": {"texts": 200, "flagged": 5}, "lookalikes": {"texts": 300, "flagged": 24},
              "violations": {"texts": 344, "recall_any": 0.9186}},
    "policy_examples": {"summary": {"flag": 273, "allow": 266, "hit_any": 247, "false_pos": 13}},
    "context": {"summary": {"violating answers (complied vs refused)": {"in_context": {"recall": 0.66, "fpr": 0.032}}}},
    "robustness": {"disguises": {"leetspeak": {"still_flagged": 0.99, "benign_newly_flagged": 0.0},
                                 "Morse code, asked to decode": {"still_flagged": 0.99, "benign_newly_flagged": 0.30}}},
}


def outputs(tmp_path: Path, name: str, figures: dict, flagged=None) -> Path:
    d = tmp_path / name
    d.mkdir()
    for key, value in figures.items():
        (d / f"{key}.json").write_text(json.dumps(value))
    label = np.array([1, 1, 1, 0, 0, 0] * 50)
    flagged = label.astype(bool) if flagged is None else np.asarray(flagged, bool)
    np.savez_compressed(d / "heldout.npz", label=label, flagged=flagged, score=np.zeros(len(label)),
                        group=np.array(["public"] * len(label)), digest=np.array([f"{i:016x}" for i in range(len(label))]),
                        model=np.array(name))
    return d


def verdict(tmp_path: Path, change) -> list[str]:
    cand = copy.deepcopy(BASE)
    change(cand)
    base_dir, cand_dir = outputs(tmp_path, "base", BASE), outputs(tmp_path, "cand", cand)
    base, figures = release.figures(base_dir), release.figures(cand_dir)
    return release.judge(base, figures, release.heldout_interval(base_dir, cand_dir))


def test_the_same_figures_pass(tmp_path):
    assert verdict(tmp_path, lambda c: None) == []


def test_a_false_flag_traded_for_a_catch_passes(tmp_path):
    def trade(c):
        c["fresh"]["lookalikes"]["flagged"] += 1
        c["heldout"]["overall"]["fn"] -= 1

    assert verdict(tmp_path, trade) == []


def test_more_errors_fail(tmp_path):
    def worse(c):
        c["heldout"]["overall"]["fp"] += 3

    # held-out 100 + 90, fresh 5 + 24 + 28 missed of 344, policy 26 missed + 13
    assert verdict(tmp_path, worse) == ["errors 286 -> 289"]


def swap(c, suite, key, more):
    """A candidate as good in total: `more` of one kind of error, as many fewer held-out misses."""
    c[suite][key]["flagged" if suite == "fresh" else key] += more
    c["heldout"]["overall"]["fn"] -= more


@pytest.mark.parametrize(("change", "reason"), [
    (lambda c: c["policy_examples"]["summary"].update(hit_any=244), "policy examples caught"),
    (lambda c: swap(c, "fresh", "everyday", 2), "everyday flagged"),
    (lambda c: swap(c, "fresh", "lookalikes", 3), "look-alikes flagged"),
    (lambda c: (c["policy_examples"]["summary"].update(false_pos=16), c["heldout"]["overall"].update(fn=87)), "policy look-alikes flagged"),
    (lambda c: c["context"]["summary"]["violating answers (complied vs refused)"]["in_context"].update(recall=0.63), "answers in context recall"),
    (lambda c: c["heldout"]["categories"].pop("protect.sexual_violence"), "protect.sexual_violence: no held-out recall"),
    (lambda c: c["robustness"]["disguises"].pop("leetspeak"), "robustness 'leetspeak' not measured"),
    (lambda c: c["fresh"]["everyday"].update(texts=199), "fresh counted on"),
    (lambda c: c["heldout"]["categories"]["protect.sexual_violence"].update(recall=0.31), "protect.sexual_violence held-out recall"),
    (lambda c: c["robustness"]["disguises"]["leetspeak"].update(still_flagged=0.95), "robustness 'leetspeak'"),
    (lambda c: c["robustness"]["disguises"]["Morse code, asked to decode"].update(benign_newly_flagged=0.31), "decode rows"),
    (lambda c: c["context"]["summary"]["violating answers (complied vs refused)"]["in_context"].update(fpr=0.04), "answers in context FPR"),
])
def test_each_guard_fails_a_candidate_alone(tmp_path, change, reason):
    why = verdict(tmp_path, change)
    assert any(w.startswith(reason) for w in why), why


def identity_verdict(tmp_path, benign, hateful, texts=192):
    tmp_path.mkdir()
    base_figures = copy.deepcopy(BASE)
    base_figures["fresh"]["identity"] = {"benign": {"texts": 192, "flagged_share": 0.135}, "hateful": {"texts": 65, "flagged_share": 0.615}}
    cand = copy.deepcopy(base_figures)
    cand["fresh"]["identity"] = {"benign": {"texts": texts, "flagged_share": benign}, "hateful": {"texts": 65, "flagged_share": hateful}}
    base, figures = release.figures(outputs(tmp_path, "base", base_figures)), release.figures(outputs(tmp_path, "cand", cand))
    return release.judge_identity(base, figures)


def test_the_identity_criterion_asks_fewer_benign_flags_and_keeps_the_hateful(tmp_path):
    assert identity_verdict(tmp_path / "a", 0.12, 0.60) == []
    assert identity_verdict(tmp_path / "b", 0.12, 0.565) == []  # 5 points lower at most
    assert [w.split(" flagged")[0] for w in identity_verdict(tmp_path / "c", 0.135, 0.55)] == ["identity benign", "identity hateful"]
    assert identity_verdict(tmp_path / "d", 0.10, 0.60, texts=191)[0].startswith("identity suite counted on")
    # a side without the suite cannot meet it; without --identity the rule does not read it
    (tmp_path / "e").mkdir()
    base_dir = outputs(tmp_path / "e", "base", BASE)
    assert release.judge_identity(release.figures(base_dir), release.figures(base_dir))[0].startswith("identity suite not measured")
    (tmp_path / "f").mkdir()
    assert verdict(tmp_path / "f", lambda c: c["fresh"].update(identity={"benign": {"texts": 192, "flagged_share": 0.9},
                                                                         "hateful": {"texts": 65, "flagged_share": 0.0}})) == []


def test_thin_categories_and_openai_heads_are_not_guarded(tmp_path):
    def thin(c):
        c["heldout"]["categories"]["minors.grooming"]["recall"] = 0.5  # 9 positives
        c["heldout"]["categories"]["openai:sexual"]["recall"] = 0.5  # an OpenAI head

    assert verdict(tmp_path, thin) == []


def test_a_missing_output_or_verdict_file_is_said(tmp_path):
    base_dir = outputs(tmp_path, "base", BASE)
    partial = {k: v for k, v in BASE.items() if k != "context"}
    with pytest.raises(SystemExit, match="no context"):
        release.figures(outputs(tmp_path, "cand", partial))
    (base_dir / "heldout.npz").unlink()
    assert release.heldout_interval(base_dir, base_dir) is None
    assert "no paired held-out interval" in release.judge(release.figures(base_dir), release.figures(base_dir), None)[0]


def test_a_held_out_f1_loss_beyond_chance_fails(tmp_path):
    base_dir = outputs(tmp_path, "base", BASE)
    label = np.array([1, 1, 1, 0, 0, 0] * 50)
    missed = label.astype(bool) & (np.arange(len(label)) % 12 == 0)  # a sixth of the positives missed
    cand_dir = outputs(tmp_path, "cand", BASE, flagged=label.astype(bool) & ~missed)
    interval = release.heldout_interval(base_dir, cand_dir)
    assert interval[1] < 0
    why = release.judge(release.figures(base_dir), release.figures(cand_dir), interval)
    assert why == [f"held-out F1 interval starts at {interval[0]:+.4f} (< -0.010)"]


def with_prompts(recall_by_prompt, answer_recall=0.66):
    """A candidate (or baseline) whose context figures include recall by prompt (28 prompts)."""
    def change(c):
        c["context"]["violating_prompts"] = {"distinct": 28, "answers": 608, "prompts_flagged": 13,
                                             "recall_by_prompt_alone": 0.70, "recall_by_prompt_in_context": recall_by_prompt}
        c["context"]["summary"]["violating answers (complied vs refused)"]["in_context"]["recall"] = answer_recall
    return change


def verdict_with_prompts(tmp_path, base_change, cand_change) -> list[str]:
    base, cand = copy.deepcopy(BASE), copy.deepcopy(BASE)
    base_change(base)
    cand_change(cand)
    base_dir, cand_dir = outputs(tmp_path, "base", base), outputs(tmp_path, "cand", cand)
    return release.judge(release.figures(base_dir), release.figures(cand_dir), release.heldout_interval(base_dir, cand_dir))


def test_answers_in_context_are_judged_by_prompt_where_both_have_it(tmp_path):
    # One prompt lost (1/28 of recall by prompt), its answers 5 points of answer recall: passes.
    assert verdict_with_prompts(tmp_path, with_prompts(0.743, 0.686), with_prompts(0.743 - 1 / 28, 0.633)) == []


def test_more_than_one_prompt_lost_fails(tmp_path):
    why = verdict_with_prompts(tmp_path, with_prompts(0.743), with_prompts(0.743 - 2 / 28))
    assert any(w.startswith("answers in context recall by prompt") for w in why), why


def test_without_the_by_prompt_figures_answer_recall_is_judged(tmp_path):
    why = verdict_with_prompts(tmp_path, lambda c: None, with_prompts(0.743, 0.63))
    assert any(w.startswith("answers in context recall 0.660 -> 0.630") for w in why), why


def grouped(items, recall_by_group, recall=None):
    """Sexual violence's held-out figures with items counted (a JailbreakBench goal once)."""
    def change(c):
        m = c["heldout"]["categories"]["protect.sexual_violence"]
        m.update(groups=items, recall_by_group=recall_by_group)
        if recall is not None:
            m["recall"] = recall
    return change


def test_a_category_is_judged_by_item_where_both_sides_count_items(tmp_path):
    # 35 positives, 23 of them one goal: 13 items, under 20; the text recall collapse is one
    # goal's texts, and the item recall moved by less than an item.
    (tmp_path / "thin").mkdir()
    (tmp_path / "guarded").mkdir()
    assert verdict_with_prompts(tmp_path / "thin", grouped(13, 0.95), grouped(13, 0.9, recall=0.31)) == []
    # With 20+ items a loss of recall by item fails, whatever the text recall does.
    why = verdict_with_prompts(tmp_path / "guarded", grouped(25, 0.95), grouped(25, 0.75, recall=0.94))
    assert any(w.startswith("protect.sexual_violence held-out recall by item 0.950 -> 0.750") for w in why), why


def test_ten_to_nineteen_items_are_guarded_with_a_wider_margin(tmp_path):
    for name in ("chance", "lost", "nine"):
        (tmp_path / name).mkdir()
    # 12 items: three lost (25 points) may be chance; five lost (42 points) fail.
    assert verdict_with_prompts(tmp_path / "chance", grouped(12, 10 / 12), grouped(12, 7 / 12)) == []
    why = verdict_with_prompts(tmp_path / "lost", grouped(12, 10 / 12), grouped(12, 5 / 12))
    assert any(w.startswith("protect.sexual_violence held-out recall by item 0.833 -> 0.417 (12 items)") for w in why), why
    # Under 10 items nothing is judged.
    assert verdict_with_prompts(tmp_path / "nine", grouped(9, 1.0), grouped(9, 0.0)) == []


def test_without_item_counts_on_both_sides_text_recall_is_judged(tmp_path):
    why = verdict_with_prompts(tmp_path, lambda c: None, grouped(13, 0.9, recall=0.31))
    assert any(w.startswith("protect.sexual_violence held-out recall 0.940 -> 0.310") for w in why), why


def test_held_out_positives_are_counted_by_item():
    from heldout import by_group

    from policywarden.training.records import Record

    goal = [Record(f"variant {i}", group="jbb:goal") for i in range(4)]
    alone = [Record("one"), Record("two")]
    records = goal + alone + [Record("benign")]
    y = np.array([1, 1, 1, 1, 1, 1, 0])
    pred = np.array([True, False, False, False, True, False, True])
    # Items: the goal (1 of 4 flagged), "one" (flagged), "two" (missed).
    assert by_group(records, y, pred) == {"groups": 3, "recall_by_group": round((0.25 + 1 + 0) / 3, 4)}


def test_changed_texts_are_paired_by_row_and_judge_nothing(tmp_path):
    def rows(c, everyday, examples, digest="d1"):
        c["fresh"]["everyday"]["rows"] = {"digest": digest, "flagged": everyday}
        c["policy_examples"]["summary"]["rows"] = {"flag": {"digest": "p1", "flagged": examples}}

    base_fig, cand_fig = copy.deepcopy(BASE), copy.deepcopy(BASE)
    rows(base_fig, [1, 2, 3, 4, 5], list(range(247)))
    # Three new false flags and one cleared; two examples missed and one caught instead.
    rows(cand_fig, [2, 3, 4, 5, 6, 7, 8], [*range(2, 247), 250])
    base = release.figures(outputs(tmp_path, "base", base_fig))
    cand = release.figures(outputs(tmp_path, "cand", cand_fig))
    changed = release.changed_texts(base, cand)
    assert changed["fresh everyday"] == {"candidate_only": 3, "baseline_only": 1, "worse": 3, "better": 1, "p_worse": 0.3125}
    assert changed["policy examples"] == {"candidate_only": 1, "baseline_only": 2, "worse": 2, "better": 1, "p_worse": 0.5}
    assert "fresh look-alikes" not in changed  # not recorded on either side
    # Rows of other texts are never paired.
    rows(cand_fig, [2, 3, 4, 5, 6, 7, 8], [*range(2, 247), 250], digest="other")
    other = release.figures(outputs(tmp_path, "cand3", cand_fig))
    assert release.changed_texts(base, other)["fresh everyday"] == {"not_paired": "different texts"}


def test_the_exact_mcnemar_p_of_the_worse_direction():
    assert release.worse_p(0, 0) == 1.0
    assert release.worse_p(3, 0) == 0.125
    assert release.worse_p(0, 3) == 1.0
    assert release.worse_p(6, 0) == pytest.approx(1 / 64)
    assert release.worse_p(5, 1) == pytest.approx(7 / 64)


def test_the_fresh_guards_scale_with_the_suite(tmp_path):
    assert [release.allowed_more(release.EVERYDAY, n) for n in (200, 399, 400, 600)] == [1, 1, 2, 3]
    assert [release.allowed_more(release.LOOKALIKES, n) for n in (300, 449, 450, 600)] == [2, 2, 3, 4]

    def grown(c, flagged):
        c["fresh"]["everyday"].update(texts=600, flagged=flagged)

    base_fig = copy.deepcopy(BASE)
    grown(base_fig, 15)
    for flagged, fails in ((18, False), (19, True)):
        cand_fig = copy.deepcopy(BASE)
        grown(cand_fig, flagged)
        cand_fig["heldout"]["overall"]["fn"] -= flagged - 15  # as many fewer errors elsewhere
        base = release.figures(outputs(tmp_path, f"base{flagged}", base_fig))
        cand = release.figures(outputs(tmp_path, f"cand{flagged}", cand_fig))
        assert (f"everyday flagged 15 -> {flagged}" in release.judge(base, cand, [0.0, 0.0])) == fails


def test_attribution_is_shown_and_judges_nothing(tmp_path):
    def attributed(c):
        c["policy_examples"]["summary"]["hit_own"] = 240
        c["fresh"]["violations"]["recall_own"] = 0.88
        c["heldout"]["categories"]["minors.grooming"]["recall"] = 0.5

    base = copy.deepcopy(BASE)
    base["policy_examples"]["summary"]["hit_own"] = 220
    cand = copy.deepcopy(base)
    attributed(cand)
    base_dir, cand_dir = outputs(tmp_path, "base", base), outputs(tmp_path, "cand", cand)
    b, c = release.figures(base_dir), release.figures(cand_dir)
    assert (b["policy_caught_own"], c["policy_caught_own"], b["violations_recall_own"], c["violations_recall_own"]) == (220, 240, None, 0.88)
    assert b["heldout_macro_recall_own"] == pytest.approx(0.97) and c["heldout_macro_recall_own"] == pytest.approx(0.72)
    assert release.judge(b, c, release.heldout_interval(base_dir, cand_dir)) == []  # grooming has under 20 positives
