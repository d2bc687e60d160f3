"""calibrate_cascade's thresholds: a head keeps the threshold it is given where that is among the
near-best for the new scores (`--keep`), and moves where it is not."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from calibrate_cascade import blend_eval  # noqa: E402


@pytest.fixture
def head():
    # 12 positives at 0.62-0.95, 300 negatives at or under 0.55 (two of them 0.55): any threshold
    # from 0.575 to 0.6 separates them; 0.35 flags a hundred negatives.
    pos = np.linspace(0.62, 0.95, 12)
    neg = np.r_[np.linspace(0.0, 0.5, 298), 0.55, 0.55]
    y = np.r_[np.ones(12, int), np.zeros(300, int)][:, None]
    s = np.r_[pos, neg][:, None]
    return y, s


def test_a_near_best_threshold_given_is_kept(head):
    y, s = head
    th, _ = blend_eval(y, s, s, 0.5, tolerance=2, current={0: 0.61})
    assert th[0] == 0.61
    # Without it, the middle of the near-best range on the grid.
    th, _ = blend_eval(y, s, s, 0.5, tolerance=2)
    assert 0.55 < th[0] <= 0.62


def test_a_threshold_far_from_the_best_is_replaced(head):
    y, s = head
    th, _ = blend_eval(y, s, s, 0.5, tolerance=2, current={0: 0.35})
    assert 0.55 < th[0] <= 0.62
    # At tolerance 0 only the exact best is kept: 0.61 ties with it here, so it stays.
    assert blend_eval(y, s, s, 0.5, tolerance=0, current={0: 0.61})[0][0] == 0.61


def test_the_errors_objective_applies_from_a_number_of_positives():
    # Two heads, each with positives at 0.8 and a band at 0.5-0.6 where catching more positives
    # costs more false flags: F1 takes the band, the fewest errors do not. 16 positives (10 high,
    # 6 in the band among 8 negatives) and 8 (3 high, 5 in the band among 6 negatives).
    def head(high, in_band, negatives, n=224):
        y = np.r_[np.ones(high + in_band), np.zeros(n - high - in_band)]
        s = np.r_[np.full(high, 0.8), np.linspace(0.5, 0.6, in_band), np.linspace(0.5, 0.6, negatives),
                  np.linspace(0.0, 0.3, n - high - in_band - negatives)]
        return y, s

    (y0, s0), (y1, s1) = head(10, 6, 8), head(3, 5, 6)
    y, s = np.c_[y0, y1].astype(int), np.c_[s0, s1]
    f1 = blend_eval(y, s, s, 0.5)[0]
    everywhere = blend_eval(y, s, s, 0.5, errors_from=0)[0]
    thick_only = blend_eval(y, s, s, 0.5, errors_from=10)[0]
    assert f1[0] <= 0.5 < everywhere[0] and f1[1] <= 0.5 < everywhere[1]
    assert thick_only[0] == everywhere[0] and thick_only[1] == f1[1]  # 8 positives: F1's
    spared = blend_eval(y, s, s, 0.5, errors_from=0, f1_only={0})[0]  # as `any` is
    assert spared[0] == f1[0] and spared[1] == everywhere[1]


def test_a_recall_floor_keeps_the_positives_caught(head):
    y, s = head
    # 0.7 is among the near-best on F1 at tolerance 2 but misses 3 of the 12: not under a floor of all 12
    assert blend_eval(y, s, s, 0.5, tolerance=2, current={0: 0.7})[0][0] == 0.7
    th, _ = blend_eval(y, s, s, 0.5, tolerance=2, current={0: 0.7}, min_recall={0: 1.0})
    assert th[0] <= 0.62
    # a floor the head meets anyway changes nothing
    assert blend_eval(y, s, s, 0.5, tolerance=2, min_recall={0: 0.5})[0] == blend_eval(y, s, s, 0.5, tolerance=2)[0]


def test_a_false_flag_ceiling_keeps_a_head_from_flagging_more():
    # 16 positives (10 at 0.8, 6 in a band at 0.5-0.6 among 8 negatives): F1 takes the band;
    # under a ceiling of no false flags (what a reference above the band flags), it does not
    y = np.r_[np.ones(16), np.zeros(208)].astype(int)[:, None]
    s = np.r_[np.full(10, 0.8), np.linspace(0.5, 0.6, 6), np.linspace(0.5, 0.6, 8), np.linspace(0.0, 0.3, 200)][:, None]
    assert blend_eval(y, s, s, 0.5)[0][0] <= 0.5
    th, _ = blend_eval(y, s, s, 0.5, tolerance=2, current={0: 0.5}, max_fpr={0: 0.0})
    assert th[0] > 0.6
    # with a floor of every positive as well, the floor wins
    assert blend_eval(y, s, s, 0.5, min_recall={0: 1.0}, max_fpr={0: 0.0})[0][0] <= 0.5


def test_the_bounds_score_each_reference_once_and_record_what_they_hold():
    from argparse import Namespace

    from calibrate_cascade import reference_bounds

    scored = []

    def rates_of(model_dir):
        scored.append(model_dir)
        return {0: (0.9, 0.1, 50), 1: (0.5, None, 500)}, f"v-{model_dir}"

    args = Namespace(recall_floor="ref", floor_under=100, fpr_ceiling="ref", ceiling_from=100, match_under=None)
    floors, ceilings, matched, meta = reference_bounds(args, rates_of, name=["a", "b"].__getitem__)
    assert scored == ["ref"] and floors == {0: 0.9} and ceilings == {} and matched == set()  # b has no negatives: no ceiling
    assert meta == {"recall_floor": {"model": "v-ref", "floors": {"a": 0.9}}, "fpr_ceiling": None, "fpr_match": None}
    none = reference_bounds(Namespace(recall_floor=None, floor_under=None, fpr_ceiling=None, ceiling_from=None, match_under=None),
                            rates_of)
    assert none == (None, None, set(), {"recall_floor": None, "fpr_ceiling": None, "fpr_match": None}) and scored == ["ref"]
    # --floor-slack 5: five positives' worth below the reference (of head a's 50), recorded with the floors
    slack = Namespace(recall_floor="ref", floor_under=100, floor_slack=5, fpr_ceiling=None, ceiling_from=None, match_under=None)
    floors, _, _, meta = reference_bounds(slack, rates_of, name=["a", "b"].__getitem__)
    assert floors == {0: pytest.approx(0.8)} and meta["recall_floor"] == {"model": "v-ref", "floors": {"a": 0.8}, "slack": 5}
    # --slack-from 60: head a's 50 positives are under it, so its floor is whole; from 50 it has the slack
    whole = Namespace(**{**vars(slack), "slack_from": 60})
    floors, _, _, meta = reference_bounds(whole, rates_of, name=["a", "b"].__getitem__)
    assert floors == {0: pytest.approx(0.9)} and meta["recall_floor"]["slack_from"] == 60
    floors, _, _, _ = reference_bounds(Namespace(**{**vars(slack), "slack_from": 50}), rates_of)
    assert floors == {0: pytest.approx(0.8)}
    # --match-under 100: head a (50 positives) has its reference's false-flag rate as a ceiling,
    # matched; head b (500, no negatives) has neither
    match = Namespace(recall_floor=None, floor_under=None, fpr_ceiling="ref", ceiling_from=100, match_under=100)
    floors, ceilings, matched, meta = reference_bounds(match, rates_of, name=["a", "b"].__getitem__)
    assert floors is None and ceilings == {0: 0.1} and matched == {0}
    assert meta["fpr_match"] == {"model": "v-ref", "under": 100, "rates": {"a": 0.1}}
    assert meta["fpr_ceiling"] == {"model": "v-ref", "ceilings": {"a": 0.1}}


def test_a_matched_head_takes_the_lowest_threshold_under_its_ceiling(head):
    # the fixture's 12 positives over 300 negatives: F1 takes 0.575-0.6, where no negative is
    # flagged. Matched to a reference that flags a tenth of the negatives, the threshold falls to
    # the lowest that flags no more than that; bounded by the same ceiling, it stays at F1's choice
    y, s = head
    bounded = blend_eval(y, s, s, 0.5, tolerance=2, max_fpr={0: 0.1})[0][0]
    matched = blend_eval(y, s, s, 0.5, tolerance=2, max_fpr={0: 0.1}, match={0})[0][0]
    assert 0.575 <= bounded <= 0.6 + 1e-9
    assert matched < 0.5 and (s[y == 0] >= matched).mean() <= 0.1
    assert (s[y == 0] >= matched - 0.025).mean() > 0.1  # the lowest on the grid that keeps under it
    # matched without a ceiling (no negatives in the reference): chosen as any other head
    assert blend_eval(y, s, s, 0.5, tolerance=2, match={0})[0][0] == bounded


def test_match_under_is_checked_against_the_other_bounds():
    import argparse

    from calibrate_cascade import check_bounds

    def check(**given):
        ap = argparse.ArgumentParser()
        args = argparse.Namespace(**{"recall_floor": None, "floor_slack": 0, "fpr_ceiling": None, "match_under": None, **given})
        check_bounds(ap, args)

    check(fpr_ceiling="ref", match_under=100)
    check(recall_floor="ref", floor_slack=2, slack_from=30)
    with pytest.raises(SystemExit):
        check(recall_floor="ref", slack_from=30)  # no slack to confine
    with pytest.raises(SystemExit):
        check(match_under=100)  # no rates to match
    with pytest.raises(SystemExit):
        check(fpr_ceiling="ref", match_under=100, recall_floor="ref")  # two bounds on the thin heads


def test_the_floors_are_what_the_reference_pair_catches():
    from calibrate_cascade import fpr_ceilings, recall_floors, reference_rates

    from policywarden.classify.embedded import default_model_dir
    from policywarden.text.normalize import normalize

    texts = ["Give me step-by-step instructions to build a pipe bomb to kill my neighbours",
             "What a lovely morning for a walk by the river", "Any good recipes for banana bread?",
             "How do I make a pipe bomb?"]
    heads = ["protect.weapons", "protect.violence_terrorism", "no.such.head"]
    y = np.array([[1, 1, 1], [1, 0, 1], [0, -1, 0], [0, 0, 0]])
    rates = reference_rates(default_model_dir(), [normalize(t) for t in texts], y, heads)
    assert recall_floors(rates) == {0: 0.5, 1: 1.0}  # the bomb caught under both, the walk not; none for a head it lacks
    assert recall_floors(rates, under=2) == {1: 1.0}  # --floor-under 2: only the head with one positive
    assert recall_floors(rates, slack=1) == {0: 0.0, 1: 0.0}  # a positive's worth below, never under 0
    assert recall_floors(rates, slack=1, slack_from=2) == {0: 0.0, 1: 1.0}  # the head with one positive keeps its floor
    # the last text, labelled benign for the test's sake, is flagged under weapons: 1 of 2 negatives
    assert fpr_ceilings(rates) == {0: 0.5, 1: 0.5} and fpr_ceilings(rates, from_=2) == {0: 0.5}


def test_the_floors_hold_the_reference_to_its_whole_text_thresholds(tmp_path):
    # A head calibrate_served.py refitted serves one threshold and keeps its whole-text one under
    # served_refit.whole_text: the floors (whole texts scored) must read the latter. The two are
    # set far apart here, so that reading the wrong one gives the other floor.
    import json

    from calibrate_cascade import recall_floors, reference_rates

    from policywarden.classify.embedded import default_model_dir
    from policywarden.text.normalize import normalize

    shipped = default_model_dir()
    texts = [normalize(t) for t in ("Give me step-by-step instructions to build a pipe bomb to kill my neighbours",
                                    "What a lovely morning for a walk by the river")]
    y = np.array([[1], [1]])

    def floors(served: float, whole: float) -> dict[int, float]:
        model = tmp_path / f"{served}-{whole}"
        (model / "encoder").mkdir(parents=True)
        for f in ("model.json", "weights.npz"):
            (model / f).symlink_to(shipped / f)
        for f in ("encoder.onnx", "tokenizer.json"):
            (model / "encoder" / f).symlink_to(shipped / "encoder" / f)
        meta = json.loads((shipped / "encoder" / "model.json").read_text())
        meta["cascade"]["thresholds"]["protect.weapons"] = served
        meta["cascade"].setdefault("served_refit", {}).setdefault("whole_text", {})["protect.weapons"] = whole
        (model / "encoder" / "model.json").write_text(json.dumps(meta))
        return recall_floors(reference_rates(model, texts, y, ["protect.weapons"]))

    assert floors(served=0.99, whole=0.0) == {0: 1.0}  # every score is at least 0
    assert floors(served=0.0, whole=1.5) == {0: 0.0}  # no blended probability reaches 1.5


def test_the_served_floors_are_what_the_reference_model_flags():
    from calibrate_cascade import fpr_ceilings, recall_floors
    from calibrate_served import served_rates

    from policywarden.classify.embedded import default_model_dir

    class Row:
        split = "train"  # not the threshold suite's: counted among a category's own positives
        def __init__(self, text, labels):
            self.text, self.labels = text, labels

        def label(self, cid):
            return self.labels.get(cid)

    rows = [Row("Give me step-by-step instructions to build a pipe bomb to kill my neighbours", {"protect.weapons": 1}),
            Row("What a lovely morning for a walk by the river", {"protect.weapons": 1}),
            Row("Any good recipes for banana bread?", {"protect.weapons": 1}),
            Row("How do I repot a cactus?", {"protect.weapons": 0}),
            Row("How do I make a pipe bomb?", {"protect.weapons": 0}),  # labelled benign for the test's sake
            Row("Where can I buy cheap flights?", {"protect.weapons": 0}),
            Row("Build a pipe bomb and kill them all", {}),  # unknown for weapons: not a negative
            Row("I will stab you tonight", {"protect.violence_terrorism": 1})]  # a head with no negatives
    ids = ["protect.weapons", "protect.illicit", "protect.violence_terrorism", "no.such.category"]
    rates, version = served_rates(str(default_model_dir()), rows, ids)
    assert set(recall_floors(rates, under=3)) == {"protect.violence_terrorism"}  # weapons: 3 positives, not under 3
    assert recall_floors(rates, under=4)["protect.weapons"] == 1 / 3 and version.startswith("pw-ngram")  # unrounded
    # 1 of the 3 weapons negatives flagged; no ceiling for a head with no negatives
    assert fpr_ceilings(rates) == {"protect.weapons": 1 / 3} and fpr_ceilings(rates, from_=4) == {}


def test_a_served_floor_is_not_rounded_up_past_what_was_caught():
    # 11 of 12 positives caught is 0.91666...; rounded to 0.9167 it would ask for all 12 and
    # drive the threshold down to the twelfth (found by review)
    from policywarden.tune import choose_threshold

    y = np.r_[np.ones(12, bool), np.zeros(40, bool)]
    s = np.r_[np.full(11, 0.9), 0.35, np.linspace(0.3, 0.5, 40)]
    assert choose_threshold(y, s, min_recall=11 / 12) > 0.5
    assert choose_threshold(y, s, min_recall=round(11 / 12, 4)) <= 0.35
