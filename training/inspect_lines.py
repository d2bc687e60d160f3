"""Where a category's texts score against its line: held-out positives, the threshold suite's
violations and look-alikes, under one model or several.

    python training/inspect_lines.py minors.age_restricted protect.weapons \
        --model src/policywarden/classify/model --model CANDIDATE_DIR

For each model and category: the served line, and for each group of texts its count, score
quartiles and the share at or above the line. Candidate AA (session 44) lost held-out recall on
three thin categories although their held-out positives scored as under the shipped pair: the
positives sat in a narrow band around the lines, and the suite, whose written violations score
far higher, had moved the lines. This shows that before a release rule does. Scores as served
(`Warden.scores`: windows, short windows for prompts); reads the built dataset's held-out split
(build_dataset.py's `--out`) and training/written's held-out share, as benchmarks/heldout.py does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from policywarden import Warden  # noqa: E402
from policywarden.training.records import heldout_records, written_records  # noqa: E402


def band(scores, line: float) -> dict:
    """Count, quartiles and the share at or above `line` of one group's scores (None when empty)."""
    s = np.asarray(scores, dtype=float)
    if not len(s):
        return {"n": 0, "quartiles": None, "at_or_above": None}
    return {"n": int(len(s)), "quartiles": [round(float(q), 3) for q in np.percentile(s, [25, 50, 75])],
            "at_or_above": round(float(np.mean(s >= line)), 3)}


def groups(categories: list[str], work: Path, written: Path, suite: Path) -> dict[str, dict[str, list[str]]]:
    """Per category, its texts by group: held-out positives (built dataset and written files),
    the suite's violations and its look-alikes (absent where the suite has no file for it)."""
    dataset = work / "dataset.jsonl"
    held = heldout_records(dataset if dataset.exists() else None, written)
    suite_rows = list(written_records(suite))  # the suite's files have the written examples' format
    out = {}
    for cat in categories:
        rows = [r for r in suite_rows if r.source == f"written:{cat}"]
        out[cat] = {
            "held-out positives": [r.text for r in held if r.label(cat) == 1],
            "suite violations": [r.text for r in rows if r.label(cat) == 1],
            "suite look-alikes": [r.text for r in rows if r.label(cat) == 0],
        }
    return out


def measure(model_dir: str | None, texts: dict[str, dict[str, list[str]]]) -> dict:
    """One model's line and bands for each category (a category the model has no line for is skipped)."""
    warden = Warden(model_dir=model_dir, encoder_cache=0)
    lines = {r.id: r.threshold for r in warden.decider.rows}
    result = {"model": warden.model_version, "categories": {}}
    for cat, by_group in texts.items():
        if cat not in lines:
            continue
        entry = {"line": lines[cat]}
        for name, group in by_group.items():
            scores = [s.get(cat, 0.0) for s in warden.scores(group)[0]] if group else []
            entry[name] = band(scores, lines[cat])
        result["categories"][cat] = entry
    return result


def show(results: list[dict]) -> str:
    out = []
    for res in results:
        out.append(res["model"])
        for cat, e in res["categories"].items():
            out.append(f"  {cat} (line {e['line']:.3f})")
            for name, b in e.items():
                if name == "line":
                    continue
                q = "-" if b["quartiles"] is None else " / ".join(f"{v:.2f}" for v in b["quartiles"])
                share = "-" if b["at_or_above"] is None else f"{b['at_or_above']:.2f}"
                out.append(f"    {name:20} n {b['n']:4}  quartiles {q:20}  at or above the line {share}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("categories", nargs="+")
    ap.add_argument("--model", action="append", help="a model directory (repeat to compare; default the shipped one)")
    ap.add_argument("--work", type=Path, default=ROOT / "training" / "out", help="build_dataset.py's output")
    ap.add_argument("--written", type=Path, default=ROOT / "training" / "written")
    ap.add_argument("--suite", type=Path, default=ROOT / "training" / "thresholds")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    texts = groups(args.categories, args.work, args.written, args.suite)
    results = [measure(m, texts) for m in (args.model or [None])]
    if unknown := sorted(set(args.categories) - {c for r in results for c in r["categories"]}):
        ap.error(f"no line for: {', '.join(unknown)}")
    print(show(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
