"""`policywarden staff ...`: the people who work in the review console."""

from __future__ import annotations

import getpass
import os

import typer

from ..review.roles import ROLES
from ..review.staff import StaffError
from .common import console, fail
from .services_opt import DB_OPT, services

app = typer.Typer(help="People who use the review console, and their roles.", no_args_is_help=True)

ROLE_HELP = f"A role, repeatable: {', '.join(ROLES)}."
PASSWORD_ENV = "POLICYWARDEN_STAFF_PASSWORD"


def _store(database_url: str | None):
    from ..review.service import staff_store

    return staff_store(services(database_url))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _password(confirm: bool = True) -> str:
    """From POLICYWARDEN_STAFF_PASSWORD (for scripts), else asked for without echo."""
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value
    return typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=confirm)


@app.command()
def create(
    username: str = typer.Argument(..., help="Log-in name: lower-case letters, digits, '.', '_' or '-'."),
    role: list[str] = typer.Option(..., "--role", "-r", help=ROLE_HELP),
    name: str = typer.Option("", "--name", help="The person's name, as the console shows it."),
    database_url: str | None = DB_OPT,
) -> None:
    """Add a person. The password is asked for (or read from POLICYWARDEN_STAFF_PASSWORD)."""
    store = _store(database_url)
    try:
        info = store.create(username, name, _password(), role, _actor())
    except StaffError as exc:
        fail(str(exc))
    console.print(f"created {info.username} ({', '.join(info.roles)}); log in at /console/login", highlight=False)


@app.command("list")
def list_(database_url: str | None = DB_OPT) -> None:
    """List people, their roles and state."""
    for p in _store(database_url).list():
        last = f"last log-in {p.last_login_at:%Y-%m-%d %H:%M}" if p.last_login_at else "never logged in"
        console.print(f"{p.username}\t{p.display_name}\t{','.join(p.roles)}\t{'active' if p.active else 'disabled'}\t{last}",
                      highlight=False)


@app.command()
def roles(
    username: str = typer.Argument(...),
    role: list[str] = typer.Option(..., "--role", "-r", help=ROLE_HELP),
    database_url: str | None = DB_OPT,
) -> None:
    """Replace a person's roles."""
    try:
        info = _store(database_url).set_roles(username, role, _actor())
    except StaffError as exc:
        fail(str(exc))
    console.print(f"{info.username} now has roles {', '.join(info.roles)}", highlight=False)


@app.command()
def disable(username: str = typer.Argument(...), database_url: str | None = DB_OPT) -> None:
    """Disable a person: they cannot log in, and their sessions end at once."""
    try:
        _store(database_url).set_active(username, False, _actor())
    except StaffError as exc:
        fail(str(exc))
    console.print(f"disabled {username.lower()}", highlight=False)


@app.command()
def enable(username: str = typer.Argument(...), database_url: str | None = DB_OPT) -> None:
    """Enable a disabled person again."""
    try:
        _store(database_url).set_active(username, True, _actor())
    except StaffError as exc:
        fail(str(exc))
    console.print(f"enabled {username.lower()}", highlight=False)


@app.command()
def password(username: str = typer.Argument(...), database_url: str | None = DB_OPT) -> None:
    """Set a new password for a person; their sessions end."""
    try:
        _store(database_url).set_password(username, _password(), _actor())
    except StaffError as exc:
        fail(str(exc))
    console.print(f"password of {username.lower()} set", highlight=False)
