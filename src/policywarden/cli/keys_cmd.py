"""`policywarden keys ...`: create, list, rotate and revoke API keys."""

from __future__ import annotations

import typer

from ..enforce.config import parse_duration
from ..store.keys import KeyStoreError
from .common import console, fail
from .services_opt import DB_OPT, services

app = typer.Typer(help="Manage API keys (stored as SHA-256; a key is shown once).", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Option(..., "--name", help="Who or what the key is for."),
    project: int | None = typer.Option(None, "--project", help="The project the key acts for (see `policywarden projects`)."),
    role: str = typer.Option("client", "--role", help="client (moderation, events, its own project's standing) or admin (everything)."),
    database_url: str | None = DB_OPT,
) -> None:
    """Create a key and print it once."""
    try:
        key, info = services(database_url).keys.create(name, role, project)
    except KeyStoreError as exc:
        fail(str(exc))
    console.print(f"created {info.role} key {info.id} ({info.name}); store it now, it will not be shown again:")
    typer.echo(key)


@app.command("list")
def list_(database_url: str | None = DB_OPT) -> None:
    """List keys (prefix only)."""
    for k in services(database_url).keys.list():
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else (f"expires {k.expires_at:%Y-%m-%d %H:%M}" if k.expires_at else "active")
        project = f"project {k.project_id}" if k.project_id else "server-wide"
        console.print(f"{k.id}\t{k.prefix}…\t{k.name}\t{k.role}\t{project}\t{state}", highlight=False)


@app.command()
def rotate(
    key_id: int = typer.Argument(...),
    overlap: str = typer.Option("24h", "--overlap", help="How long the old key keeps working: '1h', '24h', '7d'."),
    database_url: str | None = DB_OPT,
) -> None:
    """Replace a key: prints the new one; the old one expires after the overlap."""
    try:
        period = parse_duration(overlap)
        key, info = services(database_url).keys.rotate(key_id, period)
    except (KeyStoreError, ValueError) as exc:
        fail(str(exc))
    console.print(f"created key {info.id} to replace key {key_id}, which expires in {overlap}; store it now:")
    typer.echo(key)


@app.command()
def revoke(key_id: int = typer.Argument(...), database_url: str | None = DB_OPT) -> None:
    """Revoke a key by id, at once."""
    if not services(database_url).keys.revoke(key_id):
        fail(f"no active key with id {key_id}", 1)
    console.print(f"revoked key {key_id}")
