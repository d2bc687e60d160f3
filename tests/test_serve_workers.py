"""`policywarden serve` with several workers and an operator's overlay, called over HTTP."""

from __future__ import annotations

import httpx

from conftest import start_server, stop_server


def test_two_workers_with_an_overlay(tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("kind: overlay\nid: acme\nrevision: '2'\nbase: openai-usage\ndisabled: [protect.weapons]\n")
    server = start_server(tmp_path, args=["--workers", "2", "--policy", str(overlay)])
    try:
        for _ in range(6):
            r = httpx.post(f"{server.base_url}/v1/moderations", json={"input": "hello"}, timeout=30)
            assert r.status_code == 200
            assert r.json()["results"][0]["policywarden"]["policy"] == {"id": "acme", "revision": "2"}
        assert not r.json()["results"][0]["policywarden"]["categories"]["protect.weapons"]["applies"]
    finally:
        stop_server(server)
