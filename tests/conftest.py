from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, base_url: str, proc: subprocess.Popen, log: Path):
        self.base_url, self.proc, self.log = base_url, proc, log

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(tmp: Path, env: dict[str, str] | None = None, args: list[str] = ()) -> Server:
    port = free_port()
    log = tmp / f"server-{port}.log"
    full_env = {**os.environ, "POLICYWARDEN_DATABASE_URL": f"sqlite:///{tmp / 'pw.db'}",
                "POLICYWARDEN_SECRET_FILE": str(tmp / "pw.key"), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "policywarden.cli.main", "serve", "--port", str(port), *args],
        env=full_env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).json().get("status") == "ok":
                return Server(base, proc, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("server"))
    yield s
    stop_server(s)


@pytest.fixture(scope="session")
def warden():
    from policywarden import Warden

    return Warden()


@pytest.fixture(scope="session")
def policy():
    from policywarden.policy import load_policy

    return load_policy()


def _pg_url() -> str | None:
    return os.environ.get("POLICYWARDEN_TEST_PG_URL")


def _fresh_pg_database():
    base = _pg_url()
    if not base:
        if os.environ.get("CI"):
            pytest.fail("POLICYWARDEN_TEST_PG_URL is not set in CI")
        pytest.skip("POLICYWARDEN_TEST_PG_URL not set")
    import psycopg

    name = f"pw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from policywarden.store.db import engine_for

    engine_for.cache_clear()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh empty database on each engine; PostgreSQL gets a database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    yield from _fresh_pg_database()


@pytest.fixture
def pg_url():
    """A fresh empty PostgreSQL database, for scenarios only a database server has."""
    yield from _fresh_pg_database()
