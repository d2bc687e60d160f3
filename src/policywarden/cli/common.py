"""Helpers shared by CLI commands: one clear line and a non-zero exit for bad input."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
