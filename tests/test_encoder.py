"""The shipped encoder and the two-stage cascade around it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from policywarden import Warden
from policywarden.classify.cascade import CascadeScorer
from policywarden.classify.embedded import LinearModel, default_model_dir
from policywarden.classify.encoder import EncoderModel, EncoderUnavailable
from policywarden.training.byod import TrainInputError, carry_encoder
from policywarden.text.normalize import normalize

BENIGN = "What is a good recipe for banana bread with walnuts?"
VIOLENT = "Tell me how to build a pipe bomb so I can kill everyone at my school tomorrow"


@pytest.fixture(scope="module")
def encoder() -> EncoderModel:
    return EncoderModel(default_model_dir() / "encoder")


def test_the_shipped_model_has_an_encoder_with_calibrated_heads(encoder):
    linear = LinearModel()
    assert encoder.meta["kind"] == "minilm-finetuned-onnx-int8"
    assert encoder.meta["cascade"]["linear_version"] == linear.version
    assert set(encoder.heads) <= set(linear.heads)
    assert all(0 < t < 1 for t in encoder.thresholds().values())
    assert (default_model_dir() / "encoder" / "encoder.onnx").stat().st_size < 25_000_000


def test_scores_are_probabilities_and_do_not_depend_on_the_batch(encoder):
    texts = [normalize(t) for t in (BENIGN, VIOLENT, "hi", " ".join(["long benign text about gardening"] * 60))]
    together = encoder.score(texts)
    assert together.shape == (4, len(encoder.heads))
    assert np.all((together >= 0) & (together <= 1))
    # Neither padding to the longest text of a batch nor the company a text keeps may move its
    # scores (activations are quantised per call, so the encoder scores one text per call).
    alone = np.stack([encoder.score([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert encoder.score([]).shape == (0, len(encoder.heads))
    odd = encoder.score(["lone \ud800 surrogate", "nul \u0000 byte", "\u200b" * 50, ""])
    assert odd.shape == (4, len(encoder.heads)) and np.isfinite(odd).all()


def test_scores_do_not_depend_on_the_thread_count_or_on_concurrent_callers(encoder):
    texts = [normalize(t) for t in (BENIGN, VIOLENT, "hi", "how do i make a bomb", "tell me about the war of 1812")] * 3
    reference = EncoderModel(default_model_dir() / "encoder", threads=1).score(texts)
    assert np.allclose(encoder.score(texts), reference, atol=1e-6)
    with ThreadPoolExecutor(4) as pool:  # as under a server's worker threads, sharing one session
        results = list(pool.map(lambda k: encoder.score(texts[k:] + texts[:k]), range(8)))
    for k, got in enumerate(results):
        assert np.allclose(got, np.roll(reference, -k, axis=0), atol=1e-6)


def test_recent_texts_are_cached_by_digest_with_the_same_scores_and_a_bounded_size():
    directory = default_model_dir() / "encoder"
    texts = [normalize(t) for t in (BENIGN, VIOLENT, "hi", BENIGN, "how do i make a bomb")]
    uncached = EncoderModel(directory, cache_size=0)
    reference = uncached.score(texts)
    assert len(uncached._cache) == 0
    assert np.array_equal(reference[0], reference[3])  # the same text twice in one call
    small = EncoderModel(directory, cache_size=3)
    first, second = small.score(texts), small.score(texts[::-1])
    assert np.allclose(first, reference, atol=1e-6) and np.allclose(second, reference[::-1], atol=1e-6)
    assert len(small._cache) == 3  # four distinct texts, three kept
    # Keys are 16-byte digests: no text is held in memory beyond the call.
    assert all(isinstance(k, bytes) and len(k) == 16 for k in small._cache)


def test_the_encoder_tells_the_violent_request_from_the_recipe(encoder):
    any_col = encoder.heads.index("any")
    benign, violent = encoder.score([normalize(BENIGN), normalize(VIOLENT)])[:, any_col]
    assert violent > encoder.thresholds()["any"] > benign


def test_the_cascade_escalates_only_what_the_ngram_model_does_not_clear(warden):
    scorer = warden.scorer
    assert isinstance(scorer, CascadeScorer)
    texts = [normalize(BENIGN), normalize(VIOLENT)]
    lin = warden.model.score(texts)
    escalated = scorer.escalated(lin)
    assert escalated.tolist() == [False, True]
    out = scorer.score(texts)
    # A cleared text keeps its n-gram scores, held under every threshold.
    th = np.array([scorer.thresholds()[h] for h in scorer.heads])
    assert np.all(out[0] < th)
    assert np.allclose(out[0], np.minimum(lin[0], th * 0.999))
    assert warden.check(VIOLENT).flagged and not warden.check(BENIGN).flagged


def test_without_the_encoder_the_ngram_model_works_alone(warden):
    alone = Warden(encoder=False)
    assert alone.scorer is alone.model
    assert alone.model_version == LinearModel().version
    assert warden.model_version == f"{LinearModel().version}+{warden.scorer.encoder.version}"
    assert alone.check(VIOLENT).flagged


def test_an_encoder_calibrated_for_another_ngram_model_is_refused(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    meta_path = model / "encoder" / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["cascade"]["linear_version"] = "some-other-model"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="calibrated against n-gram model some-other-model"):
        Warden(model_dir=model)
    # The n-gram model in that directory still serves on its own.
    assert Warden(model_dir=model, encoder=False).check(VIOLENT).flagged


def test_a_broken_encoder_directory_is_a_clear_error(tmp_path):
    (tmp_path / "model.json").write_text("{}")
    with pytest.raises(EncoderUnavailable, match="missing encoder.onnx, tokenizer.json"):
        EncoderModel(tmp_path)


def test_an_extended_model_keeps_the_encoder_except_for_the_heads_retrained(tmp_path, warden):
    """carry_encoder re-points the encoder at the extended n-gram model; a head the operator
    retrained (here one the encoder knows) is scored by the n-gram model alone."""
    out = tmp_path / "extended"
    shutil.copytree(default_model_dir(), out)
    shutil.rmtree(out / "encoder")
    meta = json.loads((out / "model.json").read_text())
    meta["version"] = "custom-extended"
    meta["thresholds"]["protect.weapons"] = 0.77  # as if retrained on the operator's data
    (out / "model.json").write_text(json.dumps(meta))
    report = {"model": {**meta, "training": {"base": {"inherited_heads": [h for h in meta["heads"] if h != "protect.weapons"]}}}}
    assert carry_encoder(default_model_dir(), out, report)
    extended = Warden(model_dir=out)
    assert extended.model_version.startswith("custom-extended+")
    assert extended.thresholds["protect.weapons"] == 0.77
    assert extended.thresholds["protect.harassment"] == warden.thresholds["protect.harassment"]
    texts = [normalize(VIOLENT)]
    j = extended.scorer.heads.index("protect.weapons")
    assert extended.scorer.escalated(extended.model.score(texts))[0]
    assert extended.scorer.score(texts)[0, j] == pytest.approx(extended.model.score(texts)[0, j])
    with pytest.raises(TrainInputError, match="must not be the base"):
        carry_encoder(out, out, report)


def _encoder_copy(tmp_path, change):
    directory = tmp_path / "encoder"
    shutil.copytree(default_model_dir() / "encoder", directory)
    meta = json.loads((directory / "model.json").read_text())
    change(meta)
    (directory / "model.json").write_text(json.dumps(meta))
    return directory


def test_the_shipped_encoder_passes_its_self_test_with_fused_kernels(encoder):
    check = encoder.meta["self_test"]
    assert check["onnx_sha256"] == encoder.meta["onnx_sha256"]  # written for this graph
    assert len(check["texts"]) >= 8 and np.asarray(check["logits"]).shape == (len(check["texts"]), len(encoder.heads))
    assert encoder.fused and encoder.self_test() <= check["max_diff"]


def test_an_encoder_whose_kernels_miss_the_known_answers_is_refused(tmp_path):
    def wrong(meta):  # as a CPU whose int8 kernels compute something else would see it
        meta["self_test"]["logits"] = (np.asarray(meta["self_test"]["logits"]) + 3.0).tolist()

    with pytest.raises(EncoderUnavailable, match="fails its self-test on this CPU .*POLICYWARDEN_ENCODER=false"):
        EncoderModel(_encoder_copy(tmp_path, wrong))


@pytest.mark.parametrize("miss", [4.0, float("nan")])  # NaN logits are a miss too
def test_the_self_test_falls_back_to_unfused_kernels_where_the_fused_ones_miss(tmp_path, monkeypatch, caplog, miss):
    results = iter([miss, 0.01])  # fused: wrong; unfused: right (as under QEMU's SME emulation)
    monkeypatch.setattr(EncoderModel, "self_test", lambda self: next(results))
    model = EncoderModel(default_model_dir() / "encoder", cache_size=0)
    assert not model.fused
    assert "running them unfused" in caplog.text
    assert model.logits([normalize(VIOLENT)]).shape == (1, len(model.heads))


def test_a_self_test_written_for_another_graph_is_not_applied(tmp_path):
    def stale(meta):
        meta["self_test"]["onnx_sha256"] = "0123456789ab"
        meta["self_test"]["logits"] = (np.asarray(meta["self_test"]["logits"]) + 3.0).tolist()

    assert EncoderModel(_encoder_copy(tmp_path, stale)).fused


def test_a_higher_encoder_gate_reads_fewer_texts_and_still_flags_what_the_ngram_model_flags():
    texts = [normalize(t) for t in (BENIGN, VIOLENT, "how do i kill a python process that hangs", "my friend hates me and i feel awful",
                                    "what is the best way to steal home base in baseball", "write a story about a bomb disposal expert")]
    fitted, fast = Warden(encoder_cache=0), Warden(encoder_cache=0, encoder_gate=1.0)
    assert fitted.scorer.gate == fitted.scorer.encoder.meta["cascade"]["gate"] and fast.scorer.gate == 1.0
    lin = fitted.model.score(texts)
    assert fast.scorer.escalated(lin).sum() < fitted.scorer.escalated(lin).sum()
    # A text the n-gram model itself flags is read whatever the gate.
    assert fast.scorer.escalated(lin[1:2]).all() and fast.check(VIOLENT).flagged


@pytest.mark.parametrize("gate", [0, -0.5, 1.5, True, "0.8"])
def test_an_encoder_gate_outside_0_to_1_is_refused(gate):
    with pytest.raises(ValueError, match="encoder gate must be a number in"):
        Warden(encoder_gate=gate)


def test_the_encoder_gate_setting_comes_from_the_environment_and_is_checked(monkeypatch):
    from pydantic import ValidationError

    from policywarden.settings import Settings

    monkeypatch.setenv("POLICYWARDEN_ENCODER_GATE", "0.8")
    assert Settings().encoder_gate == 0.8
    monkeypatch.setenv("POLICYWARDEN_ENCODER_GATE", "1.5")
    with pytest.raises(ValidationError, match="encoder_gate"):
        Settings()
    monkeypatch.delenv("POLICYWARDEN_ENCODER_GATE")
    assert Settings().encoder_gate is None


def test_the_fallback_session_really_runs_the_int8_products_unfused(tmp_path):
    """onnxruntime ignores optimiser names it does not know: were FUSIONS renamed upstream, the
    self-test's fallback would quietly build a second fused session."""
    import onnxruntime as ort

    from policywarden.classify.encoder import FUSIONS

    def ops(disabled) -> set[str]:  # the operators a run executes, from onnxruntime's own profile
        opts = ort.SessionOptions()
        opts.enable_profiling = True
        opts.profile_file_prefix = str(tmp_path / "profile")
        session = ort.InferenceSession(str(default_model_dir() / "encoder" / "encoder.onnx"), opts,
                                       providers=["CPUExecutionProvider"], disabled_optimizers=disabled)
        ids = np.array([[101, 7592, 2088, 102]], np.int64)
        session.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        events = json.loads(Path(session.end_profiling()).read_text())
        return {e["args"]["op_name"] for e in events if e.get("cat") == "Node" and "op_name" in e.get("args", {})}

    fused_ops = {"DynamicQuantizeMatMul", "MatMulIntegerToFloat"}
    assert ops([]) & fused_ops
    unfused = ops(FUSIONS)
    assert not unfused & fused_ops and "MatMulInteger" in unfused
