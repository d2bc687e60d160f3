"""Starting PolicyWarden servers for the guard proxy's tests and benchmark: the real server in
a subprocess, as `policywarden serve` does."""

from __future__ import annotations

from pathlib import Path

from conftest import Server, start_server


def start_proxy_server(tmp: Path, env: dict[str, str]) -> Server:
    return start_server(tmp, env)
