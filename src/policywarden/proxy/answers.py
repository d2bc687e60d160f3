"""Answering: an upstream answer screened whole, or a stream handed to the stream moderator.

A whole answer comes back byte for byte unless a choice is withheld; then only that choice
changes (no text, no tool calls, no log probabilities, finish_reason "content_filter").
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import httpx
from fastapi import Request
from starlette.responses import JSONResponse, Response

from ..context import CONTEXT_SOURCE
from ..store.keys import KeyInfo
from ..store.ledger import SubjectKey
from . import replies
from .config import Upstream
from .guard import Unavailable, strongest
from .lifecycle import Proxy
from .screen import message_tracks
from .stream import Moderator, RelayResponse, Windows, relay
from .upstream import UpstreamFailure, unless_disconnected

log = logging.getLogger("policywarden.proxy")
CLASSIFIER_MS = "X-PolicyWarden-Classifier-Ms"


def idempotency(request: Request, key: KeyInfo | None, surface: str) -> tuple[str, str] | None:
    """A client's Idempotency-Key makes a retried request record its violation once."""
    value = (request.headers.get("idempotency-key") or "").strip()
    if not value or len(value) > 200:
        return None
    return (f"key:{key.id}" if key else "open", f"proxy:{surface}:{value}")


@dataclass
class Asked:
    """What answering needs to know of the request."""

    request: Request
    proxy: Proxy
    key: KeyInfo | None
    body: dict
    headers: dict[str, str]  # the proxy's own response headers so far
    input_ms: float  # classifier time spent on the prompt
    subject: SubjectKey | None  # whom a violation is recorded against
    external_id: str | None
    prompt: str | None = None  # the user turn a whole answer is judged with (proxy_answer_context)


async def whole(asked: Asked, response: httpx.Response, data: bytes) -> Response:
    """A whole (non-streamed) answer: passed back unchanged unless a choice is withheld."""
    proxy, guard, s = asked.proxy, asked.proxy.guard, asked.proxy.settings
    if response.status_code != 200:
        proxy.stats[f"upstream.status.{response.status_code}"] += 1
        return proxy.upstream.passthrough(response, data)
    headers = {**proxy.upstream.response_headers(response.headers), **asked.headers}
    try:
        completion = json.loads(data)
    except ValueError:
        completion = None
    if not isinstance(completion, dict):
        raise UpstreamFailure(502, "upstream_invalid", "The upstream answer is not a JSON object.")
    choices = completion.get("choices")
    if not s.proxy_moderate_output or not isinstance(choices, list):
        return Response(data, headers=headers)
    texts, owners = [], []
    for pos, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        for _, text in message_tracks(message) if isinstance(message, dict) else ():
            texts.append(text)
            owners.append(pos)
    try:
        screened = await guard.classify(texts, "output", asked.prompt)
    except Unavailable as u:
        return replies.unavailable(u.dependency)
    headers[CLASSIFIER_MS] = f"{asked.input_ms + screened.ms:.2f}"
    if screened.verdicts is None:
        headers["X-PolicyWarden-Unscreened"] = ",".join(filter(None, [headers.get("X-PolicyWarden-Unscreened"), "output"]))
        return Response(data, headers=headers)
    worst = strongest(screened.verdicts)
    if worst is None:
        return Response(data, headers=headers)
    verdict = screened.verdicts[worst]
    recorded = None
    # An answer flagged only for carrying out its prompt adds nothing to the record: the prompt's
    # own violation, in those categories, was recorded before it was forwarded.
    if s.proxy_record_output and not all(c.source == CONTEXT_SOURCE for c in verdict.hits):
        recorded = await guard.record(verdict, asked.subject, texts[worst], asked.external_id,
                                      idempotency(asked.request, asked.key, "output"))
    headers["X-PolicyWarden-Output-Action"] = verdict.action
    headers["X-PolicyWarden-Output-Categories"] = ",".join(c.id for c in verdict.hits)
    withheld = sorted({owners[i] for i, v in enumerate(screened.verdicts) if guard.refuses(v)})
    if not withheld:
        return Response(data, headers=headers)
    proxy.stats["refused.output"] += 1
    log.info("answer withheld: action=%s categories=%s subject=%s", verdict.action,
             ",".join(c.id for c in verdict.hits), asked.subject or "-")
    for pos in withheld:
        choices[pos] = replies.filtered_choice(choices[pos])
    completion["policywarden"] = replies.summary(verdict, recorded) | {"choices": withheld}
    headers.pop("content-type", None)
    return JSONResponse(completion, headers=headers)


async def streamed(asked: Asked, target: Upstream, raw: bytes) -> Response:
    proxy, s = asked.proxy, asked.proxy.settings
    response = await unless_disconnected(asked.request, proxy.upstream.open(target, "POST", "chat/completions",
                                                                           asked.request.headers, raw))
    kind = response.headers.get("content-type", "")
    if response.status_code != 200 or "text/event-stream" not in kind:
        data = await proxy.upstream.read(response)
        # A non-stream answer to a stream request (an error, or an upstream that ignores
        # `stream`) is screened whole.
        return await whole(asked, response, data)
    moderator = None
    if s.proxy_moderate_output:
        windows = Windows(s.proxy_window_chars, s.proxy_lookahead_chars, s.proxy_stream_mode == "buffered",
                          s.proxy_stream_buffer_bytes)
        moderator = Moderator(proxy.guard, windows, asked.subject, asked.external_id, s.proxy_record_output,
                              replies.template(asked.body))
    headers = {**proxy.upstream.response_headers(response.headers), **asked.headers,
               "X-PolicyWarden-Stream-Mode": s.proxy_stream_mode if moderator else "unscreened"}
    return RelayResponse(relay(response, moderator, s.proxy_max_response_bytes, proxy.stats), on_close=proxy.slots.give,
                         headers=headers)
