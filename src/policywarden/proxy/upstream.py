"""Forwarding to the upstream: one pooled httpx client, headers in and out, and what an
upstream failure becomes.

An upstream's own answers come back unchanged, 4xx errors included. Its 5xx answers become
502 (504 for its timeouts), and so do unreachable or broken upstreams: the client can tell an
upstream failure from a policy decision, and retry it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import TypeVar

import anyio
import httpx
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..api.errors import error_body
from ..settings import Settings
from .config import Upstream

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade"})
# Client headers that are the proxy's business, or that would let a client steer the upstream
# account (organisation, project) or impersonate the proxy's own network position.
_DROP_REQUEST = HOP_BY_HOP | {"host", "content-length", "authorization", "api-key", "cookie", "accept-encoding",
                              "openai-organization", "openai-project", "forwarded", "x-forwarded-for",
                              "x-forwarded-host", "x-forwarded-proto", "x-real-ip"}
# Upstream headers that describe the upstream's connection rather than its answer.
_DROP_RESPONSE = HOP_BY_HOP | {"content-length", "content-encoding", "set-cookie", "server", "date", "alt-svc"}
T = TypeVar("T")


class ClientGone(Exception):
    """The client went away before its answer came."""


async def _disconnected(request: Request) -> None:
    # The body has been read, so the next message is the client going away.
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Awaits `work`, cancelling it (and so its upstream request) if the client goes away.

    Starlette cancels a streaming response when its client leaves, but not a handler that is
    still waiting: without this an abandoned request would run (and be billed) to its end."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        watch.cancel()
        raise
    watch.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled() and task.exception() is None:  # it finished just as the client left
        close = getattr(task.result(), "aclose", None)
        if close is not None:
            await close()
    raise ClientGone


class UpstreamFailure(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def body(self) -> dict:
        kind = "rate_limit_error" if self.status == 429 else "server_error"
        return error_body(self.message, kind, code=self.code)

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def failure(exc: httpx.HTTPError) -> UpstreamFailure:
    """What an httpx error talking to the upstream becomes."""
    if isinstance(exc, httpx.PoolTimeout):
        return UpstreamFailure(503, "proxy_overloaded", "Every upstream connection is busy; retry shortly.", {"Retry-After": "1"})
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamFailure(504, "upstream_timeout", f"The upstream model API did not answer in time ({type(exc).__name__}).")
    return UpstreamFailure(502, "upstream_unreachable", f"The upstream model API could not be reached ({type(exc).__name__}).")


def build_client(settings: Settings) -> httpx.AsyncClient:
    n = settings.proxy_max_connections
    timeout = httpx.Timeout(settings.proxy_timeout_s, connect=settings.proxy_connect_timeout_s,
                            pool=settings.proxy_connect_timeout_s)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n, keepalive_expiry=30)
    return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False)


class UpstreamClient:
    def __init__(self, client: httpx.AsyncClient, max_bytes: int, timeout_s: float):
        self.client = client
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s  # the longest whole exchange

    @staticmethod
    def request_headers(incoming: Headers, target: Upstream) -> dict[str, str]:
        out = {k: v for k, v in incoming.items() if k not in _DROP_REQUEST and not k.startswith("x-policywarden-")}
        out.update(target.headers)
        if target.key is not None:
            out["authorization"] = f"Bearer {target.key.get_secret_value()}"
        return out

    @staticmethod
    def response_headers(upstream: httpx.Headers) -> dict[str, str]:
        return {k: v for k, v in upstream.items() if k.lower() not in _DROP_RESPONSE}

    async def open(self, target: Upstream, method: str, path: str, incoming: Headers, body: bytes | None = None) -> httpx.Response:
        """Sends the request and returns the response with its body unread: the caller closes it."""
        request = self.client.build_request(method, target.endpoint(path), content=body,
                                            headers=self.request_headers(incoming, target))
        try:
            return await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise failure(exc) from None

    async def exchange(self, request: Request, target: Upstream, method: str, path: str,
                       body: bytes | None = None) -> tuple[httpx.Response, bytes]:
        """One whole exchange, within the timeout, given up if the client leaves."""

        async def call() -> tuple[httpx.Response, bytes]:
            with anyio.fail_after(self.timeout_s):
                response = await self.open(target, method, path, request.headers, body)
                return response, await self.read(response)

        try:
            return await unless_disconnected(request, call())
        except TimeoutError:
            raise UpstreamFailure(504, "upstream_timeout", "The upstream model API did not answer in time.") from None

    async def read(self, response: httpx.Response) -> bytes:
        """The whole body, at most max_bytes; closes the response."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await response.aclose()
            raise UpstreamFailure(502, "upstream_too_large", f"The upstream answer exceeds {self.max_bytes} bytes.")
        chunks, size = [], 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise UpstreamFailure(502, "upstream_too_large", f"The upstream answer exceeds {self.max_bytes} bytes.")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise failure(exc) from None
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()
        return b"".join(chunks)

    def passthrough(self, response: httpx.Response, body: bytes) -> Response:
        """An upstream answer other than a success: 4xx unchanged, 5xx as 502 or 504."""
        headers = self.response_headers(response.headers)
        if response.status_code < 500:
            return Response(body, status_code=response.status_code, headers=headers)
        status = 504 if response.status_code == 504 else 502
        upstream_error = None
        try:
            parsed = json.loads(body)
            upstream_error = parsed.get("error") if isinstance(parsed, dict) else None
        except ValueError:
            pass
        detail = upstream_error.get("message") if isinstance(upstream_error, dict) else None
        message = f"The upstream model API failed with status {response.status_code}" + (f": {detail}" if isinstance(detail, str) else ".")
        payload = error_body(message, "server_error", code="upstream_error")
        payload["error"]["upstream_status"] = response.status_code
        keep = {k: v for k, v in headers.items() if k.lower() in ("retry-after", "x-request-id")}
        keep["X-PolicyWarden-Upstream-Status"] = str(response.status_code)
        return JSONResponse(payload, status_code=status, headers=keep)
