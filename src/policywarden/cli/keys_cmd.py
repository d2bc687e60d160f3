"""`policywarden keys ...`: create, list and revoke API keys."""

from __future__ import annotations

import typer

from ..settings import get_settings
from ..store.db import DatabaseError, sessions, upgrade
from ..store.keys import KeyStore
from .common import console, fail

app = typer.Typer(help="Manage API keys (stored as SHA-256; a key is shown once).", no_args_is_help=True)
DB_OPT = typer.Option(None, "--database-url", help="Database URL (default: POLICYWARDEN_DATABASE_URL or the SQLite file).")


def _store(url: str | None) -> KeyStore:
    url = url or get_settings().database_url
    try:
        upgrade(url)
    except DatabaseError as exc:
        fail(str(exc))
    return KeyStore(sessions(url))


@app.command()
def create(name: str = typer.Option(..., "--name", help="Who or what the key is for."), database_url: str | None = DB_OPT) -> None:
    """Create a key and print it once."""
    key, info = _store(database_url).create(name)
    console.print(f"created key {info.id} ({info.name}); store it now, it will not be shown again:")
    typer.echo(key)


@app.command("list")
def list_(database_url: str | None = DB_OPT) -> None:
    """List keys (prefix only)."""
    for k in _store(database_url).list():
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        console.print(f"{k.id}\t{k.prefix}…\t{k.name}\t{state}", highlight=False)


@app.command()
def revoke(key_id: int = typer.Argument(...), database_url: str | None = DB_OPT) -> None:
    """Revoke a key by id."""
    if not _store(database_url).revoke(key_id):
        fail(f"no active key with id {key_id}", 1)
    console.print(f"revoked key {key_id}")
