"""`policywarden policy ...`: show, validate and diff policies."""

from __future__ import annotations

import typer
from rich.table import Table

from ..policy import PolicyError, builtin_policies, diff_policies, load_document, load_policy
from ..policy.schema import Overlay
from .common import console, fail, print_json

app = typer.Typer(help="Show, validate and compare usage policies.", no_args_is_help=True)

POLICY_OPT = typer.Option("openai-usage", "--policy", "-p", help="Built-in name[@revision] or a policy/overlay file.")
OVERLAY_OPT = typer.Option([], "--overlay", "-o", help="Overlay file to apply (repeatable).")


def _load(ref: str, overlays: list[str]):
    try:
        return load_policy(ref, overlays)
    except PolicyError as exc:
        fail(str(exc))


@app.command("list")
def list_() -> None:
    """List built-in policies and their revisions."""
    for name, revisions in builtin_policies().items():
        console.print(f"{name}: {', '.join(revisions)}")


@app.command()
def show(policy: str = POLICY_OPT, overlay: list[str] = OVERLAY_OPT, as_json: bool = typer.Option(False, "--json", help="Print the whole policy as JSON.")) -> None:
    """Show a policy's categories (or all of it as JSON)."""
    pol = _load(policy, overlay)
    if as_json:
        print_json(pol.model_dump(mode="json"))
        return
    console.print(f"[bold]{pol.title}[/] {pol.ref}  ({len(pol.categories)} categories)")
    for section in pol.sections:
        table = Table(title=section.title, title_justify="left", show_lines=False)
        table.add_column("id", no_wrap=True)
        for col in ("severity", "action", "applies to", "OpenAI", "threshold", "on"):
            table.add_column(col, overflow="fold")
        for c in section.categories:
            table.add_row(
                c.id, c.severity.value, c.action.value, ",".join(c.applies_to), ",".join(c.openai) or "-",
                "model" if c.threshold is None else f"{c.threshold:g}", "yes" if c.enabled else "off",
            )
        console.print(table)


@app.command()
def history(policy: str = POLICY_OPT) -> None:
    """The policy's changelog: its revision history, newest first."""
    pol = _load(policy, [])
    for entry in pol.changelog:
        console.print(f"[bold]{entry.date}[/]  {entry.summary}", highlight=False)


@app.command()
def validate(file: str = typer.Argument(..., help="Policy or overlay YAML file.")) -> None:
    """Check a policy or overlay file; list every problem with its path."""
    try:
        doc = load_document(file)
        if isinstance(doc, Overlay):
            pol = load_policy(file)
            console.print(f"ok: overlay {doc.id}@{doc.revision} on {doc.base} gives {len(pol.categories)} categories")
        else:
            console.print(f"ok: policy {doc.ref} with {len(doc.categories)} categories")
    except PolicyError as exc:
        for p in exc.problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(1) from None


@app.command()
def diff(
    old: str = typer.Argument(..., help="Old policy: built-in name[@revision] or file."),
    new: str = typer.Argument(..., help="New policy: built-in name[@revision] or file."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Categories added, removed, reworded, re-thresholded or otherwise changed between two policies."""
    d = diff_policies(_load(old, []), _load(new, []))
    if as_json:
        print_json(d.to_dict())
        return
    console.print(f"{d.old} → {d.new}", highlight=False)
    if d.empty:
        console.print("no category changes")
    for cid in d.added:
        console.print(f"[green]+ added[/]        {cid}")
    for cid in d.removed:
        console.print(f"[red]- removed[/]      {cid}")
    for cid, fields in d.reworded.items():
        for f, (a, b) in fields.items():
            console.print(f"[yellow]~ reworded[/]     {cid}.{f}: {a!r} → {b!r}", highlight=False)
    for cid, (a, b) in d.rethresholded.items():
        console.print(f"[yellow]~ threshold[/]    {cid}: {a if a is not None else 'model'} → {b if b is not None else 'model'}")
    for cid, fields in d.changed.items():
        for f, (a, b) in fields.items():
            console.print(f"[yellow]~ changed[/]      {cid}.{f}: {a} → {b}", highlight=False)
    for line in d.changelog_added:
        console.print(f"  changelog: {line}", highlight=False)
