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
