"""benchmarks/compare.py: the paired comparison of two held-out runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare  # noqa: E402


def verdicts(path: Path, label, flagged, group, model: str, digest=None) -> Path:
    n = len(label)
    np.savez_compressed(path, label=np.array(label), flagged=np.array(flagged, dtype=bool), score=np.zeros(n),
                        group=np.array(group), digest=np.array(digest or [f"{i:016x}" for i in range(n)]),
                        model=np.array(model))
    return path


def test_sign_test_matches_the_binomial():
    assert compare.sign_test(0, 0) == 1.0
    assert compare.sign_test(5, 5) == 1.0
    assert compare.sign_test(0, 6) == pytest.approx(2 / 64)
    assert compare.sign_test(10, 0) == pytest.approx(2 / 1024)


def test_f1_counts_each_resampled_record_by_its_weight():
    label = np.array([True, True, False, False])
    flagged = np.array([True, False, True, False])
    assert compare.f1(label, flagged, np.ones((1, 4)))[0] == pytest.approx(0.5)  # tp 1, fp 1, fn 1
    # Record 0 drawn three times, record 1 never: tp 3, fp 1, fn 0.
    assert compare.f1(label, flagged, np.array([[3, 0, 1, 0]]))[0] == pytest.approx(6 / 7)


def test_a_clearly_better_candidate_and_a_tie(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    label = rng.integers(0, 2, n)
    label[:50] = -1  # unknown: left out
    group = np.where(np.arange(n) % 4 == 0, "written:x", "public-set")
    noisy = np.where(rng.random(n) < 0.3, 1 - label, label) == 1
    good = np.where(rng.random(n) < 0.05, 1 - label, label) == 1
    base = verdicts(tmp_path / "b.npz", label, noisy, group, "m1")
    better = verdicts(tmp_path / "c.npz", label, good, group, "m2")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(base), str(better), "--resamples", "300",
                          "--json", str(tmp_path / "d.json")], capture_output=True, text=True, check=True)
    assert "m1 -> m2" in out.stdout
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["all"]["records"] == n - 50
    assert report["public"]["records"] + report["written"]["records"] == n - 50
    r = report["all"]
    assert r["difference"] > 0.1 and r["interval_95"][0] > 0 and r["sign_test_p"] < 1e-6
    assert r["verdicts_fixed"] > r["verdicts_broken"]

    same = compare.compare(dict(np.load(base)), dict(np.load(base)), label >= 0, 200, 0)
    assert same["difference"] == 0 and same["interval_95"] == [0, 0] and same["sign_test_p"] == 1.0


def test_different_records_are_refused(tmp_path):
    a = verdicts(tmp_path / "a.npz", [1, 0], [True, False], ["s", "s"], "m1")
    b = verdicts(tmp_path / "b.npz", [1, 0], [True, False], ["s", "s"], "m2", digest=["0" * 16, "f" * 16])
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(a), str(b)], capture_output=True, text=True)
    assert out.returncode != 0 and "different records" in out.stderr


def test_the_openai_row_compares_what_v1_moderations_flags(tmp_path):
    """Files with the OpenAI taxonomy's labels and flags (benchmarks/heldout.py writes them) get
    an "openai" row over the records whose labels say; older files do not."""
    label, group = [1, 0, 1, 0], ["s"] * 4
    base = verdicts(tmp_path / "b.npz", label, [True, False, True, False], group, "m1")
    plain = verdicts(tmp_path / "p.npz", label, [True, False, True, False], group, "m2")
    with_openai = {}
    for name, flags in (("b2", [True, True, False, True, False]), ("c2", [True, False, True, True, False])):
        d = dict(np.load(base))
        d["openai_label"], d["openai_flagged"] = np.array([1, 0, 1, -1, 0]), np.array(flags)
        d["label"], d["flagged"], d["group"] = np.append(d["label"], 0), np.append(d["flagged"], False), np.append(d["group"], "s")
        d["digest"] = np.array([f"{i:016x}" for i in range(5)])
        np.savez_compressed(tmp_path / f"{name}.npz", **d)
        with_openai[name] = tmp_path / f"{name}.npz"
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(with_openai["b2"]), str(with_openai["c2"]),
                          "--resamples", "50", "--json", str(tmp_path / "d.json")], capture_output=True, text=True, check=True)
    row = json.loads((tmp_path / "d.json").read_text())["openai"]
    assert "openai" in out.stdout and row["records"] == 4  # the unknown record is left out
    # base: tp 1, fp 1, fn 1 (F1 0.5); candidate: tp 2, no errors (F1 1)
    assert row["f1_base"] == 0.5 and row["f1_candidate"] == 1.0 and row["verdicts_fixed"] == 2 and row["verdicts_broken"] == 0
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(base), str(plain), "--json", str(tmp_path / "e.json")],
                         capture_output=True, text=True, check=True)
    assert "openai" not in json.loads((tmp_path / "e.json").read_text())


def test_openai_truth_needs_a_positive_or_all_thirteen_negatives():
    import heldout

    from policywarden.policy import OPENAI_CATEGORIES
    from policywarden.training.records import Record

    def record(labels, default):
        return Record(text="t", labels=labels, default=default, role="user", source="s", licence="x", split="heldout")

    assert heldout.openai_truth(record({}, 0)) == 0  # a benign source: every head 0
    assert heldout.openai_truth(record({"openai:hate": 1}, None)) == 1
    assert heldout.openai_truth(record({"openai:hate": 0}, None)) == -1  # offensive, not hateful: harassment unknown
    assert heldout.openai_truth(record({f"openai:{n}": 0 for n in OPENAI_CATEGORIES}, None)) == 0


def test_figures_go_to_json_alone_when_it_is_given(tmp_path, monkeypatch):
    # benchmarks/results/ holds the shipped model's committed figures: a diagnostic run with
    # --json (or of a candidate, or of one disguise) must not rewrite them
    import argparse

    import common

    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(common, "machine", lambda: {"cpu": "test"})

    def run(**given):
        common.emit("figures", {"f1": 0.5}, argparse.Namespace(**{"json": None, "model": None, "gate": None, **given}))

    out = tmp_path / "out.json"
    run(json=str(out))
    assert json.loads(out.read_text())["f1"] == 0.5 and not (tmp_path / "results").exists()
    common.emit("figures", {"f1": 0.5}, argparse.Namespace(json=None, model="cand", gate=None))
    common.emit("figures", {"f1": 0.5}, argparse.Namespace(json=None, model=None, gate=None), partial=True)
    assert not (tmp_path / "results").exists()
    run()
    assert json.loads((tmp_path / "results" / "figures.json").read_text()) == {"machine": {"cpu": "test"}, "f1": 0.5}
