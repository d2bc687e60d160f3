"""`policywarden train`: retrain or extend the model with your own labelled data."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.table import Table

from ..policy import PolicyError
from ..training.metrics import TOLERANCE
from .common import console, fail, print_json
from .policy_cmd import OVERLAY_OPT, POLICY_OPT


def train(
    files: list[str] = typer.Argument(..., help="Labelled JSONL or CSV files, in the formats `policywarden eval` reads."),
    out: str = typer.Option(..., "--out", help="Directory to write the model, its data card and report into."),
    mapping: str | None = typer.Option(None, "--map", help="YAML/JSON mapping of your labels to category ids, OpenAI names or none."),
    extend: bool = typer.Option(True, "--extend/--from-scratch",
                                help="Extend the shipped model (keep its other heads) or train only on these files."),
    base_dir: str | None = typer.Option(None, "--base", help="Model directory to extend (default: the shipped model)."),
    policy: str = POLICY_OPT,
    overlay: list[str] = OVERLAY_OPT,
    heldout: float = typer.Option(0.15, min=0.0, max=0.9, help="Share of each file held out for measurement."),
    min_positives: int = typer.Option(8, min=1, help="Fewest positives (and negatives) a head is trained on."),
    c: float = typer.Option(4.0, "--C", min=1e-4, help="Inverse regularisation strength of each head."),
    tolerance: float = typer.Option(TOLERANCE, min=0.0, help="Each head's threshold: the middle of those within this many "
                                    "positives' worth of F1 of the best (0: the exact best)."),
    seed: int = typer.Option(0, help="Seed: the same data and seed give the same model."),
    version: str | None = typer.Option(None, help="The model's version name (default: derived from --out)."),
    as_json: bool = typer.Option(False, "--json", help="Print the training report as JSON."),
) -> None:
    """Train heads on your labelled data; serve the result with POLICYWARDEN_MODEL_DIR=OUT."""
    try:
        from ..training.byod import TrainInputError, carry_encoder, load_dataset, load_mapping, write_outputs
        from ..training.trainer import TrainConfig
        from ..training.trainer import train as fit
    except ImportError as exc:
        fail(f"training needs the train extra ({exc.name} is missing): pip install 'policywarden[train]'")
    from ..classify.embedded import LinearModel, ModelNotFound, default_model_dir
    from ..policy import load_policy

    try:
        pol = load_policy(policy, overlay)
    except PolicyError as exc:
        fail(str(exc))
    try:
        ds = load_dataset(files, pol, load_mapping(mapping), heldout)
    except TrainInputError as exc:
        fail(str(exc))
    # Extending keeps the base's "any" head: one refit on these files alone would forget the rest.
    heads = [h for h in ds.heads() if h != "any"] if extend else sorted({*ds.heads(), "any"})
    if not heads:
        fail("the files hold no positive example of any category: nothing to train")
    try:
        base = LinearModel(base_dir) if extend else None
    except ModelNotFound as exc:
        fail(str(exc))
    out_dir = Path(out)
    if base is not None and out_dir.resolve() == Path(base_dir or default_model_dir()).resolve():
        fail("--out must not be the model being extended; write the extended model somewhere else")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "model.json").exists():
        fail(f"{out_dir} exists and is not a model directory; choose an empty or new one")
    cfg = TrainConfig(C=c, min_positives=min_positives, tolerance=tolerance, seed=seed, version=version or f"custom-{out_dir.name}")
    report = fit(ds.records, heads, out_dir, cfg, base)
    write_outputs(out_dir, ds, report, base.version if base else None)
    if base is not None:
        try:
            carried = carry_encoder(Path(base_dir) if base_dir else default_model_dir(), out_dir, report)
        except TrainInputError as exc:
            fail(str(exc))
    else:
        carried = False
        shutil.rmtree(out_dir / "encoder", ignore_errors=True)  # a stale one from an earlier run
    if as_json:
        print_json(report)
        return
    inherited = set(report["model"]["training"].get("base", {}).get("inherited_heads", []))
    trained = [h for h in report["model"]["heads"] if h not in inherited]
    console.print(f"trained {len(trained)} heads on {len(ds.records)} examples from {len(files)} files"
                  + (f", extending {base.version} ({len(inherited)} heads kept)" if base else "")
                  + ("; the base's encoder is kept for the heads kept" if carried else "; n-gram model only (no encoder)"))
    table = Table("head", "held-out n", "positives", "precision", "recall", "F1", "FPR", title="held-out measurement", title_justify="left")
    for h, m in sorted(report.get("heldout", {}).get("per_head", {}).items()):
        if h in trained:
            table.add_row(h, str(m["n"]), str(m["positives"]), f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{m['fpr']:.3f}")
    console.print(table)
    console.print(f"model, DATACARD.md and train_report.json in {out_dir}; serve it with POLICYWARDEN_MODEL_DIR={out_dir}")
