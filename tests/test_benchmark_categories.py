"""benchmarks/categories.py: per-category figures side by side, on outputs written for the test."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import categories  # noqa: E402


def outputs(tmp_path: Path, name: str, *, own: float, line: float, flagged: int) -> Path:
    d = tmp_path / name
    model = d / "model" / "encoder"
    model.mkdir(parents=True)
    (model / "model.json").write_text(json.dumps({"cascade": {"thresholds": {"protect.self_harm": line}}}))
    (d / "measure.json").write_text(json.dumps({"model_dir": str(d / "model")}))
    (d / "policy_examples.json").write_text(json.dumps({"categories": {
        "protect.self_harm": {"flag_examples": 7, "recall_own": own},
        "protect.weapons": {"flag_examples": 6, "recall_own": 1.0}}}))
    (d / "fresh.json").write_text(json.dumps({
        "violations": {"categories": {"protect.self_harm": {"texts": 8, "own": 6}, "protect.weapons": {"texts": 8, "own": 8}}},
        "lookalikes": {"flagged_under": {"protect.self_harm": flagged}}}))
    (d / "heldout.json").write_text(json.dumps({"categories": {
        "protect.self_harm": {"recall": 0.9, "recall_by_group": 0.88, "groups": 64, "fpr": 0.0011}}}))
    return d


def test_moved_category_marked_and_counts_read(tmp_path):
    base = categories.figures(outputs(tmp_path, "base", own=5 / 7, line=0.44, flagged=11))
    cand = categories.figures(outputs(tmp_path, "cand", own=4 / 7, line=0.55, flagged=3))
    assert base["protect.self_harm"]["policy_own"] == 5 and cand["protect.self_harm"]["policy_own"] == 4
    assert cand["protect.self_harm"]["line"] == 0.55
    assert base["protect.weapons"]["lookalikes_flagged"] == 0 and base["protect.weapons"]["heldout_by_item"] is None
    rows = categories.compare(base, cand)
    assert rows["protect.self_harm"]["changed"] and not rows["protect.weapons"]["changed"]
    shown = categories.table(rows, changed_only=True)
    assert "protect.self_harm" in shown and "protect.weapons" not in shown
    assert "5->4/7" in shown and "0.44->0.55" in shown and "11->3" in shown and "0.88 (64)" in shown


def test_model_dir_gone_leaves_line_unknown(tmp_path):
    d = outputs(tmp_path, "base", own=1.0, line=0.5, flagged=0)
    (d / "measure.json").write_text(json.dumps({"model_dir": str(tmp_path / "deleted")}))
    assert categories.figures(d)["protect.self_harm"]["line"] is None
