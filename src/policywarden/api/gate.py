"""Withholding access: before serving a call, the standing of the calling key, its project
and (where the caller asks) an end user is looked up; no standing is a 403 that says why and
until when, and a restriction's rate limit is a 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from ..enforce.standing import Standing
from ..store.keys import KeyInfo
from ..store.ledger import SubjectKey
from .errors import ApiError

GOOD = Standing("", True, "good")


def withheld(standing: Standing, who: str = "This API key") -> ApiError:
    until = f" until {standing.until.isoformat()}" if standing.until else ""
    err = ApiError(403, f"{who} is {standing.status}{until}: {standing.reason or 'no reason given'}", code="access_withheld")
    err.headers = {"X-PolicyWarden-Standing": standing.status}
    return err


async def admit(request: Request, key: KeyInfo | None, extra: Sequence[SubjectKey] = ()) -> Standing:
    """The binding standing of the key, its project and `extra` subjects; raises when it
    withholds access or its rate limit is spent."""
    enforcement = request.app.state.enforcement
    subjects = [*enforcement.key_subjects(key), *extra]
    if not subjects:
        return GOOD
    standing: Standing = await run_in_threadpool(enforcement.standing, subjects)
    if not standing.allowed:
        raise withheld(standing, "This end user" if standing.subject.startswith("user:") else "This API key")
    limit = standing.restrictions.get("rate_limit_per_minute")
    if limit is not None:
        ok, retry = request.app.state.rate_limiter.allow(standing.subject, int(limit))
        if not ok:
            err = ApiError(429, f"{standing.subject.split(':')[0]} is restricted to {limit} requests a minute: {standing.reason}",
                           code="rate_limited")
            err.headers = {"Retry-After": str(retry)}
            raise err
    return standing
