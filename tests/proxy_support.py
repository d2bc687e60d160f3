"""Starting PolicyWarden servers for the guard proxy's tests and benchmark.

`start_proxy_server` starts the real server in a subprocess, as `policywarden serve` does.
Until api/app.py mounts the proxy itself, it serves `create_app` below instead: the same app
with the proxy's router and lifecycle added exactly as api/app.py is to add them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from conftest import Server, free_port, start_server

TESTS = Path(__file__).resolve().parent


def mounts_proxy(app) -> bool:
    from starlette.routing import NoMatchFound

    try:
        return app.url_path_for("chat_completions") == "/v1/chat/completions"
    except NoMatchFound:
        return False


def create_app():
    from policywarden.api.app import create_app as base
    from policywarden.proxy import lifecycle
    from policywarden.proxy.routes import router

    app = base()
    if mounts_proxy(app):
        return app
    app.include_router(router)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        async with inner(a) as state:
            await lifecycle.start(a)
            try:
                yield state
            finally:
                await lifecycle.stop(a)

    app.router.lifespan_context = lifespan
    return app


def _app_mounts_proxy() -> bool:
    from policywarden.api.app import create_app as base
    from policywarden.settings import Settings

    return mounts_proxy(base(Settings()))


def start_proxy_server(tmp: Path, env: dict[str, str]) -> Server:
    if _app_mounts_proxy():
        return start_server(tmp, env)
    port = free_port()
    log = tmp / f"server-{port}.log"
    full_env = {**os.environ, "POLICYWARDEN_DATABASE_URL": f"sqlite:///{tmp / 'pw.db'}",
                "POLICYWARDEN_SECRET_FILE": str(tmp / "pw.key"), **env,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "proxy_support:create_app", "--factory", "--port", str(port),
         "--log-level", "info", "--no-access-log"],
        env=full_env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
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
