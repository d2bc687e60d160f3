"""benchmarks/run.py --report: RESULTS.md names the model and host each table was measured with."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import run  # noqa: E402


def test_the_header_names_the_speed_run_apart_when_it_measured_another_model_or_host(tmp_path, monkeypatch):
    results = tmp_path / "results"
    shutil.copytree(ROOT / "benchmarks" / "results", results)
    monkeypatch.setattr(run, "RESULTS", results)
    ex = json.loads((results / "policy_examples.json").read_text())
    speed = json.loads((results / "speed.json").read_text())
    speed["model"], speed["machine"] = ex["model"], ex["machine"]
    (results / "speed.json").write_text(json.dumps(speed))
    same = run.report().splitlines()[2]
    assert same.startswith(f"Model `{ex['model']}`") and "Speed table" not in same

    speed["model"] = "pw-ngram-0+pw-minilm-0"
    (results / "speed.json").write_text(json.dumps(speed))
    apart = run.report().splitlines()[2]
    assert f"Accuracy tables: model `{ex['model']}`" in apart and "Speed table: model `pw-ngram-0+pw-minilm-0`" in apart
