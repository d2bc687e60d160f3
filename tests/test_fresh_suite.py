"""The fresh development suite (benchmarks/fresh/) is well formed and never reaches training."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from policywarden.policy import load_policy
from policywarden.text.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "benchmarks" / "fresh"
FIELDS = {"everyday": {"text", "topic"}, "lookalikes": {"text", "topic", "near"}, "violations": {"text", "category"},
          "identity": {"text", "group", "kind", "hateful"}}
IDENTITY_KINDS = {False: {"neutral", "positive", "rights", "counter", "negated", "question", "self", "news"},
                  True: {"derogation", "dehumanising", "threat", "exclusion", "stereotype"}}


def rows(name: str) -> list[dict]:
    with open(SUITE / f"{name}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_rows_have_their_fields(name):
    data = rows(name)
    assert len(data) >= 100
    for row in data:
        # `exposed` (optional) says when and how a text's wording reached training-data writers;
        # `added` (optional), the day a row was written, where after the suite's first.
        assert set(row) - {"exposed", "added"} == FIELDS[name], row
        assert "added" not in row or re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["added"]), row
        assert all(isinstance(row[k], str) and row[k].strip() for k in FIELDS[name] - {"hateful"}), row
        if name == "identity":
            assert isinstance(row["hateful"], bool) and row["kind"] in IDENTITY_KINDS[row["hateful"]], row


def test_identity_statements_cover_every_group_both_ways():
    data = rows("identity")
    groups = Counter(r["group"] for r in data)
    assert len(groups) >= 10 and min(groups.values()) >= 12, groups
    for group in groups:
        assert {r["hateful"] for r in data if r["group"] == group} == {False, True}, group


def test_every_category_has_fresh_violations_and_look_alikes_name_real_ones():
    ids = {c.id for c in load_policy().categories}
    per = Counter(r["category"] for r in rows("violations"))
    assert set(per) == ids, sorted(ids ^ set(per))
    assert min(per.values()) >= 8
    # A look-alike's `near` is a category id, or a family of them written with a trailing ".*".
    for r in rows("lookalikes"):
        near = r["near"]
        assert near in ids or (near.endswith(".*") and any(i.startswith(near[:-1]) for i in ids)), near


def test_no_text_twice_nor_in_training_or_the_policy_examples():
    suite = [normalize(r["text"]) for name in FIELDS for r in rows(name)]
    dupes = [t for t, n in Counter(suite).items() if n > 1]
    assert not dupes, dupes[:3]
    trained = set()
    for path in (ROOT / "training" / "written").rglob("*.jsonl"):
        with open(path, encoding="utf-8") as f:
            trained.update(normalize(json.loads(line)["text"]) for line in f if line.strip())
    for c in load_policy().categories:
        trained.update(normalize(t) for t in (*c.examples.flag, *c.examples.allow))
    leaked = set(suite) & trained
    assert not leaked, sorted(leaked)[:3]


def test_identity_report_counts_each_side_by_the_verdict_and_by_the_endpoint():
    """benchmarks/fresh.py's tally on made-up verdicts: no model involved."""
    import sys
    from types import SimpleNamespace

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import fresh

    def verdict(policy: bool, openai: bool):
        hits = [SimpleNamespace(id="protect.harassment")] if policy else []
        return SimpleNamespace(flagged=policy, openai_flagged=policy or openai, hits=hits)

    rows = [{"text": "Women deserve equal pay", "group": "women", "kind": "rights", "hateful": False}, {"text": "b", "group": "women", "kind": "rights", "hateful": False},
            {"text": "c", "group": "men", "kind": "neutral", "hateful": False}, {"text": "d", "group": "men", "kind": "threat", "hateful": True}]
    report = fresh.identity_report(rows, [verdict(True, True), verdict(False, True), verdict(False, False), verdict(False, True)])
    assert report["benign"] == {"texts": 3, "flagged": 1, "flagged_share": 0.3333, "openai_flagged": 2, "openai_flagged_share": 0.6667}
    assert report["hateful"]["flagged"] == 0 and report["hateful"]["openai_flagged"] == 1
    assert report["by_kind"]["benign: rights"]["flagged"] == 1 and report["by_kind"]["hateful: threat"]["texts"] == 1
    assert report["benign_by_group"]["men"]["texts"] == 1 and report["benign_flagged_under"] == {"protect.harassment": 1}
    # Which rows were flagged, for release.py's paired comparison: positions and a digest, never the texts.
    assert report["rows"]["flagged"] == [0] and len(report["rows"]["digest"]) == 16 and "equal pay" not in json.dumps(report["rows"])
