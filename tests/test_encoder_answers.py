"""The ordinary answers build_encoder.py reads from a file on a machine without ../shared/data
(training/device_train.py): taken only when made with the options the student asks for."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from build_encoder import read_answers  # noqa: E402


def _saved(tmp_path: Path, per_source: int, per_answer: int, seed: int) -> Path:
    path = tmp_path / "answers.json"
    answers = [["answer:medquad", "take it with food"], ["answer:gsm8k", "so she has 12 apples left"]]
    path.write_text(json.dumps({"per_source": per_source, "per_answer": per_answer, "seed": seed, "answers": answers}))
    return path


def test_answers_made_with_the_same_options_are_read_as_pairs(tmp_path):
    got = read_answers(_saved(tmp_path, 600, 3, 0), (600, 3, 0))
    assert got == [("answer:medquad", "take it with food"), ("answer:gsm8k", "so she has 12 apples left")]


@pytest.mark.parametrize("made", [(300, 3, 0), (600, 2, 0), (600, 3, 1)])
def test_answers_made_otherwise_are_refused(tmp_path, made):
    with pytest.raises(SystemExit, match="not \\(600, 3, 0\\)"):
        read_answers(_saved(tmp_path, *made), (600, 3, 0))
