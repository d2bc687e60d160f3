"""What the proxy scores: the text of a chat request and of an answer, and whom it is about.

Reading never changes the request: the proxy forwards the bytes it received. It only needs to
know which texts to score and which parts it cannot read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..api.errors import ApiError

USER_HEADER = "x-policywarden-user"
MAX_USER_ID = 256


@dataclass(frozen=True)
class Prompt:
    texts: list[str]  # what is scored, one verdict each
    params: list[str]  # where each text is, for errors: "messages[3]"
    non_text: list[str] = field(default_factory=list)  # kinds of parts forwarded unscreened
    uses_tools: bool = False
    asked: str | None = None  # the last user turn: what the answer replies to


def _parts_text(parts: list, where: str) -> tuple[str, list[str]]:
    texts, other = [], []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            raise ApiError(400, f"{where}[{i}] must be a content part object.", param=f"{where}[{i}]", code="invalid_type")
        kind = part.get("type")
        text = part.get("text", part.get("refusal"))
        if isinstance(text, str):
            texts.append(text)
        else:  # image_url, input_audio, file, ...: the text classifier cannot read them
            other.append(str(kind or "unknown"))
    return "\n".join(texts), other


def message_text(message: dict, where: str) -> tuple[str, list[str]]:
    """A message's readable text, and the kinds of the parts that are not text."""
    content = message.get("content")
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if isinstance(content, list):
        return _parts_text(content, f"{where}.content")
    raise ApiError(400, f"Invalid type for '{where}.content': expected a string or an array of content parts.",
                   param=f"{where}.content", code="invalid_type")


def read_prompt(body: dict, scope: str) -> Prompt:
    """The texts to score before forwarding: the last user turn (or, when there is none, the
    last message), or with scope 'conversation' every message, one text each."""
    messages = body.get("messages")
    if messages is None:
        raise ApiError(400, "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", param="messages", code="invalid_type")
    read: list[tuple[int, str, list[str]]] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise ApiError(400, f"Invalid type for 'messages[{i}]': expected an object.", param=f"messages[{i}]", code="invalid_type")
        text, other = message_text(m, f"messages[{i}]")
        read.append((i, text, other))
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    asked = read[users[-1]][1] if users else None
    if scope == "last_user":
        read = [read[users[-1] if users else -1]]
    texts = [(i, t) for i, t, _ in read if t.strip()]
    non_text = sorted({kind for _, _, other in read for kind in other})
    uses_tools = bool(body.get("tools") or body.get("functions"))
    return Prompt([t for _, t in texts], [f"messages[{i}]" for i, _ in texts], non_text, uses_tools,
                  asked if asked and asked.strip() else None)


def end_user_id(headers: Mapping[str, str], body: dict) -> str | None:
    """Whom the request is for: the X-PolicyWarden-User header, else `safety_identifier`,
    else `user`. The proxy records end users only by a keyed pseudonym of this id."""
    for name, value in ((USER_HEADER, headers.get(USER_HEADER)), ("safety_identifier", body.get("safety_identifier")),
                        ("user", body.get("user"))):
        if value is None:
            continue
        if not isinstance(value, str):
            raise ApiError(400, f"Invalid type for '{name}': expected a string.", param=name, code="invalid_type")
        value = value.strip()
        if not value:
            continue
        if len(value) > MAX_USER_ID:
            raise ApiError(400, f"'{name}' is longer than {MAX_USER_ID} characters.", param=name, code="invalid_value")
        return value
    return None


def message_tracks(message: dict) -> list[tuple[str, str]]:
    """Everything of an answer's message, or of a stream delta, that reaches a reader, as
    (track, text): the content, a refusal, reasoning shown by some servers, the arguments of
    tool and function calls, and an audio answer's transcript."""
    out: list[tuple[str, str]] = []
    content = message.get("content")
    if isinstance(content, str):
        out.append(("content", content))
    elif isinstance(content, list):
        out.append(("content", _parts_text([p for p in content if isinstance(p, dict | str)], "content")[0]))
    for name in ("refusal", "reasoning_content", "reasoning"):
        value = message.get(name)
        if isinstance(value, str):
            out.append((name, value))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for pos, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            fn = call.get("function")
            args = fn.get("arguments") if isinstance(fn, dict) else None
            if isinstance(args, str):
                out.append((f"tool_calls[{call.get('index', pos)}]", args))
    fn = message.get("function_call")
    if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
        out.append(("function_call", fn["arguments"]))
    audio = message.get("audio")
    if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
        out.append(("audio", audio["transcript"]))
    return [(name, text) for name, text in out if text]
