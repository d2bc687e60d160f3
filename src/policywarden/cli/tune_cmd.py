"""`policywarden tune`: per-category thresholds fitted on your labelled data, as an overlay."""

from __future__ import annotations

import os
from pathlib import Path

import typer
import yaml
from rich.table import Table

from ..training.metrics import TOLERANCE
from . import policy_cmd
from .common import console, fail, print_json


def tune(
    file: str = typer.Argument(..., help="Labelled JSONL or CSV with category labels, in the formats `policywarden eval` reads."),
    out: str = typer.Option(..., "--out", help="Overlay file to write (YAML); apply it with --overlay."),
    beta: float = typer.Option(1.0, help="Each category's threshold maximises F-beta (below 1 favours precision, above 1 recall)."),
    fewest_errors: bool = typer.Option(False, "--fewest-errors", help="Each category's threshold makes the fewest false flags "
                                        "plus misses instead (a false flag costs as much as a miss; --tolerance then counts examples)."),
    max_fpr: float | None = typer.Option(None, "--max-fpr", help="Then raise thresholds until at most this share of benign examples is flagged under any category."),
    min_precision: float | None = typer.Option(None, "--min-precision", help="Then raise thresholds until at least this share of flagged examples is violating."),
    min_positives: int = typer.Option(10, "--min-positives", help="A category with fewer positives (or negatives) keeps its threshold."),
    holdout: float = typer.Option(0.0, help="Share of the examples kept back (by a hash of the text) and only measured."),
    tolerance: float = typer.Option(TOLERANCE, help="Thresholds within this many positives' worth of F-beta of the best count as "
                                              "best; the middle of them is taken (0: the exact best)."),
    keep_recall: bool = typer.Option(False, "--keep-recall", help="No category catches fewer of its examples than its "
                                     "threshold in force does: a refit may trade false flags, not misses."),
    keep_fpr: bool = typer.Option(False, "--keep-fpr", help="No category flags more of its benign examples than its "
                                  "threshold in force does: a refit may trade misses, not false flags (with --keep-recall, "
                                  "only moves that lose neither; the recall floor wins where both cannot hold)."),
    surface: str = typer.Option("input", help="input or output: the text the examples are."),
    policy: str = policy_cmd.POLICY_OPT,
    overlay: list[str] = policy_cmd.OVERLAY_OPT,
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Fit each category's threshold on your labelled data, scored as served; write an overlay."""
    from ..evaluate import EvalInputError, read_examples
    from ..tune import Objective, overlay_document
    from ..tune import tune as run
    from .main import _warden

    target = Path(out)
    if target.exists() and not force:
        fail(f"{target} exists: choose another --out, or pass --force to replace it")
    try:
        objective = Objective(beta, max_fpr, min_precision, errors_from=0 if fewest_errors else None)
    except ValueError as exc:
        fail(str(exc))
    warden = _warden(policy, overlay, surface)
    try:
        result = run(warden, read_examples(file), objective, surface, min_positives, holdout, tolerance=tolerance,
                     keep_recall=keep_recall, keep_fpr=keep_fpr)
    except (EvalInputError, ValueError) as exc:
        fail(str(exc))
    # A policy file is named from the overlay's folder, as the loader resolves an overlay's base.
    base = os.path.relpath(Path(policy).resolve(), target.resolve().parent) if Path(policy).is_file() else policy
    doc = overlay_document(result, base, Path(file).name)
    header = ("# Written by `policywarden tune`. The thresholds are absolute: apply this after any other\n"
              f"# overlay (--overlay {target.name}), or as the policy itself (--policy {target.name}).\n")
    try:
        target.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    if as_json:
        print_json(result | {"overlay": str(target)})
        return
    measured = "the held-out examples" if result["held_out"] else "the examples fitted on"
    table = Table(title=f"{result['examples']} examples ({result['held_out']} held out), {result['objective']}, "
                        f"model {result['model']}; precision, recall and FPR before→after, on {measured}", title_justify="left")
    for col in ("category", "pos", "threshold", "precision", "recall", "FPR", "note"):
        table.add_column(col, no_wrap=col == "category")
    for cid, e in result["categories"].items():
        part = e.get("holdout") or e.get("fit")
        cells = ["", "", ""]
        if part:
            b, a = part["before"], part["after"]
            cells = [f"{b[k]:.2f}→{a[k]:.2f}" for k in ("precision", "recall", "fpr")]
        moved = f"{e['threshold']:.2f}→{e['tuned']:.2f}" if "tuned" in e else f"{e['threshold']:.2f}"
        table.add_row(cid, str(e["positives"]), moved, *cells, e.get("kept", ""))
    console.print(table)
    for part, m in result["overall"].items():
        b, a = m["before"], m["after"]
        console.print(f"any category, {part}: precision {b['precision']:.3f}→{a['precision']:.3f}, recall {b['recall']:.3f}→{a['recall']:.3f}, "
                      f"FPR {b['fpr']:.3f}→{a['fpr']:.3f}")
    if result["bounds_met"] is False:
        console.print("[bold yellow]the bounds could not be met[/] by raising the fitted categories' thresholds: "
                      "categories with too few examples to fit, or violations scored like benign text, flag the rest")
    if result["not_tuned"]:
        console.print(f"not tuned (OpenAI categories keep the model's thresholds): {', '.join(result['not_tuned'])}")
    console.print(f"wrote {target}: {len(result['thresholds'])} thresholds changed")
