"""benchmarks/measure.py: the five benchmarks release.py reads, run into one folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from measure import BENCHMARKS, check_folder, command, pending  # noqa: E402


def test_each_benchmark_writes_into_the_folder_with_the_model_given(tmp_path):
    held = command("heldout", tmp_path, model="/models/cand", gate=0.4)
    assert held[1].endswith("heldout.py")
    assert held[2:] == ["--json", str(tmp_path / "heldout.json"), "--model", "/models/cand", "--gate", "0.4",
                        "--verdicts", str(tmp_path / "heldout.npz")]  # the paired interval needs the verdicts
    # the shipped model: no --model, no --gate, and only heldout writes verdicts
    assert command("fresh", tmp_path)[2:] == ["--json", str(tmp_path / "fresh.json")]


def test_a_run_goes_on_where_it_stopped(tmp_path):
    assert pending(tmp_path) == list(BENCHMARKS)
    (tmp_path / "fresh.json").write_text("{}")
    (tmp_path / "heldout.json").write_text("{}")  # its verdicts missing: not done
    assert pending(tmp_path) == [n for n in BENCHMARKS if n != "fresh"]
    (tmp_path / "heldout.npz").write_bytes(b"")
    assert pending(tmp_path) == [n for n in BENCHMARKS if n not in ("fresh", "heldout")]
    assert pending(tmp_path, force=True) == list(BENCHMARKS)


def test_a_folder_holds_one_models_figures(tmp_path):
    run = {"model": "pw-a", "model_dir": "/m/a", "gate": None}
    check_folder(tmp_path, run)
    check_folder(tmp_path, run)  # the same model again: goes on
    other = {**run, "model": "pw-b"}
    with pytest.raises(SystemExit, match="holds figures for"):
        check_folder(tmp_path, other)
    with pytest.raises(SystemExit, match="holds figures for"):
        check_folder(tmp_path, {**run, "gate": 0.4})  # another gate gives other figures
    check_folder(tmp_path, other, force=True)
    assert json.loads((tmp_path / "measure.json").read_text()) == other
