"""The training pipeline on a tiny sample: real fit, deterministic output, loadable model."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

pytest.importorskip("sklearn")

from policywarden.classify.embedded import LinearModel, ModelNotFound  # noqa: E402
from policywarden.classify.features import FeatureSpec  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import average_precision, best_threshold, binary_metrics  # noqa: E402
from policywarden.training.records import Record  # noqa: E402
from policywarden.training.trainer import TrainConfig, train  # noqa: E402

GAMBLING = ["place a real money bet on the {} game for me", "find me an online casino that pays out cash for {}",
            "help me win money betting on {} tonight", "which sportsbook gives the best odds on {}"]
BENIGN = ["what is the history of the {} game", "explain the rules of {} to a child", "who won the {} final last year",
          "write a poem about watching {} with friends"]
SPORTS = ["football", "tennis", "hockey", "cricket", "baseball", "rugby", "golf", "boxing", "chess", "darts"]


def sample() -> list[Record]:
    recs = []
    for i, sport in enumerate(SPORTS):
        for t in GAMBLING:
            recs.append(Record(t.format(sport), {"protect.gambling": 1, "any": 1}, 0, split="heldout" if i >= 8 else "train"))
        for t in BENIGN:
            recs.append(Record(t.format(sport), {}, 0, split="heldout" if i >= 8 else "train"))
    return recs


def test_train_writes_a_deterministic_model_that_separates(tmp_path):
    cfg = TrainConfig(spec=FeatureSpec(bits=14), min_positives=5, version="tiny-1")
    heads = ["protect.gambling", "protect.weapons", "any"]
    r1 = train(sample(), heads, tmp_path / "a", cfg)
    r2 = train(sample(), heads, tmp_path / "b", cfg)
    for name in ("weights.npz", "model.json"):
        a = (tmp_path / "a" / name).read_bytes()
        b = (tmp_path / "b" / name).read_bytes()
        if name == "model.json":  # training time differs
            continue
        assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()
    assert r1["model"]["heads"] == ["protect.gambling", "any"]
    assert "protect.weapons" in r1["model"]["training"]["skipped_heads"]
    model = LinearModel(tmp_path / "a")
    s = model.score([normalize("bet real money on the squash game at an online casino"), normalize("explain the rules of squash")])
    j = model.heads.index("protect.gambling")
    assert s[0, j] > 0.5 > s[1, j]
    held = r1["heldout"]["per_head"]["protect.gambling"]
    assert held["positives"] == 8 and held["recall"] >= 0.75
    assert r2["model"]["weights_sha256"] == r1["model"]["weights_sha256"]


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFound, match="no model in"):
        LinearModel(tmp_path)


def test_metrics():
    y = np.array([1, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.1, 0.4, 0.2])
    m = binary_metrics(y, s, 0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3, abs=1e-3) and m["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert average_precision(y, s) == pytest.approx((1 + 1 + 3 / 4) / 3)
    assert best_threshold(y == 1, np.array([0.9, 0.8, 0.1, 0.1, 0.85, 0.2]), floor=0.3) <= 0.8


def test_thresholds_are_chosen_near_the_best_and_the_rule_is_recorded(tmp_path):
    heads = ["protect.gambling", "any"]
    got = {}
    for tol in (0.0, 2.0):
        cfg = TrainConfig(spec=FeatureSpec(bits=14), min_positives=5, tolerance=tol, calibration_fraction=0.4, version="tiny")
        report = train(sample(), heads, tmp_path / str(tol), cfg)
        assert report["model"]["training"]["threshold_tolerance"] == tol
        got[tol] = report["model"]["thresholds"]["protect.gambling"]
        assert 0.5 <= got[tol] < 0.96 and round(got[tol] / 0.025, 6).is_integer()
        cal = report["calibration"]["protect.gambling"]
        # The sample separates: the exact best is perfect, a near-best one within the tolerance of it.
        assert cal["f1"] >= 1.0 - tol / cal["positives"] - 1e-9
    assert got[0.0] != got[2.0]  # the wider near-best range has another middle


def test_a_source_can_hold_back_a_larger_share_for_calibration(tmp_path):
    recs = [Record(r.text, r.labels, r.default, source="written:bets" if r.labels else "public", split=r.split)
            for r in sample()]
    heads = ["protect.gambling", "any"]
    base = train(recs, heads, tmp_path / "a", TrainConfig(spec=FeatureSpec(bits=14), min_positives=5, version="tiny"))
    more = train(recs, heads, tmp_path / "b", TrainConfig(spec=FeatureSpec(bits=14), min_positives=5, version="tiny",
                                                           calibration_shares={"written:bets": 0.6}))
    assert "calibration_shares" not in base["model"]["training"]
    assert more["model"]["training"]["calibration_shares"] == {"written:bets": 0.6}
    held_back = [r["calibration"]["protect.gambling"]["positives"] if "protect.gambling" in r["calibration"] else 0
                 for r in (base, more)]
    assert held_back[0] < 8 <= held_back[1] < 32  # 32 positives in training: about 0.12 and 0.6 of them
    with pytest.raises(ValueError, match="at least 0.12"):
        train(recs, heads, tmp_path / "c", TrainConfig(spec=FeatureSpec(bits=14), min_positives=5,
                                                       calibration_shares={"written:bets": 0.05}))
