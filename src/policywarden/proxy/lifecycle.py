"""Start and stop the proxy with the application: one pooled upstream client per worker.

In the app's lifespan, after the Warden and the enforcement services exist:

    await proxy_lifecycle.start(app)
    try:
        yield
    finally:
        await proxy_lifecycle.stop(app)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio.to_thread
from fastapi import FastAPI

from ..api.limits import RateLimiter
from ..settings import Settings
from .config import ProxyConfigError, Upstreams, load_upstreams
from .guard import Guard, Stats
from .upstream import UpstreamClient, build_client

log = logging.getLogger("policywarden.proxy")


class Slots:
    """Requests in flight in this worker, streams included until they end; a full house is
    answered 503 with Retry-After instead of queueing without bound."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.used = 0

    def take(self) -> bool:
        if self.used >= self.capacity:
            return False
        self.used += 1
        return True

    def give(self) -> None:
        self.used -= 1


@dataclass
class Proxy:
    settings: Settings
    upstreams: Upstreams
    upstream: UpstreamClient
    guard: Guard
    stats: Stats
    slots: Slots
    limiter: object  # has allow(subject, per_minute) -> (ok, retry_after_s)


async def start(app: FastAPI) -> None:
    state = app.state
    settings: Settings = state.settings
    try:
        upstreams = load_upstreams(settings)
    except ProxyConfigError as exc:
        log.error("guard proxy: %s", exc)
        raise
    stats = Stats()
    # The first call into numpy and the thread pool is slow: pay for it here, not in a request.
    await anyio.to_thread.run_sync(state.warden.moderate, ["warm up"])
    state.proxy = Proxy(
        settings=settings,
        upstreams=upstreams,
        upstream=UpstreamClient(build_client(settings), settings.proxy_max_response_bytes, settings.proxy_timeout_s),
        guard=Guard(settings, state.warden, state.enforcement, stats),
        stats=stats,
        slots=Slots(settings.proxy_max_concurrent),
        limiter=getattr(state, "rate_limiter", None) or RateLimiter(),
    )
    if upstreams.configured:
        log.info("guard proxy: %s streaming, fail-%s, %d project upstream(s)", settings.proxy_stream_mode,
                 settings.proxy_fail_mode, len(upstreams.projects))
    else:
        log.info("guard proxy: no upstream configured; /v1/chat/completions answers 503 (set POLICYWARDEN_PROXY_UPSTREAM_URL)")


async def stop(app: FastAPI) -> None:
    proxy: Proxy | None = getattr(app.state, "proxy", None)
    if proxy is not None:
        await proxy.upstream.client.aclose()
