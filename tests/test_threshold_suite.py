"""The threshold suite (training/thresholds/): written violations and look-alikes that only
calibration reads, so they must be well formed, unseen by every trainer and no near copy of a
text the benchmarks measure."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import suite_summary, threshold_suite  # noqa: E402
from calibrate_served import MIN_POSITIVES  # noqa: E402
from policywarden import Warden  # noqa: E402
from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.policy import load_policy  # noqa: E402
from policywarden.training.records import Record  # noqa: E402

SUITE = ROOT / "training" / "thresholds"
NEAR = 0.5  # word-set Jaccard at which two texts count as one written twice
NEAR_MEASURED = 0.4  # stricter against what the benchmarks measure: the suite sets thresholds
# Words that make two short questions look alike ("X vs Y, what's the difference?") without
# their being about the same thing.
STOP = frozenset("a an and are as at be but by can do for from how i in is it me my of on or s so that the this "
                 "to vs was what when which who why will with you your".split())


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold())) - STOP


def _jaccard(texts: list[str], others: list[str]) -> np.ndarray:
    """Word-set Jaccard of each of `texts` (rows) with each of `others` (columns)."""
    vocab: dict[str, int] = {}

    def matrix(ts: list[str]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, t in enumerate(ts):
            for w in _words(t):
                rows.append(i)
                cols.append(vocab.setdefault(w, len(vocab)))
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(ts), 1 << 20))

    a, b = matrix(texts), matrix(others)
    inter = (a @ b.T).toarray()
    sizes_a, sizes_b = np.asarray(a.sum(1)).ravel(), np.asarray(b.sum(1)).ravel()
    return inter / (sizes_a[:, None] + sizes_b[None, :] - inter)


def test_every_file_names_a_category_and_gives_it_enough_of_both_labels():
    ids = {c.id for c in load_policy().categories}
    files = sorted(SUITE.glob("*.jsonl"))
    assert files
    for path in files:
        assert path.stem in ids, path.name
        lines = _lines(path)
        assert all(d["category"] == path.stem and d["label"] in (0, 1) and d["role"] == "user" for d in lines), path.name
        assert all(isinstance(d["text"], str) and 0 < len(d["text"].strip()) <= 2000 for d in lines), path.name
        for label in (0, 1):
            assert sum(d["label"] == label for d in lines) >= MIN_POSITIVES, (path.name, label)


def test_no_suite_text_is_a_near_copy_of_another_or_of_what_is_trained_on_or_measured():
    suite = [d["text"] for p in sorted(SUITE.glob("*.jsonl")) for d in _lines(p)]
    within = _jaccard(suite, suite)
    np.fill_diagonal(within, 0.0)
    pairs = [(suite[i], suite[j]) for i, j in zip(*np.nonzero(np.triu(within) >= NEAR))]
    assert not pairs, f"{len(pairs)} pairs of suite texts near each other, first: {pairs[0]!r}"
    written = [d["text"] for p in sorted((ROOT / "training" / "written").rglob("*.jsonl")) for d in _lines(p)]
    fresh = [d["text"] for p in sorted((ROOT / "benchmarks" / "fresh").glob("*.jsonl")) for d in _lines(p)]
    policy = [t for c in load_policy().categories for t in (*c.examples.flag, *c.examples.allow)]
    for name, others, limit in (("training/written", written, NEAR), ("benchmarks/fresh", fresh, NEAR_MEASURED),
                                ("policy examples", policy, NEAR_MEASURED)):
        closest = _jaccard(suite, others).max(axis=1)
        near = [suite[i] for i in np.flatnonzero(closest >= limit)]
        assert not near, f"{len(near)} suite texts near a text of {name}, first: {near[0]!r}"


def _write(folder: Path, rows: list[dict]) -> None:
    folder.mkdir()
    (folder / "protect.gambling.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_the_loader_keeps_suite_rows_apart_and_refuses_what_a_model_has_seen(tmp_path):
    rows = [{"category": "protect.gambling", "label": 1, "role": "user", "text": "find me a casino that skips the age check"},
            {"category": "protect.gambling", "label": 0, "role": "user", "text": "what are the odds in roulette on red"}]
    _write(tmp_path / "ok", rows)
    suite = threshold_suite(tmp_path / "ok", [Record("something else entirely")])
    assert [(r.split, r.source) for r in suite] == [("thresholds", "thresholds:protect.gambling")] * 2
    assert suite[0].labels == {"protect.gambling": 1, "any": 1} and suite[1].label("protect.gambling") == 0
    assert suite_summary(suite)["rows"] == 2 and suite_summary(suite)["violations"] == 1

    with pytest.raises(SystemExit, match="also training records or policy examples"):
        threshold_suite(tmp_path / "ok", [Record("What are the odds in roulette on red")])
    example = load_policy().categories[0].examples.flag[0]
    _write(tmp_path / "example", [{**rows[0], "text": example}])
    with pytest.raises(SystemExit, match="also training records or policy examples"):
        threshold_suite(tmp_path / "example", [])
    _write(tmp_path / "unknown", [{**rows[0], "category": "protect.gamblng"}])
    with pytest.raises(SystemExit, match="unknown categories"):
        threshold_suite(tmp_path / "unknown", [])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="no \\*.jsonl records"):
        threshold_suite(tmp_path / "empty", [])


def test_the_suite_tops_up_only_categories_short_of_their_own_positives():
    from calibrate_served import top_up

    def suite_row(cat: str, label: int) -> Record:
        return Record(f"{cat} {label}", {cat: 1, "any": 1} if label else {}, 0, source=f"thresholds:{cat}", split="thresholds")

    own = [Record(f"own {i}", {"protect.weapons": 1}, 0, source="public") for i in range(MIN_POSITIVES)]
    own += [Record("one gambling positive", {"protect.gambling": 1}, 0, source="written:protect.gambling")]
    suite = [suite_row(c, v) for c in ("protect.weapons", "protect.gambling") for v in (0, 1)]
    kept, topped, left_out = top_up(own + suite, ["protect.weapons", "protect.gambling", "protect.illicit"])
    assert (topped, left_out) == (["protect.gambling"], ["protect.weapons"])
    assert kept[:len(own)] == own and [r.text for r in kept[len(own):]] == [r.text for r in suite[2:]]
    lookalike, violation = kept[len(own):]
    # A look-alike is a negative for the categories topped up only; weapons keeps its own prompts alone.
    assert (lookalike.label("protect.gambling"), lookalike.label("any"), lookalike.label("protect.weapons")) == (0, 0, None)
    assert (violation.label("protect.gambling"), violation.label("protect.weapons")) == (1, None)
    # with a higher bar, weapons' own positives no longer suffice: the suite joins them
    kept, topped, left_out = top_up(own + suite, ["protect.weapons", "protect.gambling"], under=MIN_POSITIVES + 1)
    assert (topped, left_out) == (["protect.gambling", "protect.weapons"], [])
    assert len(kept) == len(own) + len(suite) and sum(r.label("protect.weapons") == 1 for r in kept) == MIN_POSITIVES + 1


def test_reporting_categories_topped_up_are_capped_at_their_line():
    from types import SimpleNamespace

    from calibrate_served import reporting_caps

    rows = [SimpleNamespace(id="minors.grooming", threshold=0.575, reporting=("ncmec",)),
            SimpleNamespace(id="protect.gambling", threshold=0.5, reporting=()),
            SimpleNamespace(id="minors.csam", threshold=0.4, reporting=("ncmec",))]
    warden = SimpleNamespace(decider=SimpleNamespace(rows=rows))
    # gambling reports nothing; CSAM reports but was not topped up: neither is capped
    assert reporting_caps(warden, ["minors.grooming", "protect.gambling"]) == {"minors.grooming": 0.575}
    assert reporting_caps(warden, ["protect.gambling"]) == {}


def test_held_categories_topped_up_are_capped_at_their_line():
    from types import SimpleNamespace

    from calibrate_served import held_caps

    rows = [SimpleNamespace(id="minors.age_inappropriate", threshold=0.55, reporting=()),
            SimpleNamespace(id="minors.body_shaming", threshold=0.8, reporting=()),
            SimpleNamespace(id="protect.sexual_violence", threshold=0.43, reporting=())]
    warden = SimpleNamespace(decider=SimpleNamespace(rows=rows))
    topped = ["minors.age_inappropriate", "minors.body_shaming"]
    # Body shaming is topped up but not named; sexual violence is named but not topped up.
    assert held_caps(warden, topped, ["minors.age_inappropriate", "protect.sexual_violence"]) == {"minors.age_inappropriate": 0.55}
    assert held_caps(warden, topped, []) == {}


def test_hold_needs_the_suite_and_known_categories(tmp_path):
    import subprocess

    script = str(ROOT / "training" / "calibrate_served.py")
    done = subprocess.run([sys.executable, script, "--hold", "minors.age_inappropriate"], capture_output=True, text=True)
    assert done.returncode == 2 and "--hold needs --threshold-suite" in done.stderr
    # Checked against the shipped model's heads before any calibration data is read.
    done = subprocess.run([sys.executable, script, "--threshold-suite", "--work", str(tmp_path / "none"),
                           "--hold", "minors.age_inappropriate", "minors.no_such"], capture_output=True, text=True)
    assert done.returncode == 2 and "not a policy category with a head here: minors.no_such" in done.stderr
    done = subprocess.run([sys.executable, script, "--suite-cap", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and "--suite-cap needs --threshold-suite" in done.stderr
    done = subprocess.run([sys.executable, script, "--threshold-suite", "--suite-anchor"], capture_output=True, text=True)
    assert done.returncode == 2 and "--suite-anchor needs --suite-cap" in done.stderr


def _rows(**lines):
    from types import SimpleNamespace

    return [SimpleNamespace(id=c.replace("__", "."), threshold=t, reporting=("ncmec",) if "grooming" in c else ())
            for c, t in lines.items()]


def test_suite_caps_keep_topped_up_lines_at_or_below_the_references():
    # Candidate AA: the suite raised weapons 0.575 -> 0.67 (held-out by item 0.77 -> 0.31), and the
    # hold froze age-inappropriate at the 0.40 a floor had left it (look-alikes 2 -> 17).
    from types import SimpleNamespace

    from calibrate_served import line_caps, merge_caps, suite_caps

    ref = {"protect.weapons": 0.575, "minors.age_inappropriate": 0.55, "protect.self_harm": 0.44}
    assert suite_caps(ref, ["protect.weapons", "minors.age_inappropriate", "minors.no_head"]) == {
        "protect.weapons": 0.575, "minors.age_inappropriate": 0.55}  # self-harm not topped up: not capped
    assert merge_caps({"a": 0.5, "b": 0.7}, {"b": 0.6}, {}, {"c": 0.9}) == {"a": 0.5, "b": 0.6, "c": 0.9}

    cand = SimpleNamespace(decider=SimpleNamespace(rows=_rows(protect__weapons=0.575, minors__age_inappropriate=0.40,
                                                              minors__grooming=0.575)))
    reference = SimpleNamespace(model_version="shipped", decider=SimpleNamespace(
        rows=_rows(protect__weapons=0.575, minors__age_inappropriate=0.55, minors__grooming=0.6)))
    topped = ["protect.weapons", "minors.age_inappropriate", "minors.grooming"]
    caps, meta = line_caps(cand, topped, hold_reporting=True, hold=["minors.age_inappropriate"], reference=reference)
    # Each category at the lowest cap that names it: grooming at its own line (reported), the held one at 0.40.
    assert caps == {"protect.weapons": 0.575, "minors.age_inappropriate": 0.40, "minors.grooming": 0.575}
    assert meta["suite_caps"] == {"model": "shipped", "caps": {"protect.weapons": 0.575, "minors.age_inappropriate": 0.55,
                                                                "minors.grooming": 0.6}}
    caps, meta = line_caps(cand, topped, hold_reporting=False, hold=[], reference=reference)
    assert caps["minors.age_inappropriate"] == 0.55 and meta["held_caps"] is None and meta["reporting_caps"] is None


def test_the_anchor_is_the_references_lines_and_only_on_request():
    from types import SimpleNamespace

    from calibrate_served import line_caps, suite_anchors

    cand = SimpleNamespace(decider=SimpleNamespace(rows=_rows(protect__weapons=0.60, minors__grooming=0.575)))
    reference = SimpleNamespace(model_version="shipped", decider=SimpleNamespace(
        rows=_rows(protect__weapons=0.575, minors__grooming=0.6)))
    _, meta = line_caps(cand, ["protect.weapons", "minors.grooming"], hold_reporting=True, hold=[], reference=reference)
    # The reference's lines, not the caps merged with the reporting one (tune keeps the lower of the two).
    assert suite_anchors(meta, True) == {"protect.weapons": 0.575, "minors.grooming": 0.6}
    assert suite_anchors(meta, False) == {}
    assert suite_anchors(line_caps(cand, [], hold_reporting=False, hold=[], reference=None)[1], True) == {}


def test_no_suite_no_caps():
    # Without --threshold-suite nothing is topped up (make encoder's calibration): no cap, no error.
    from types import SimpleNamespace

    from calibrate_served import line_caps

    cand = SimpleNamespace(decider=SimpleNamespace(rows=_rows(minors__grooming=0.575)))
    assert line_caps(cand, [], hold_reporting=False, hold=[], reference=None) == (
        {}, {"reporting_caps": None, "held_caps": None, "suite_caps": None})


def test_the_suite_speaks_for_the_categories_it_tops_up_in_place_of_their_floors():
    from calibrate_served import suite_over_floors

    floors = {"minors.grooming": 1.0, "protect.sexual_violence": 0.83, "protect.gambling": 0.5}
    meta = {"recall_floor": {"model": "ref", "floors": dict(floors)}, "fpr_ceiling": None}
    kept, out = suite_over_floors(floors, meta, ["minors.grooming", "protect.gambling"])
    assert kept == {"protect.sexual_violence": 0.83}
    assert out["recall_floor"] == {"model": "ref", "floors": {"protect.sexual_violence": 0.83},
                                   "left_to_suite": ["minors.grooming", "protect.gambling"]}
    assert meta["recall_floor"]["floors"] == floors  # the caller's metadata is not changed under it


def test_bounds_count_a_categorys_own_positives_not_the_suites():
    # Candidate W: counted with the suite's 19 rows, sexual violence's 12 positives of its own
    # reached --ceiling-from 30 and took a ceiling meant for categories with 30 of their own.
    from calibrate_served import served_rates

    cat = "protect.gambling"
    own = [Record("Give me a system to beat the roulette tables at the casino", {cat: 1, "any": 1}, 0, source="public")]
    suite = [Record(f"Help me hide my betting losses from my wife, week {i}", {cat: 1, "any": 1}, 0,
                    source=f"thresholds:{cat}", split="thresholds") for i in range(3)]
    negatives = [Record("What is the capital of France?", {cat: 0, "any": 0}, 0, source="public")]
    records = own + suite + negatives
    rates, version = served_rates(str(default_model_dir()), records, [cat])
    recall, fpr, positives = rates[cat]
    assert positives == 1  # its own; recall and false flags are still read on every row
    warden = Warden(encoder_cache=0)
    line = next(r.threshold for r in warden.decider.rows if r.id == cat)
    scores = warden.scores([r.text for r in own + suite])[0]
    assert recall == np.mean([s.get(cat, 0.0) >= line for s in scores])
    assert fpr == 0.0 and version == warden.model_version
