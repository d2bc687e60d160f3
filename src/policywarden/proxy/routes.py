"""The proxy's HTTP routes: OpenAI-compatible /v1/chat/completions and /v1/models.

A chat request goes: key -> upstream (the operator's choice for the key's project) -> a slot
-> the prompt's texts and the end user -> standing and input screening (together) ->
refusal, or forwarding (the client's bytes, unchanged) -> the answer (answers.py).
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from ..api.auth import authenticate
from ..api.errors import ApiError, error_response
from ..api.moderations import parse_json, read_body
from ..decide import Verdict
from ..enforce.standing import Standing
from ..store.keys import KeyInfo
from . import answers, replies
from .config import Upstream
from .guard import Unavailable, strongest
from .lifecycle import Proxy
from .restrictions import withheld_feature
from .screen import Prompt, end_user_id, read_prompt
from .stream import RelayResponse
from .upstream import ClientGone, UpstreamFailure

log = logging.getLogger("policywarden.proxy")
router = APIRouter(tags=["proxy"])


def _proxy(request: Request) -> Proxy:
    return request.app.state.proxy


def _target(proxy: Proxy, key: KeyInfo | None) -> Upstream:
    target = proxy.upstreams.for_project(key.project_id if key else None)
    if target is None:
        raise ApiError(503, "The guard proxy has no upstream model API configured for this key "
                            "(set POLICYWARDEN_PROXY_UPSTREAM_URL or a project upstream).", code="proxy_not_configured")
    return target


def _no_slot(proxy: Proxy) -> Response | None:
    """Takes a slot; when none is free, the 503 that sheds the request."""
    if proxy.slots.take():
        return None
    proxy.stats["overloaded"] += 1
    return error_response(503, "The guard proxy is at capacity; retry shortly.", code="proxy_overloaded",
                          headers={"Retry-After": "1"})


def _parse(raw: bytes, content_type: str) -> dict:
    if not raw.strip():
        raise ApiError(400, "Request body is empty; send a JSON chat completion request.", code="invalid_json")
    return parse_json(raw, content_type)


def _failed(proxy: Proxy, f: UpstreamFailure) -> Response:
    proxy.stats[f"upstream.{f.code}"] += 1
    return f.response()


@router.post("/v1/chat/completions", summary="Chat completions through the guard proxy (OpenAI-compatible)")
async def chat_completions(request: Request) -> Response:
    proxy = _proxy(request)
    key = await run_in_threadpool(authenticate, request)
    target = _target(proxy, key)
    if shed := _no_slot(proxy):
        return shed
    streaming = False
    try:
        response = await _chat(request, proxy, key, target)
        streaming = isinstance(response, RelayResponse)
        return response
    except UpstreamFailure as f:
        return _failed(proxy, f)
    except ClientGone:
        proxy.stats["client_gone"] += 1
        return Response(status_code=499)
    finally:
        if not streaming:  # a stream gives its slot back when it ends
            proxy.slots.give()


async def _chat(request: Request, proxy: Proxy, key: KeyInfo | None, target: Upstream) -> Response:
    s, guard, stats = proxy.settings, proxy.guard, proxy.stats
    stats["requests"] += 1
    raw = await read_body(request, s.max_body_bytes)
    body = _parse(raw, request.headers.get("content-type", ""))
    prompt = read_prompt(body, s.proxy_input_scope)
    if sum(len(t) for t in prompt.texts) > s.max_request_chars:
        raise ApiError(400, f"The text to screen exceeds {s.max_request_chars} characters.", param="messages", code="input_too_large")
    if prompt.non_text and s.proxy_non_text_parts == "reject":
        raise ApiError(400, f"This proxy cannot screen {', '.join(prompt.non_text)} parts; send text only.",
                       param="messages", code="unsupported_input_type")
    stream = body.get("stream") is True
    external_id = end_user_id(request.headers, body)
    enforcement = request.app.state.enforcement
    key_subjects = enforcement.key_subjects(key)
    end_user = enforcement.end_user(key.project_id if key else None, external_id) if external_id else None
    subjects = [*key_subjects, *([end_user] if end_user else [])]
    record_as = end_user or (key_subjects[0] if key_subjects else None)

    # Standing and the prompt's verdicts do not depend on each other: ask both at once.
    results = await asyncio.gather(guard.standing(subjects), guard.classify(prompt.texts, "input"), return_exceptions=True)
    for r in results:
        if isinstance(r, Unavailable):
            return replies.unavailable(r.dependency)
        if isinstance(r, BaseException):
            raise r
    standing, screened = results
    if standing is not None:
        refused = _standing_refusal(proxy, standing, prompt, stream)
        if refused is not None:
            return refused

    headers = {answers.CLASSIFIER_MS: f"{screened.ms:.2f}"}
    unread = _unread(screened.verdicts or [], s.proxy_min_coverage)
    unscreened = (["input"] if screened.verdicts is None else []) + (["unread_text"] if unread else []) + prompt.non_text
    if unscreened:
        headers["X-PolicyWarden-Unscreened"] = ",".join(unscreened)
    worst = strongest(screened.verdicts or [])
    if worst is not None:
        verdict = screened.verdicts[worst]
        recorded = await guard.record(verdict, record_as, prompt.texts[worst], external_id,
                                      answers.idempotency(request, key, "input"))
        if guard.refuses(verdict):
            stats["refused.input"] += 1
            log.info("prompt refused: action=%s categories=%s subject=%s", verdict.action,
                     ",".join(c.id for c in verdict.hits), record_as or "-")
            if s.proxy_on_input_violation == "refusal":
                return replies.refusal(body, s.proxy_refusal_message, verdict, recorded, headers)
            response = replies.policy_error(verdict, prompt.params[worst], recorded)
            response.headers.update(headers)
            return response
        if recorded is not None and not recorded.standing.allowed:
            return replies.standing_error(recorded.standing)
        headers["X-PolicyWarden-Input-Action"] = verdict.action
        headers["X-PolicyWarden-Input-Categories"] = ",".join(c.id for c in verdict.hits)

    if unread:
        stats["unread.input"] += 1
        if s.proxy_unread_text == "reject":
            i, coverage = unread[0]
            return error_response(
                400, f"'{prompt.params[i]}' is mostly in a script this proxy's classifier does not read "
                f"({coverage:.0%} of its letters read), so it was not forwarded.",
                param=prompt.params[i], code="unsupported_language", headers=headers)

    context = prompt.asked if s.proxy_answer_context and guard.warden.compliance is not None else None
    asked = answers.Asked(request, proxy, key, body, headers, screened.ms, record_as, external_id, context)
    if stream:
        return await answers.streamed(asked, target, raw)
    response, data = await proxy.upstream.exchange(request, target, "POST", "chat/completions", raw)
    return await answers.whole(asked, response, data)


def _unread(verdicts: list[Verdict], min_coverage: float) -> list[tuple[int, float]]:
    """The prompt texts the model barely reads (a script other than Latin, mostly): their low
    scores mean "not read", not "benign". Text without letters (numbers, emoji) is not counted."""
    return [(i, v.coverage) for i, v in enumerate(verdicts) if v.coverage is not None and v.coverage < min_coverage]


def _standing_refusal(proxy: Proxy, standing: Standing, prompt: Prompt, stream: bool) -> Response | None:
    if not standing.allowed:
        proxy.stats["withheld"] += 1
        return replies.standing_error(standing)
    reason = standing.reason or "no reason given"
    feature = withheld_feature(standing, prompt, stream)
    if feature:
        proxy.stats["withheld"] += 1
        return error_response(403, f"{feature.capitalize()} are withheld from this caller while it is restricted: {reason}.",
                              param=feature, code="feature_restricted", headers={"X-PolicyWarden-Standing": standing.status})
    limit = standing.restrictions.get("rate_limit_per_minute")
    if limit is not None:
        ok, retry = proxy.limiter.allow(standing.subject, int(limit))
        if not ok:
            proxy.stats["rate_limited"] += 1
            return error_response(429, f"This caller is restricted to {limit} requests a minute: {reason}.",
                                  code="rate_limited",
                                  headers={"Retry-After": str(retry), "X-PolicyWarden-Standing": standing.status})
    return None


async def _models(request: Request, path: str) -> Response:
    proxy = _proxy(request)
    key = await run_in_threadpool(authenticate, request)
    target = _target(proxy, key)
    if shed := _no_slot(proxy):
        return shed
    try:
        standing = await proxy.guard.standing(request.app.state.enforcement.key_subjects(key))
        if standing is not None and not standing.allowed:
            return replies.standing_error(standing)
        response, data = await proxy.upstream.exchange(request, target, "GET", path)
    except Unavailable as u:
        return replies.unavailable(u.dependency)
    except UpstreamFailure as f:
        return _failed(proxy, f)
    except ClientGone:
        proxy.stats["client_gone"] += 1
        return Response(status_code=499)
    finally:
        proxy.slots.give()
    if response.status_code != 200:
        return proxy.upstream.passthrough(response, data)
    return Response(data, headers=proxy.upstream.response_headers(response.headers))


@router.get("/v1/models", summary="The upstream's models, through the guard proxy")
async def list_models(request: Request) -> Response:
    return await _models(request, "models")


@router.get("/v1/models/{model:path}", summary="One upstream model, through the guard proxy")
async def retrieve_model(request: Request, model: str) -> Response:
    if model in (".", "..") or not model.strip():
        raise ApiError(404, f"The model '{model}' does not exist.", param="model", code="model_not_found")
    # Encoded whole ('/' too), so that a model name can never reach another upstream path.
    return await _models(request, f"models/{quote(model, safe='')}")


@router.get("/v1/proxy/stats", summary="Guard proxy counters for this worker (admin)")
def proxy_stats(request: Request) -> JSONResponse:
    key = authenticate(request)
    if key is not None and not key.is_admin:
        raise ApiError(403, "This operation needs an admin API key.", code="admin_required")
    proxy = _proxy(request)
    s = proxy.settings
    return JSONResponse({
        "counters": dict(sorted(proxy.stats.items())),
        "in_flight": proxy.slots.used,
        "configured": proxy.upstreams.configured,
        "stream_mode": s.proxy_stream_mode,
        "fail_mode": s.proxy_fail_mode,
        "input_scope": s.proxy_input_scope,
        "on_input_violation": s.proxy_on_input_violation,
    })
