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
