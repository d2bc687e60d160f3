"""POST /v1/moderations, compatible with OpenAI's endpoint and its official client."""

from __future__ import annotations

import json
import time
import uuid

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..decide import Verdict
from ..policy.schema import OPENAI_CATEGORIES
from ..store.ledger import SubjectKey
from .access import idempotency, project_for
from .auth import authenticate
from .errors import ApiError
from .gate import admit
from .schemas import ErrorResponse, ModerationResponse

router = APIRouter()

OPENAI_MODEL_NAMES = {
    "omni-moderation-latest",
    "omni-moderation-2024-09-26",
    "text-moderation-latest",
    "text-moderation-stable",
    "text-moderation-007",
}
_ALLOWED_KEYS = {"input", "model", "surface", "context", "user", "safety_identifier", "project"}
_ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 404, 413, 415)}


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"Request body is {declared} bytes; the limit is {limit}.", code="request_too_large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"Request body exceeds the limit of {limit} bytes.", code="request_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes, content_type: str) -> dict:
    if content_type and "json" not in content_type.split(";")[0].lower():
        raise ApiError(415, f"Unsupported content type {content_type.split(';')[0]!r}; send application/json.", code="unsupported_media_type")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"Request body is not valid UTF-8 (byte {exc.start}).", code="invalid_encoding") from None
    if not text.strip():
        raise ApiError(400, "Request body is empty; send a JSON object with an 'input'.", code="invalid_json")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.", code="invalid_json") from None
    except RecursionError:
        raise ApiError(400, "Request body is nested too deeply.", code="invalid_json") from None
    except ValueError as exc:  # e.g. an integer longer than Python's 4,300-digit limit
        raise ApiError(400, f"Request body is not valid JSON: {str(exc).split(';')[0]}.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.", code="invalid_json")
    return body


def parse_inputs(body: dict, max_inputs: int, max_chars: int, max_total: int) -> tuple[list[str], list[list[str]]]:
    """The texts to score and, per text, the input types it came from."""
    unknown = sorted(set(body) - _ALLOWED_KEYS)
    if unknown:
        raise ApiError(400, f"Unrecognized request argument supplied: {', '.join(unknown)}", param=unknown[0], code="unknown_parameter")
    if "input" not in body or body["input"] is None:
        raise ApiError(400, "Missing required parameter: 'input'.", param="input", code="missing_required_parameter")
    raw = body["input"]
    if isinstance(raw, str):
        texts, types = [raw], [["text"]]
    elif isinstance(raw, list):
        if not raw:
            raise ApiError(400, "'input' must not be an empty array.", param="input", code="empty_input")
        if all(isinstance(x, str) for x in raw):
            texts, types = list(raw), [["text"] for _ in raw]
        elif all(isinstance(x, dict) for x in raw):
            texts, types = [_join_parts(raw)], [["text"]]
        else:
            raise ApiError(400, "Invalid type for 'input': an array must hold only strings or only content parts.", param="input", code="invalid_type")
    else:
        raise ApiError(
            400,
            f"Invalid type for 'input': expected a string, an array of strings or an array of content parts, got {type(raw).__name__}.",
            param="input",
            code="invalid_type",
        )
    if len(texts) > max_inputs:
        raise ApiError(400, f"'input' has {len(texts)} items; at most {max_inputs} are allowed.", param="input", code="too_many_inputs")
    if all(not t.strip() for t in texts):
        raise ApiError(400, "'input' must not be empty.", param="input", code="empty_input")
    for i, t in enumerate(texts):
        if len(t) > max_chars:
            where = "input" if len(texts) == 1 else f"input[{i}]"
            raise ApiError(400, f"{where} is {len(t)} characters; the limit is {max_chars}.", param=where, code="input_too_large")
    total = sum(len(t) for t in texts)
    if total > max_total:
        raise ApiError(400, f"'input' holds {total} characters in all; the limit per request is {max_total}.", param="input", code="input_too_large")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise ApiError(400, "Invalid type for 'model': expected a string.", param="model", code="invalid_type")
    surface = body.get("surface", "input")
    if surface not in ("input", "output"):
        raise ApiError(400, "'surface' must be 'input' or 'output'.", param="surface", code="invalid_value")
    for name in ("user", "safety_identifier"):
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 512):
            raise ApiError(400, f"'{name}' must be a non-empty string of at most 512 characters.", param=name, code="invalid_value")
    project = body.get("project")
    if project is not None and (isinstance(project, bool) or not isinstance(project, int) or project < 1):
        raise ApiError(400, "'project' must be a positive integer project id.", param="project", code="invalid_type")
    return texts, types


def parse_context(body: dict, count: int, max_chars: int) -> list[str | None] | None:
    """The prompt each answer replies to (PolicyWarden extension): one string for every input,
    or one string or null per input. Only answers have a prompt, so it needs surface 'output'."""
    raw = body.get("context")
    if raw is None:
        return None
    if body.get("surface", "input") != "output":
        raise ApiError(400, "'context' is the prompt an answer replies to: send it with surface 'output'.", param="context", code="invalid_value")
    if isinstance(raw, str):
        prompts: list[str | None] = [raw] * count
    elif isinstance(raw, list) and all(p is None or isinstance(p, str) for p in raw):
        if len(raw) != count:
            raise ApiError(400, f"'context' has {len(raw)} items for {count} inputs; send one per input.", param="context", code="invalid_value")
        prompts = list(raw)
    else:
        raise ApiError(400, "Invalid type for 'context': expected a string, or an array of strings or nulls.", param="context", code="invalid_type")
    for i, p in enumerate(prompts):
        if p is not None and len(p) > max_chars:
            where = "context" if isinstance(raw, str) else f"context[{i}]"
            raise ApiError(400, f"{where} is {len(p)} characters; the limit is {max_chars}.", param=where, code="input_too_large")
    return prompts


def _join_parts(parts: list[dict]) -> str:
    texts = []
    for i, part in enumerate(parts):
        kind = part.get("type")
        if kind == "text":
            if not isinstance(part.get("text"), str):
                raise ApiError(400, f"input[{i}].text must be a string.", param=f"input[{i}].text", code="invalid_type")
            texts.append(part["text"])
        elif kind == "image_url":
            raise ApiError(400, "Image inputs are not supported by this server's model; send text parts only.", param=f"input[{i}]", code="unsupported_input_type")
        else:
            raise ApiError(400, f"input[{i}].type must be 'text' or 'image_url'.", param=f"input[{i}].type", code="invalid_value")
    return "\n".join(texts)


def openai_result(verdict: Verdict, input_types: list[str]) -> dict:
    categories = {name: verdict.openai_flags[name] for name in OPENAI_CATEGORIES}
    return {
        "flagged": verdict.openai_flagged,
        "categories": categories,
        "category_scores": {name: round(verdict.openai_scores[name], 6) for name in OPENAI_CATEGORIES},
        "category_applied_input_types": {name: list(input_types) for name in OPENAI_CATEGORIES},
        "policywarden": verdict.to_dict(),
    }


@router.post(
    "/v1/moderations",
    response_model=ModerationResponse,
    responses=_ERRORS,
    summary="Classify text against the usage policy (OpenAI-compatible)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModerationRequest"}}}}},
)
async def create_moderation(request: Request) -> JSONResponse:
    state = request.app.state
    key = await run_in_threadpool(authenticate, request)
    body = parse_json(await read_body(request, state.settings.max_body_bytes), request.headers.get("content-type", ""))
    s = state.settings
    texts, types = parse_inputs(body, s.max_inputs, s.max_input_chars, s.max_request_chars)
    context = parse_context(body, len(texts), s.max_input_chars)
    if context is not None:
        total = sum(map(len, texts)) + sum(len(p) for p in set(context) if p)
        if total > s.max_request_chars:
            raise ApiError(400, f"'input' and 'context' hold {total} characters in all; the limit per request is {s.max_request_chars}.", param="context", code="input_too_large")
    model = body.get("model")
    warden = state.warden
    if model is not None and model not in OPENAI_MODEL_NAMES and model != warden.model_version:
        raise ApiError(404, f"The model '{model}' does not exist; use '{warden.model_version}' or omit 'model'.", param="model", code="model_not_found")
    if context is not None and warden.compliance is None:
        raise ApiError(400, "This server's model cannot judge answers in context (it has no compliance model); omit 'context'.", param="context", code="unsupported_parameter")
    subject, external_id = _named_subject(request, key, body)
    idem = idempotency(request, key)
    await admit(request, key)  # a key or project without standing is refused; the end user's is reported
    started = time.perf_counter()
    verdicts = await run_in_threadpool(warden.moderate, texts, body.get("surface", "input"), context)
    elapsed_ms = (time.perf_counter() - started) * 1000
    results = [openai_result(v, t) for v, t in zip(verdicts, types)]
    if subject is not None:
        recorded = await run_in_threadpool(_record, state.enforcement, verdicts, texts, subject, external_id, idem)
        latest = (await run_in_threadpool(state.enforcement.standing, [subject])).to_dict()
        for result, record in zip(results, recorded):
            result["policywarden"]["violation_id"] = record.violation_id if record else None
            result["policywarden"]["standing"] = latest
    payload = {"id": f"modr-{uuid.uuid4().hex}", "model": warden.model_version, "results": results}
    return JSONResponse(payload, headers={"X-PolicyWarden-Classifier-Ms": f"{elapsed_ms:.2f}"})


def _named_subject(request: Request, key, body: dict):
    """The subject a call names, whose violations it records: an end user (`user` or
    `safety_identifier`, or the X-PolicyWarden-User header) in the key's project, or a project."""
    external = body.get("safety_identifier") or body.get("user") or request.headers.get("x-policywarden-user")
    if external is not None and (not external.strip() or len(external) > 512):
        raise ApiError(400, "X-PolicyWarden-User must be 1 to 512 characters.", param="user", code="invalid_value")
    project = project_for(key, body.get("project")) if body.get("project") is not None else None
    enforcement = request.app.state.enforcement
    if external:
        scope = project if project is not None else (key.project_id if key else None)
        return enforcement.end_user(scope, external), external
    if project is not None:
        return SubjectKey("project", project, str(project)), None
    return None, None


def _record(enforcement, verdicts, texts, subject, external_id, idem):
    return [
        enforcement.record_verdict(v, subject, t, (idem[0], f"{idem[1]}:{i}") if idem else None, external_id)
        for i, (v, t) in enumerate(zip(verdicts, texts))
    ]

