"""The calibration slice the encoder's build and every calibration step share (build_encoder.py):
the n-gram model's held-back rows, and for sources an encoder names, a larger share of them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from build_encoder import calibration_split, check_calibration_sources  # noqa: E402
from policywarden.training.records import Record  # noqa: E402

LINEAR = {"training": {"seed": 0, "sources": {"old": 400, "written:seen": 80}}}


def _records(source: str, n: int = 2000) -> list[Record]:
    return [Record(text=f"example number {i} from {source}", source=source) for i in range(n)]


def _held(records: list[Record], encoder_meta: dict | None = None) -> set[str]:
    return {r.text for r in calibration_split(records, LINEAR, encoder_meta)[1]}


def test_without_shares_every_source_gives_the_n_gram_models_share():
    recs = _records("old") + _records("written:new")
    fit, cal, mask = calibration_split(recs, LINEAR)
    assert len(fit) + len(cal) == len(recs) and sum(mask) == len(cal)
    for src in ("old", "written:new"):
        share = sum(r.source == src for r in cal) / 2000
        assert 0.09 < share < 0.15


def test_a_named_source_holds_back_more_and_keeps_the_n_gram_models_rows():
    new = _records("written:new")
    meta = {"training": {"calibration_shares": {"written:new": 0.3}}}
    base, more = _held(new), _held(new, meta)
    assert base < more  # a superset: rows either model held back stay held back
    assert 0.26 < len(more) / len(new) < 0.34
    old = _records("old")
    assert _held(old, meta) == _held(old)  # other sources untouched


def test_sources_a_model_was_fitted_on_cannot_be_named():
    recs = _records("written:seen", 5) + _records("written:new", 5) + _records("written:taught", 5)
    assert check_calibration_sources(["written:new"], 0.3, LINEAR, recs, None) == {"written:new": 0.3}
    with pytest.raises(SystemExit, match="n-gram model was fitted on written:seen"):
        check_calibration_sources(["written:seen"], 0.3, LINEAR, recs, None)
    teacher = {"training": {"sources": {"written:taught": 60}}}
    with pytest.raises(SystemExit, match="teacher was fitted on written:taught"):
        check_calibration_sources(["written:taught"], 0.3, LINEAR, recs, teacher)
    with pytest.raises(SystemExit, match="no records from written:missing"):
        check_calibration_sources(["written:missing"], 0.3, LINEAR, recs, None)
    with pytest.raises(SystemExit, match="at least the n-gram model's"):
        check_calibration_sources(["written:new"], 0.05, LINEAR, recs, None)


def test_the_n_gram_models_shares_hold_for_the_encoder_too():
    new = _records("written:new")
    linear = {"training": {**LINEAR["training"], "calibration_shares": {"written:new": 0.3}}}
    held = {r.text for r in calibration_split(new, linear)[1]}
    assert held == _held(new, {"training": {"calibration_shares": {"written:new": 0.3}}})
