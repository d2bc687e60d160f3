"""The answers the proxy writes itself: refusals, policy and standing errors, stream endings.

Each carries a `policywarden` object saying why (the verdict's action, categories and policy,
or the standing), never the content. Errors have OpenAI's shape, so the official clients raise
their usual exceptions (BadRequestError, PermissionDeniedError, ...) with it in `.body`.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

from starlette.responses import JSONResponse, Response

from ..api.errors import error_body
from ..decide import Verdict
from ..enforce.standing import Standing
from ..store.ledger import RecordResult

DONE = b"data: [DONE]\n\n"
_WHO = {"user": "This end user", "key": "This API key", "project": "This project"}


def summary(verdict: Verdict, recorded: RecordResult | None = None) -> dict:
    out = {
        "surface": verdict.surface,
        "action": verdict.action,
        "categories": [c.id for c in verdict.hits],
        "policy": {"id": verdict.policy_id, "revision": verdict.policy_revision},
        "model": verdict.model_version,
    }
    if recorded is not None:
        out["violation_id"] = recorded.violation_id
        out["standing"] = recorded.standing.to_dict()
    return out


def sse(payload: dict) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def policy_error(verdict: Verdict, param: str, recorded: RecordResult | None) -> JSONResponse:
    cats = ", ".join(c.id for c in verdict.hits)
    body = error_body(f"This request was refused under the usage policy ({cats}).", "invalid_request_error", param,
                      "content_policy_violation")
    body["error"]["policywarden"] = summary(verdict, recorded)
    return JSONResponse(body, status_code=400)


def standing_error(standing: Standing) -> JSONResponse:
    """403 for a key, project or end user without standing: what, why and until when."""
    kind = standing.subject.split(":", 1)[0]
    until = f" until {standing.until.isoformat()}" if standing.until else ""
    message = f"{_WHO.get(kind, 'This caller')} is {standing.status}{until}: {standing.reason or 'no reason given'}."
    body = error_body(message, "permission_error", None, "access_withheld")
    body["error"]["policywarden"] = {"standing": standing.to_dict()}
    headers = {"X-PolicyWarden-Standing": standing.status}
    if standing.until:
        until_at = standing.until if standing.until.tzinfo else standing.until.replace(tzinfo=timezone.utc)
        seconds = int((until_at - datetime.now(timezone.utc)).total_seconds())
        headers["Retry-After"] = str(max(1, seconds))
    return JSONResponse(body, status_code=403, headers=headers)


def unavailable(dependency: str) -> JSONResponse:
    body = error_body(f"The {dependency} is unavailable, so this request cannot be screened; retry shortly.",
                      "server_error", None, f"{dependency}_unavailable")
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


def _chunk(template: dict, choices: list[dict], **extra) -> dict:
    return {**template, "object": "chat.completion.chunk", "choices": choices, **extra}


def template(body: dict) -> dict:
    """The identity of a response the proxy writes in place of the upstream's."""
    return {"id": f"chatcmpl-pw{uuid.uuid4().hex}", "created": int(time.time()), "model": body.get("model") or "unknown"}


def refusal(body: dict, message: str, verdict: Verdict, recorded: RecordResult | None, headers: dict[str, str]) -> Response:
    """A refused prompt answered as a normal completion whose text is the refusal message,
    streamed when the client asked for a stream."""
    base = template(body)
    extra = {"policywarden": summary(verdict, recorded)}
    if body.get("stream") is True:
        events = [
            sse(_chunk(base, [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}])),
            sse(_chunk(base, [{"index": 0, "delta": {"content": message}, "logprobs": None, "finish_reason": None}])),
            sse(_chunk(base, [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "content_filter"}], **extra)),
            DONE,
        ]
        return Response(b"".join(events), media_type="text/event-stream", headers={**headers, "Cache-Control": "no-cache"})
    payload = {
        **base,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": message, "refusal": None},
                     "logprobs": None, "finish_reason": "content_filter"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **extra,
    }
    return JSONResponse(payload, headers=headers)


def content_filter(template: dict, choices: list[int], verdict: Verdict, recorded: RecordResult | None) -> bytes:
    """The last chunk of a stream ended on a violation: every unfinished choice is finished with
    finish_reason 'content_filter'; then [DONE]."""
    rows = [{"index": i, "delta": {}, "logprobs": None, "finish_reason": "content_filter"} for i in choices or [0]]
    return sse(_chunk(template, rows, policywarden=summary(verdict, recorded))) + DONE


def stream_error(message: str, code: str, type_: str = "server_error") -> bytes:
    """An error inside a stream that has begun, as OpenAI sends them: the clients raise it."""
    return sse(error_body(message, type_, None, code))


def filtered_choice(choice: dict) -> dict:
    """A non-streamed choice withheld on a violation: no text, no tool calls, no log
    probabilities (they spell out the tokens), finish_reason 'content_filter'."""
    message = {"role": (choice.get("message") or {}).get("role", "assistant"), "content": None, "refusal": None}
    return {**choice, "message": message, "logprobs": None, "finish_reason": "content_filter"}
