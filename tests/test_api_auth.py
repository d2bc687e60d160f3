"""Optional bearer keys, stored hashed: open until a key exists (auth=auto), then required."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys

import httpx
import openai
import pytest

from conftest import start_server, stop_server


@pytest.fixture
def keyed_server(tmp_path):
    env = {"POLICYWARDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'pw.db'}"}
    out = subprocess.run(
        [sys.executable, "-m", "policywarden.cli.main", "keys", "create", "--name", "ci"],
        env={**__import__("os").environ, **env}, capture_output=True, text=True, check=True,
    )
    key = out.stdout.strip().splitlines()[-1]
    server = start_server(tmp_path, env)
    yield server, key, tmp_path / "pw.db"
    stop_server(server)


def test_keys_are_required_once_one_exists(keyed_server):
    server, key, db = keyed_server
    url = f"{server.base_url}/v1/moderations"
    assert httpx.post(url, json={"input": "hi"}).status_code == 401
    r = httpx.post(url, json={"input": "hi"}, headers={"Authorization": "Bearer pw_wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert httpx.post(url, json={"input": "hi"}, headers={"Authorization": "Basic abc"}).status_code == 401
    assert httpx.post(url, json={"input": "hi"}, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    good = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=key, max_retries=0)
    assert len(good.moderations.create(input="hi").results) == 1
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="nope", max_retries=0).moderations.create(input="hi")
    # only the digest is stored
    rows = sqlite3.connect(db).execute("select key_sha256, prefix from api_keys").fetchall()
    assert rows == [(hashlib.sha256(key.encode()).hexdigest(), key[:10])]
    assert key not in db.read_bytes().decode("latin-1")


def test_revoked_key_stops_working(keyed_server):
    server, key, db = keyed_server
    import os

    env = {**os.environ, "POLICYWARDEN_DATABASE_URL": f"sqlite:///{db}"}
    subprocess.run([sys.executable, "-m", "policywarden.cli.main", "keys", "create", "--name", "other"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "policywarden.cli.main", "keys", "revoke", "1"], env=env, check=True, capture_output=True)
    r = httpx.post(f"{server.base_url}/v1/moderations", json={"input": "hi"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401
    # revoking every key does not reopen the API
    subprocess.run([sys.executable, "-m", "policywarden.cli.main", "keys", "revoke", "2"], env=env, check=True, capture_output=True)
    assert httpx.post(f"{server.base_url}/v1/moderations", json={"input": "hi"}).status_code == 401
