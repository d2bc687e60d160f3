"""Entry point: `policywarden check`, `serve`, `policy`, `keys`."""

from __future__ import annotations

import os
import sys

import typer
from rich.table import Table

from ..policy import PolicyError
from . import enforce_cmd, keys_cmd, policy_cmd, train_cmd, tune_cmd, webhooks_cmd, staff_cmd
from .common import console, fail, print_json

app = typer.Typer(help="PolicyWarden: enforce an AI usage policy.", no_args_is_help=True, add_completion=False)
app.add_typer(policy_cmd.app, name="policy")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(webhooks_cmd.app, name="webhooks")
app.add_typer(staff_cmd.app, name="staff")
app.add_typer(enforce_cmd.projects, name="projects")
app.add_typer(enforce_cmd.subjects, name="subjects")
app.add_typer(enforce_cmd.actions, name="actions")
app.add_typer(enforce_cmd.audit, name="audit")
app.add_typer(enforce_cmd.evidence, name="evidence")
app.add_typer(enforce_cmd.enforcement, name="enforcement")
app.command("purge")(enforce_cmd.purge)
app.command("train")(train_cmd.train)
app.command("tune")(tune_cmd.tune)


def _read_text(text: str) -> str:
    if text != "-":
        return text
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"standard input is not UTF-8 text (byte {exc.start})")


def _warden(policy: str, overlay: list[str], surface: str):
    from ..warden import Warden

    if surface not in ("input", "output"):
        fail("--surface must be 'input' or 'output'")
    try:
        return Warden(policy, overlay)
    except PolicyError as exc:
        fail(str(exc))


@app.command()
def check(
    text: str = typer.Argument(..., help="Text to check, or - to read standard input."),
    as_json: bool = typer.Option(False, "--json", help="Print the full verdict as JSON."),
    surface: str = typer.Option("input", help="input (what a user sends) or output (a model's answer)."),
    policy: str = policy_cmd.POLICY_OPT,
    overlay: list[str] = policy_cmd.OVERLAY_OPT,
    show_all: bool = typer.Option(False, "--all", help="List every category, not only the top ones."),
) -> None:
    """Score one text against every category of the policy. Exit code 1 when flagged."""
    body = _read_text(text)
    if not body.strip():
        fail("nothing to check: the text is empty")
    verdict = _warden(policy, overlay, surface).check(body, surface)
    if as_json:
        print_json(verdict.to_dict())
    else:
        state = "[bold red]FLAGGED[/]" if verdict.flagged else "[bold green]allowed[/]"
        console.print(f"{state}  action={verdict.action}  policy={verdict.policy_id}@{verdict.policy_revision}  model={verdict.model_version}")
        table = Table(show_header=True)
        for col in ("category", "score", "threshold", "hit"):
            table.add_column(col)
        rows = sorted(verdict.categories, key=lambda c: -c.score)
        for c in rows if show_all else rows[:8]:
            table.add_row(c.id, f"{c.score:.3f}", f"{c.threshold:.2f}", "yes" if c.flagged else "")
        console.print(table)
        hot = [n for n, f in verdict.openai_flags.items() if f]
        console.print(f"OpenAI categories: {', '.join(hot) or 'none'}")
        if verdict.coverage is not None and verdict.coverage < 0.5:
            console.print(f"[yellow]only {verdict.coverage:.0%} of its letters are in a script the model reads (English): "
                          "low scores here mean 'not read', not 'benign'[/]")
    raise typer.Exit(1 if verdict.flagged else 0)


@app.command("eval")
def eval_(
    file: str = typer.Argument(..., help="Labelled JSONL or CSV: text plus labels, category, label or flagged."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    surface: str = typer.Option("input", help="input or output."),
    policy: str = policy_cmd.POLICY_OPT,
    overlay: list[str] = policy_cmd.OVERLAY_OPT,
) -> None:
    """Measure the classifier on your labelled data: precision, recall, F1, FPR, AUPRC, ECE per category."""
    from ..evaluate import EvalInputError, evaluate, read_examples

    warden = _warden(policy, overlay, surface)
    try:
        result = evaluate(warden, read_examples(file), surface)
    except EvalInputError as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
        return
    table = Table(title=f"{result['examples']} examples, {result['policy']}, model {result['model']}", title_justify="left")
    table.add_column("category", no_wrap=True)
    for col in ("n", "pos", "precision", "recall", "F1", "FPR", "AUPRC", "ECE"):
        table.add_column(col, justify="right")
    for cid, m in result["categories"].items():
        table.add_row(cid, str(m["n"]), str(m["positives"]), f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}",
                      f"{m['fpr']:.3f}", f"{m['auprc']:.3f}", f"{m['ece']:.3f}")
    console.print(table)
    unread = result["unread"]
    if unread["examples"]:
        console.print(f"[yellow]{unread['examples']} examples ({unread['violating']} violating) are mostly in scripts the model "
                      f"does not read (coverage under {unread['below_coverage']}); its misses there mean 'not read'[/]")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    policy: str | None = typer.Option(None, "--policy", "-p", help="Built-in name[@revision] or a policy/overlay file."),
    overlay: list[str] = policy_cmd.OVERLAY_OPT,
    database_url: str | None = typer.Option(None, "--database-url", help="SQLAlchemy URL (SQLite file or PostgreSQL)."),
    log_level: str = typer.Option("info"),
) -> None:
    """Start the HTTP server (OpenAI-compatible /v1/moderations; docs at /docs)."""
    import json

    import uvicorn

    from ..policy import load_policy
    from ..settings import get_settings

    # Settings reach worker processes through the environment.
    if policy:
        os.environ["POLICYWARDEN_POLICY"] = policy
    if overlay:
        os.environ["POLICYWARDEN_OVERLAYS"] = json.dumps(list(overlay))
    if database_url:
        os.environ["POLICYWARDEN_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    settings = get_settings()
    try:
        load_policy(settings.policy, settings.overlays)  # fail here, in one line, rather than in each worker
    except PolicyError as exc:
        fail(str(exc))
    console.print(f"PolicyWarden on http://{host}:{port}  (docs: /docs, database: {settings.database_url.split('@')[-1]})")
    uvicorn.run(
        "policywarden.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
