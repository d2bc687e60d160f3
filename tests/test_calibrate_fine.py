"""training/calibrate_fine.py: which short-window margins the calibration budget allows."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

import calibrate_fine  # noqa: E402
from calibrate_unattributed import sources_within  # noqa: E402


def row(fpr: float, recall: float, roleplay_flagged: int, benign_counts: bool = True) -> dict:
    # Candidate AA's calibration: 161 benign role-play prompts, 10 of them flagged without short windows.
    r = {"fpr": fpr, "recall": recall, "fpr_by_source": {"awesome_chatgpt_prompts": round(roleplay_flagged / 161, 4),
                                                         "gsm8k": 0.0033}}
    if benign_counts:
        r["benign_by_source"] = {"awesome_chatgpt_prompts": 161, "gsm8k": 300}
    return r


def table(benign_counts: bool = True) -> dict:
    extra = {"1.0": 8, "1.1": 3, "1.2": 2, "1.3": 2, "1.4": 0, "1.6": 0, "2.0": 0}
    t = {"none": row(0.0672, 0.830, 10, benign_counts)}
    for m, n in extra.items():
        t[m] = row(0.0672 + 0.0004 * n, 0.831 if m != "2.0" else 0.829, 10 + n, benign_counts)
    return t


def test_two_prompts_over_the_source_limit_refuse_a_margin_without_slack():
    # 2 of 161 is +1.24%, over the 1% limit: AA's fine step refused 1.2 and 1.3 and chose 1.4.
    assert calibrate_fine.allowed_margins(table()) == [1.4, 1.6]  # 2.0 loses recall


def test_source_slack_allows_a_rise_of_that_many_prompts_and_no_more():
    assert calibrate_fine.allowed_margins(table(), source_slack=2) == [1.2, 1.3, 1.4, 1.6]
    assert calibrate_fine.allowed_margins(table(), source_slack=3) == [1.1, 1.2, 1.3, 1.4, 1.6]
    assert sources_within(table(), "1.1", 2) is False and sources_within(table(), "1.1", 3) is True


def test_tables_without_benign_counts_get_no_slack():
    assert calibrate_fine.allowed_margins(table(benign_counts=False), source_slack=5) == [1.4, 1.6]
