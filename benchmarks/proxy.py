"""Added latency of the guard proxy: the same requests sent to an upstream directly and
through the proxy, which screens each prompt and answer.

    python benchmarks/proxy.py [--quick]

Starts the scripted upstream of the tests (tests/upstream_stub.py) in its own process, and two
PolicyWarden servers in front of it, one per stream mode. For 1 and 32 concurrent clients it
measures, directly and through each proxy:
- a short prompt, non-streaming: total latency p50 and p99;
- a streamed answer (about 500 characters, one word per chunk, --delay-ms between chunks):
  time to the first content token.
It also sends short prompts at a steady 50 requests a second (open loop), the load the
reliability bar names. Added latency is the proxy's percentile minus the upstream's. In buffered mode the first text
leaves only once one window and its look-ahead have been scored, so its overhead is compared
with the time the upstream takes to produce that much text ("one window").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import ROOT, write

sys.path.insert(0, str(ROOT / "tests"))
from conftest import free_port, stop_server  # noqa: E402
from proxy_support import start_proxy_server  # noqa: E402

PROMPT = [{"role": "user", "content": "What is the capital of France?"}]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def completion(client: httpx.AsyncClient, url: str) -> tuple[float, float | None]:
    t = time.perf_counter()
    r = await client.post(url, json={"model": "echo", "messages": PROMPT})
    elapsed = (time.perf_counter() - t) * 1000
    r.raise_for_status()
    ms = r.headers.get("x-policywarden-classifier-ms")
    return elapsed, float(ms) if ms else None


async def first_token(client: httpx.AsyncClient, url: str, window_chars: int) -> tuple[float, float]:
    """Time to the first content token, and to the first `window_chars` characters."""
    t = time.perf_counter()
    first = window = None
    text = 0
    async with client.stream("POST", url, json={"model": "story", "messages": PROMPT, "stream": True}) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: {"):
                continue
            for choice in json.loads(line[6:])["choices"]:
                content = choice["delta"].get("content") or ""
                if content and first is None:
                    first = (time.perf_counter() - t) * 1000
                text += len(content)
                if window is None and text >= window_chars:
                    window = (time.perf_counter() - t) * 1000
    return first, window if window is not None else (time.perf_counter() - t) * 1000


async def run(fn, clients: int, total: int) -> tuple[list, float]:
    """`total` calls of fn by `clients` concurrent clients: the results and the seconds taken."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(fn(client) for _ in range(min(clients, 8))))  # warm the connections
        results: list = []
        queue = iter(range(total))
        started = time.perf_counter()

        async def worker() -> None:
            for _ in queue:
                results.append(await fn(client))

        await asyncio.gather(*(worker() for _ in range(clients)))
        return results, time.perf_counter() - started


async def paced(fn, rate: float, seconds: float) -> list:
    """Calls fn at a steady rate, whether or not earlier calls have finished."""
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(fn(client) for _ in range(8)))
        start = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(fn(client)))
        return await asyncio.gather(*tasks)


def summarise(direct: list[float], proxied: list[float]) -> dict:
    out = {}
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        d, p = pct(direct, q), pct(proxied, q)
        out[name] = {"direct_ms": round(d, 2), "proxy_ms": round(p, 2), "added_ms": round(p - d, 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--delay-ms", type=float, default=10.0, help="upstream pause between streamed chunks")
    args = parser.parse_args()
    n_single, n_many, n_stream_single, n_stream_many = (50, 192, 8, 32) if args.quick else (300, 1280, 30, 128)

    port = free_port()
    upstream = subprocess.Popen([sys.executable, str(ROOT / "tests" / "upstream_stub.py"), "--port", str(port),
                                 "--delay-ms", str(args.delay_ms)])
    base = f"http://127.0.0.1:{port}/v1"
    servers = {}
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/models", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        env = {"POLICYWARDEN_PROXY_UPSTREAM_URL": base, "POLICYWARDEN_PROXY_UPSTREAM_KEY": "sk-bench",
               "POLICYWARDEN_LOG_LEVEL": "warning"}
        for mode in ("buffered", "low_latency"):
            servers[mode] = start_proxy_server(Path(tempfile.mkdtemp(prefix=f"pw-bench-{mode}-")),
                                               {**env, "POLICYWARDEN_PROXY_STREAM_MODE": mode})
        from policywarden.settings import Settings

        s = Settings()
        window = s.proxy_window_chars + s.proxy_lookahead_chars
        direct_url = base + "/chat/completions"
        result: dict = {"window_chars": s.proxy_window_chars, "lookahead_chars": s.proxy_lookahead_chars,
                        "upstream_chunk_delay_ms": args.delay_ms, "non_streaming": {}, "streaming_ttft": {}}
        for clients, total in ((1, n_single), (32, n_many)):
            direct, _ = asyncio.run(run(lambda c: completion(c, direct_url), clients, total))
            # Non-streaming answers do not depend on the stream mode: one proxy serves them.
            proxied, wall = asyncio.run(run(lambda c: completion(c, servers["buffered"].base_url + "/v1/chat/completions"),
                                      clients, total))
            row = summarise([d for d, _ in direct], [p for p, _ in proxied])
            row["classifier_ms_p50"] = round(statistics.median(ms for _, ms in proxied), 2)
            row["requests"] = total
            row["proxy_requests_per_second"] = round(total / wall, 1)
            result["non_streaming"][f"{clients}_clients"] = row
        seconds = 4 if args.quick else 15
        direct = asyncio.run(paced(lambda c: completion(c, direct_url), 50, seconds))
        proxied = asyncio.run(paced(lambda c: completion(c, servers["buffered"].base_url + "/v1/chat/completions"), 50, seconds))
        row = summarise([d for d, _ in direct], [p for p, _ in proxied])
        row["classifier_ms_p50"] = round(statistics.median(ms for _, ms in proxied), 2)
        row["requests"] = len(proxied)
        result["non_streaming"]["50_per_second"] = row
        for clients, total in ((1, n_stream_single), (32, n_stream_many)):
            direct, _ = asyncio.run(run(lambda c: first_token(c, direct_url, window), clients, total))
            window_ms = statistics.median(w for _, w in direct)
            for mode, server in servers.items():
                url = server.base_url + "/v1/chat/completions"
                proxied, _ = asyncio.run(run(lambda c: first_token(c, url, window), clients, total))
                row = summarise([f for f, _ in direct], [f for f, _ in proxied])
                row["one_window_ms"] = round(window_ms, 1)
                row["streams"] = total
                result["streaming_ttft"].setdefault(mode, {})[f"{clients}_clients"] = row
    finally:
        for server in servers.values():
            stop_server(server)
        upstream.terminate()
        upstream.wait(10)

    print(f"window {result['window_chars']} + look-ahead {result['lookahead_chars']} characters; "
          f"upstream streams a word every {args.delay_ms:g} ms")
    print(f"{'':36}{'direct':>10}{'proxy':>10}{'added':>10}")
    for clients, row in result["non_streaming"].items():
        for q in ("p50", "p99"):
            r = row[q]
            print(f"non-streaming {clients:13} {q}  {r['direct_ms']:8.2f}  {r['proxy_ms']:8.2f}  {r['added_ms']:8.2f} ms")
        rps = f", {row['proxy_requests_per_second']} requests/s" if "proxy_requests_per_second" in row else ""
        print(f"{'':36}classifier p50 {row['classifier_ms_p50']} ms{rps}")
    for mode, rows in result["streaming_ttft"].items():
        for clients, row in rows.items():
            for q in ("p50", "p99"):
                r = row[q]
                print(f"TTFT {mode:11} {clients:13} {q}  {r['direct_ms']:8.2f}  {r['proxy_ms']:8.2f}  {r['added_ms']:8.2f} ms"
                      + (f"  (one window: {row['one_window_ms']} ms)" if q == "p50" and mode == "buffered" else ""))
    write("proxy", result)


if __name__ == "__main__":
    main()
