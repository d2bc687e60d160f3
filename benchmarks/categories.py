"""Per policy category, side by side: where a candidate gained or lost against the baseline.

    python benchmarks/measure.py BASE_DIR                 # the shipped model
    python benchmarks/measure.py CAND_DIR --model DIR     # a candidate
    python benchmarks/categories.py BASE_DIR CAND_DIR [--changed] [--json out.json]

`release.py` says whether a candidate passes; this says by category where it moved, which is how
each candidate's write-up attributes its changes. For each policy category: the served line
(when the measured model directory is still on disk), the policy's own examples caught under
that category, the fresh violations caught under it, held-out recall by item (a JailbreakBench
goal's prompts and answers count once) and false-positive rate, and the fresh look-alikes
flagged under it. Reads only the JSON that `measure.py` writes; scores nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _load(directory: Path, name: str) -> dict:
    path = directory / name
    return json.loads(path.read_text()) if path.exists() else {}


def served_lines(directory: Path) -> dict[str, float]:
    """The cascade's per-head lines of the model `measure.py` measured, if that directory exists."""
    model_dir = _load(directory, "measure.json").get("model_dir")
    if not model_dir:
        return {}
    model_json = Path(model_dir) / "encoder" / "model.json"
    if not model_json.exists():
        return {}
    cascade = json.loads(model_json.read_text()).get("cascade", {})
    return {head: float(t) for head, t in cascade.get("thresholds", {}).items()}


def figures(directory: Path) -> dict[str, dict]:
    """Per category: line, policy examples and fresh violations caught under it (own, n),
    held-out recall by item with its item count, held-out FPR, look-alikes flagged under it."""
    d = Path(directory)
    policy = _load(d, "policy_examples.json").get("categories", {})
    fresh = _load(d, "fresh.json")
    violations = fresh.get("violations", {}).get("categories", {})
    flagged_under = fresh.get("lookalikes", {}).get("flagged_under", {})
    held = _load(d, "heldout.json").get("categories", {})
    lines = served_lines(d)
    out: dict[str, dict] = {}
    for cat in sorted(set(policy) | set(violations)):
        p, v, h = policy.get(cat, {}), violations.get(cat, {}), held.get(cat, {})
        out[cat] = {
            "line": lines.get(cat),
            "policy_own": round(p["recall_own"] * p["flag_examples"]) if p else None,
            "policy_n": p.get("flag_examples"),
            "fresh_own": v.get("own"),
            "fresh_n": v.get("texts"),
            "heldout_by_item": h.get("recall_by_group", h.get("recall")),
            "heldout_items": h.get("groups", h.get("positives")),
            "heldout_fpr": h.get("fpr"),
            "lookalikes_flagged": flagged_under.get(cat, 0),
        }
    return out


FIELDS = ("line", "policy_own", "fresh_own", "heldout_by_item", "heldout_fpr", "lookalikes_flagged")


def compare(base: dict[str, dict], cand: dict[str, dict]) -> dict[str, dict]:
    """Each category's figures on both sides and whether any of them moved."""
    rows = {}
    for cat in sorted(set(base) | set(cand)):
        b, c = base.get(cat, {}), cand.get(cat, {})
        rows[cat] = {"base": b, "cand": c, "changed": any(b.get(f) != c.get(f) for f in FIELDS)}
    return rows


def _pair(b, c, fmt: str = "{}") -> str:
    show = lambda x: "-" if x is None else fmt.format(x)  # noqa: E731
    return show(b) if b == c else f"{show(b)}->{show(c)}"


def table(rows: dict[str, dict], changed_only: bool) -> str:
    head = f"{'category':46} {'line':>11} {'policy own':>12} {'fresh own':>11} {'held-out by item':>20} {'FPR %':>11} {'look-alikes':>11}"
    lines = [head, "-" * len(head)]
    for cat, row in rows.items():
        if changed_only and not row["changed"]:
            continue
        b, c = row["base"], row["cand"]
        n = b.get("policy_n") or c.get("policy_n")
        fn = b.get("fresh_n") or c.get("fresh_n")
        items = c.get("heldout_items") or b.get("heldout_items")
        fpr = lambda r: None if r.get("heldout_fpr") is None else 100 * r["heldout_fpr"]  # noqa: E731
        lines.append(
            f"{('* ' if row['changed'] else '  ') + cat:46} {_pair(b.get('line'), c.get('line'), '{:.3g}'):>11} "
            f"{_pair(b.get('policy_own'), c.get('policy_own')) + (f'/{n}' if n else ''):>12} "
            f"{_pair(b.get('fresh_own'), c.get('fresh_own')) + (f'/{fn}' if fn else ''):>11} "
            f"{_pair(b.get('heldout_by_item'), c.get('heldout_by_item'), '{:.2f}') + (f' ({items})' if items else ''):>20} "
            f"{_pair(fpr(b), fpr(c), '{:.2f}'):>11} "
            f"{_pair(b.get('lookalikes_flagged'), c.get('lookalikes_flagged')):>11}"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path, help="the baseline's measure.py directory")
    ap.add_argument("candidate", type=Path, help="the candidate's measure.py directory")
    ap.add_argument("--changed", action="store_true", help="only the categories where a figure moved")
    ap.add_argument("--json", type=Path, help="also write the rows to this file")
    args = ap.parse_args()
    for d in (args.base, args.candidate):
        if not (d / "policy_examples.json").exists() and not (d / "fresh.json").exists():
            ap.error(f"{d}: no policy_examples.json or fresh.json (run benchmarks/measure.py first)")
    rows = compare(figures(args.base), figures(args.candidate))
    print(table(rows, args.changed))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
