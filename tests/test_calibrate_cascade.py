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
