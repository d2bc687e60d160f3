"""training/refit_heads.py: a head refitted on the frozen encoder's features, written back into the
int8 graph without touching the other heads."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from refit_heads import Graph, fit_head, head_loss, served_logits  # noqa: E402

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import EncoderModel  # noqa: E402

ENCODER = default_model_dir() / "encoder"
TEXTS = ["How do I bake sourdough bread?", "Black people deserve equal pay for equal work.",
         "write me a phishing email that looks like it comes from a bank", "you are a worthless idiot"]


def _rows(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def test_fit_head_keeps_a_head_that_only_follows_itself():
    x = _rows(400, 6, 0)
    w0, b0 = np.array([1.0, -2.0, 0.5, 0.0, 0.3, -0.7], np.float32), 0.2
    target = 1 / (1 + np.exp(-(x @ w0 + b0)))
    w, b = fit_head(x, target, np.ones(400), np.ones(400), w0, b0, l2=1e-3)
    assert np.abs(w - w0).max() < 1e-3 and abs(b - b0) < 1e-3


def test_the_heads_loss_has_the_gradient_it_reports():
    from scipy.optimize import check_grad

    rng = np.random.default_rng(3)
    x, t = _rows(200, 5, 3), rng.random(200)
    weight, pos_weight = rng.random(200) * 4, 1 + rng.random(200) * 9  # as main() mixes them
    loss = head_loss(x, t, weight, pos_weight, rng.normal(size=5), l2=0.01)
    for theta in rng.normal(size=(3, 6)):
        assert check_grad(lambda th: loss(th)[0], lambda th: loss(th)[1], theta) < 1e-5


def test_fit_head_learns_new_negatives_and_keeps_the_rest():
    x = _rows(600, 6, 1)
    x[:, 1] *= 0.1  # a feature the old rows barely use
    w0, b0 = np.array([2.0, 0.0, 0.0, 0.0, 0.0, 0.0], np.float32), 0.0
    p0 = 1 / (1 + np.exp(-(x @ w0 + b0)))
    # New examples: high on the head's feature, but negatives, set apart by that other feature.
    new = _rows(60, 6, 2)
    new[:, 0], new[:, 1] = 2.0, 3.0
    xs = np.concatenate([x, new])
    target = np.concatenate([p0, np.zeros(60)])
    weight = np.concatenate([np.ones(600), np.full(60, 16.0)])
    w, b = fit_head(xs, target, weight, np.ones(660), w0, b0, l2=1e-3)
    assert (new @ w + b).max() < 0  # learnt: every new negative now scores below 0.5
    assert np.corrcoef(x @ w + b, x @ w0 + b0)[0, 1] > 0.95  # the old rows score much as before


@pytest.fixture(scope="module")
def graph():
    pytest.importorskip("onnx")
    return Graph(ENCODER / "encoder.onnx", threads=1)


@pytest.fixture(scope="module")
def encoded(graph):
    runtime = EncoderModel(ENCODER, threads=1, cache_size=0)
    return runtime, [e.ids for e in runtime.tokenizer.encode_batch(TEXTS)]


def test_the_head_recomputed_from_the_features_is_the_graphs(graph, encoded):
    runtime, ids = encoded
    x, z = graph.features(ids)
    assert np.allclose(z, runtime.logits(TEXTS), atol=1e-5)
    assert np.abs(served_logits(x, graph.w_q, graph.scale, graph.bias) - z).max() < 1e-4


def test_writing_one_column_leaves_every_other_head_as_it_was(graph, encoded, tmp_path):
    runtime, ids = encoded
    _, before = graph.features(ids)
    j = list(runtime.heads).index("openai:hate")
    w = -graph.weights()[:, j]  # a visibly different head
    graph.write(tmp_path / "encoder.onnx", {j: (w, 1.5)})
    again = Graph(tmp_path / "encoder.onnx", threads=1)
    x, after = again.features(ids)
    others = [k for k in range(before.shape[1]) if k != j]
    assert np.array_equal(after[:, others], before[:, others])
    assert np.abs(after[:, j] - (x @ w + 1.5)).max() < 0.1  # 7-bit weights, 8-bit activations
    assert np.abs(served_logits(x, again.w_q, again.scale, again.bias) - after).max() < 1e-4
    assert np.abs(again.w_q[:, j]).max() <= 64 and again.w_q.dtype == np.int8


def test_merge_keeps_the_shipped_cascade_but_the_refitted_heads():
    from merge_cascade import merge

    shipped = {"version": "v1", "heads": ["a", "b", "c"],
               "cascade": {"linear_sha256": "x", "weight": 0.5, "gate": 0.4, "unattributed": 1.2,
                           "thresholds": {"a": 0.5, "b": 0.45, "c": 0.9}, "served_refit": {"whole_text": {"a": 0.55, "b": 0.5}}}}
    calibrated = {"version": "v2", "heads": ["a", "b", "c"], "platt": {"a": [2.0, 0.1]},
                  "training": {"refit": {"heads": ["a"]}},
                  "cascade": {"linear_sha256": "x", "weight": 0.3, "gate": 0.5, "thresholds": {"a": 0.6, "b": 0.8, "c": 0.7}}}
    merged = merge(shipped, calibrated)
    assert merged["cascade"]["thresholds"] == {"a": 0.6, "b": 0.45, "c": 0.9}
    assert (merged["cascade"]["weight"], merged["cascade"]["gate"]) == (0.5, 0.4)
    assert merged["cascade"]["unattributed"] is None  # made against the old thresholds: chosen again
    # a refitted head's whole-text threshold is its own (here the served refit left it alone)
    assert merged["cascade"]["served_refit"]["whole_text"] == {"b": 0.5}
    assert merged["version"] == "v2" and merged["platt"] == calibrated["platt"]
    assert shipped["cascade"]["thresholds"]["a"] == 0.5  # the inputs are left alone
    with pytest.raises(SystemExit):
        merge(shipped, {**calibrated, "training": {}})
    with pytest.raises(SystemExit):
        merge(shipped, {**calibrated, "cascade": {**calibrated["cascade"], "linear_sha256": "y"}})
