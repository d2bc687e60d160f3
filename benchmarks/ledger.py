"""Enforcement ledger throughput and standing-check latency on PostgreSQL.

    python benchmarks/ledger.py [--url postgresql://postgres@127.0.0.1:5432/test] [--events 2000]

In a fresh database of its own (dropped afterwards):
- events recorded per second through `Ledger.record` with 1 and 4 writer threads, each event a
  violation with its strike, ladder decision, audit entry and idempotency key, in one transaction;
- the same through `POST /v1/events` on a 2-worker server, 16 concurrent clients;
- p50/p99 of the standing check for a key, its project and an end user, in process and over
  `GET /v1/standing?user=`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import ROOT, write

sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from policywarden.services import Services  # noqa: E402
from policywarden.settings import Settings  # noqa: E402
from policywarden.store.ledger import Hit, SubjectKey, ViolationReport  # noqa: E402

CATEGORIES = [("protect.harassment", "high"), ("empower.fraud", "medium"), ("protect.illicit", "high")]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))], 2)


def report(i: int, subjects: int) -> ViolationReport:
    cat, sev = CATEGORIES[i % len(CATEGORIES)]
    return ViolationReport(SubjectKey("user", 1, f"u_bench{i % subjects}"), [Hit(cat, sev, 0.9)], "openai-usage",
                           "2025-10-29", content=f"benchmark message {i} mail me at someone{i}@example.com")


def in_process(sv: Services, n: int, threads: int, offset: int) -> float:
    ledger = sv.ledger
    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: ledger.record(report(i, 500), ("bench", f"k{i}")), range(offset, offset + n)))
    return n / (time.perf_counter() - t)


def standing_latency(sv: Services, n: int = 2000) -> list[float]:
    ledger = sv.ledger
    out = []
    for i in range(n):
        subjects = [SubjectKey("key", 0, "1"), SubjectKey("project", 1, "1"), SubjectKey("user", 1, f"u_bench{i % 500}")]
        t = time.perf_counter()
        ledger.standing(subjects)
        out.append((time.perf_counter() - t) * 1000)
    return out


async def over_http(base: str, n: int, clients: int) -> tuple[float, list[float]]:
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=clients)) as c:
        queue = list(range(n))

        async def post_worker():
            while queue:
                i = queue.pop()
                r = await c.post("/v1/events", json={"user": f"http-user-{i % 500}", "categories": ["protect.harassment"],
                                                     "content": f"message {i}"}, headers={"Idempotency-Key": f"h{i}"})
                assert r.status_code == 201, r.text

        t = time.perf_counter()
        await asyncio.gather(*(post_worker() for _ in range(clients)))
        rate = n / (time.perf_counter() - t)
        lat = []
        for i in range(1000):
            t = time.perf_counter()
            r = await c.get("/v1/standing", params={"user": f"http-user-{i % 500}"})
            lat.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
    return rate, lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=os.environ.get("POLICYWARDEN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--events", type=int, default=2000)
    args = ap.parse_args()
    name = f"pw_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = args.url.rsplit("/", 1)[0] + f"/{name}"
    tmp = Path(tempfile.mkdtemp())
    try:
        sv = Services(Settings(database_url=url, secret_file=str(tmp / "key")))
        sv.migrate()
        in_process(sv, 100, 1, 10**6)  # warm-up: connections, statement caches
        one = in_process(sv, args.events, 1, 0)
        four = in_process(sv, args.events, 4, args.events)
        lat = standing_latency(sv)

        from conftest import start_server, stop_server

        server = start_server(tmp, {"POLICYWARDEN_DATABASE_URL": url, "POLICYWARDEN_WEBHOOK_WORKER": "false"}, ["--workers", "2"])
        try:
            http_rate, http_lat = asyncio.run(over_http(server.base_url, args.events, 16))
        finally:
            stop_server(server)
    finally:
        from policywarden.store.db import engine_for

        engine_for.cache_clear()
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result = {
        "database": "postgresql " + args.url.split("@")[-1].rsplit("/", 1)[0],
        "events": args.events,
        "record_events_per_second_1_thread": round(one),
        "record_events_per_second_4_threads": round(four),
        "http_events_per_second_16_clients_2_workers": round(http_rate),
        "standing_p50_ms": pct(lat, 0.5),
        "standing_p99_ms": pct(lat, 0.99),
        "http_standing_p50_ms": pct(http_lat, 0.5),
        "http_standing_p99_ms": pct(http_lat, 0.99),
        "standing_mean_ms": round(statistics.mean(lat), 2),
    }
    for k, v in result.items():
        print(f"{k:46} {v}")
    write("ledger", result)


if __name__ == "__main__":
    main()
