"""The guard proxy's pure parts: stream windows, SSE decoding, upstream config, what is screened."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import anyio
import pytest

from policywarden.api.errors import ApiError
from policywarden.proxy.config import ProxyConfigError, load_upstreams
from policywarden.proxy.guard import Guard, Unavailable
from policywarden.proxy.screen import end_user_id, message_tracks, read_prompt
from policywarden.proxy.sse import Decoder, EventTooLarge
from policywarden.proxy.stream import Windows
from policywarden.settings import Settings
from upstream_stub import STORY, UNSAFE_MIDWAY


def chunk(text: str | None = None, index: int = 0, finish: str | None = None, **delta) -> tuple[bytes, dict]:
    if text is not None:
        delta["content"] = text
    data = {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data)}\n\n".encode(), data


def words(text: str) -> list[str]:
    parts = text.split(" ")
    return [parts[0]] + [" " + w for w in parts[1:]]


def released_text(raws: list[bytes]) -> str:
    out = ""
    for raw in raws:
        data = json.loads(raw.decode()[len("data: "):])
        for c in data["choices"]:
            out += c["delta"].get("content") or ""
    return out


# ---- windows -------------------------------------------------------------------------------


def test_buffered_holds_text_until_a_window_and_its_lookahead_are_scored():
    w = Windows(window=40, lookahead=10, hold=True, max_held_bytes=1 << 20)
    sent, scored = [], []
    for piece in words(STORY):
        w.add(*chunk(piece))
        due = w.due()
        for d in due:
            scored.append(d.text)
        w.mark(due)
        sent += w.release()
        held = sum(len(json.loads(h.raw[6:])["choices"][0]["delta"].get("content", "")) for h in w.held)
        # At most one window plus the look-ahead (and the piece that completed them) is held.
        assert held <= 40 + 10 + max(len(p) for p in words(STORY))
        # Nothing leaves before it is cleared: scored, with the look-ahead after it.
        if sent:
            assert len(released_text(sent)) <= w.tracks[(0, "content")].cleared
    assert scored, "a 500-character answer spans several windows"
    assert len(released_text(sent)) < len(STORY)  # the tail waits for the end of the stream
    w.add(*chunk(finish="stop"))
    due = w.due()
    assert [d.upto for d in due] == [len(STORY)]  # a finished choice is scored to its end
    w.mark(due)
    sent += w.release()
    assert released_text(sent) == STORY
    assert w.open_choices() == []


def test_windows_overlap_so_a_phrase_across_a_boundary_is_read_whole():
    w = Windows(window=30, lookahead=0, hold=False, max_held_bytes=1 << 20)
    spans = []
    for piece in words(STORY):
        w.add(*chunk(piece))
        due = w.due()
        spans += [d.text for d in due]
        w.mark(due)
    # Each span repeats the end of the text already cleared, up to one window of it.
    for before, after in zip(spans, spans[1:]):
        assert before[-10:] in after


def test_low_latency_scores_every_window_without_holding():
    w = Windows(window=50, lookahead=20, hold=False, max_held_bytes=1 << 20)
    due_sizes = []
    for piece in words(STORY):
        w.add(*chunk(piece))
        due = w.due()
        due_sizes += [d.upto for d in due]
        w.mark(due)
        assert w.release() == []  # nothing is held: events went out as they came
    assert due_sizes and all(b - a >= 50 for a, b in zip([0, *due_sizes], due_sizes))


def test_held_bytes_past_the_limit_are_scored_at_once():
    w = Windows(window=10_000, lookahead=100, hold=True, max_held_bytes=2_000)
    for piece in words(STORY)[:8]:
        w.add(*chunk(piece))
    assert w.due() == []
    big = {"content": [{"token": "x" * 3_000, "logprob": 0.0}]}
    w.add(*chunk(" lighthouse", logprobs_note=big))
    due = w.due()
    assert due and due[0].upto == w.tracks[(0, "content")].length
    w.mark(due)
    assert w.release() and w.held_bytes == 0


def test_tracks_are_per_choice_and_include_tool_call_arguments():
    w = Windows(window=16, lookahead=4, hold=True, max_held_bytes=1 << 20)
    w.add(*chunk(role="assistant"))
    w.add(*chunk(tool_calls=[{"index": 0, "id": "call_1", "function": {"name": "f", "arguments": '{"city": "Par'}}]))
    w.add(*chunk("hello", index=1))
    assert set(w.tracks) == {(0, "tool_calls[0]"), (1, "content")}
    assert len(w.release()) == 1  # the role chunk carries no text
    w.add(*chunk(finish="tool_calls"))
    assert w.open_choices() == [0, 1]  # the finishing chunk has not been sent yet
    due = w.due()
    assert [d.key for d in due] == [(0, "tool_calls[0]")]
    w.mark(due)
    assert len(w.release()) == 1  # the tool-call chunk; then "hello" blocks the queue
    w.drop()
    assert w.held_bytes == 0


def _stream_through(warden, text: str, piece_words: int, hold: bool) -> tuple[str, bool]:
    """Runs an answer through Windows and the real classifier as the proxy does: the text the
    client gets, and whether the stream was stopped."""
    w = Windows(window=200, lookahead=50, hold=hold, max_held_bytes=1 << 20)
    pieces = words(text)
    sent = ""
    steps = [chunk("".join(pieces[i : i + piece_words])) for i in range(0, len(pieces), piece_words)]
    for raw, data in [*steps, chunk(finish="stop")]:
        w.add(raw, data)
        if not hold:
            sent += released_text([raw])
        due = w.due()
        verdicts = warden.moderate([d.text for d in due], "output") if due else []
        if any(v.flagged and v.action in ("block", "escalate") for v in verdicts):
            return sent, True
        w.mark(due)
        sent += released_text(w.release())
    return sent, False


@pytest.mark.parametrize("piece_words", [1, 3, 11])
def test_buffered_mode_never_releases_the_unsafe_part_of_an_answer(warden, piece_words):
    sent, stopped = _stream_through(warden, UNSAFE_MIDWAY, piece_words, hold=True)
    assert stopped
    assert "bomb" not in sent and "powder" not in sent
    assert sent and STORY.startswith(sent)  # the safe beginning did go out


def test_low_latency_mode_stops_within_a_window_of_the_unsafe_part(warden):
    sent, stopped = _stream_through(warden, UNSAFE_MIDWAY, 1, hold=False)
    assert stopped
    start = UNSAFE_MIDWAY.index("pipe bomb")
    assert start <= len(sent) < start + 200 + 50  # it went out, but the stream ended at that window


@pytest.mark.parametrize("hold", [True, False])
def test_a_safe_answer_streams_whole(warden, hold):
    assert _stream_through(warden, STORY + " " + STORY, 2, hold) == (STORY + " " + STORY, False)


# ---- SSE -------------------------------------------------------------------------------------


def test_sse_decoder_keeps_events_whole_across_chunks_and_line_endings():
    d = Decoder(1000)
    events = []
    for piece in [b'data: {"a"', b":1}\r", b"\n\r\n: keep-alive\n\n", b"event: x\ndata: 1\ndata: 2\n", b"\ndata: [DONE]\n\n"]:
        events += d.feed(piece)
    assert [(e.data, e.event) for e in events] == [('{"a":1}', None), (None, None), ("1\n2", "x"), ("[DONE]", None)]
    assert events[0].raw == b'data: {"a":1}\n\n'


def test_sse_decoder_bounds_an_unfinished_event():
    d = Decoder(100)
    d.feed(b"data: " + b"x" * 90)
    with pytest.raises(EventTooLarge):
        d.feed(b"x" * 20)


# ---- upstreams -------------------------------------------------------------------------------


def test_upstreams_file_gives_projects_their_own_upstream(tmp_path, monkeypatch):
    monkeypatch.setenv("ACME_LLM_KEY", "sk-acme")
    f = tmp_path / "upstreams.yaml"
    f.write_text("projects:\n  3:\n    url: https://llm.acme.test/v1/\n    key_env: ACME_LLM_KEY\n"
                 "    headers: {OpenAI-Organization: org-acme}\n")
    ups = load_upstreams(Settings(proxy_upstream_url="https://api.example.test/v1", proxy_upstream_key="sk-default",
                                  proxy_upstreams_file=str(f)))
    acme = ups.for_project(3)
    assert acme.endpoint("chat/completions") == "https://llm.acme.test/v1/chat/completions"
    assert acme.key.get_secret_value() == "sk-acme" and acme.headers == {"OpenAI-Organization": "org-acme"}
    assert ups.for_project(4).url == "https://api.example.test/v1"
    assert ups.for_project(None).key.get_secret_value() == "sk-default"
    assert load_upstreams(Settings()).configured is False


@pytest.mark.parametrize("content, message", [
    ("projects:\n  3: {url: ftp://x}\n", "projects.3.url"),
    ("projects:\n  3: {url: 'https://x.test', key_env: NOT_SET_ANYWHERE_123}\n", "NOT_SET_ANYWHERE_123 is not set"),
    ("projects:\n  3: {url: 'https://x.test', headers: {Authorization: x}}\n", "set by the proxy itself"),
    ("projects: [1, 2\n", "not valid YAML"),
    ("defaults: {}\n", "defaults"),
])
def test_upstreams_file_errors_name_the_file_and_field(tmp_path, content, message):
    f = tmp_path / "up.yaml"
    f.write_text(content)
    with pytest.raises(ProxyConfigError) as exc:
        load_upstreams(Settings(proxy_upstreams_file=str(f)))
    assert str(f) in str(exc.value) and message in str(exc.value)


def test_a_bad_upstream_url_is_refused():
    with pytest.raises(ProxyConfigError, match="PROXY_UPSTREAM_URL"):
        load_upstreams(Settings(proxy_upstream_url="api.openai.com/v1"))


# ---- what is screened -------------------------------------------------------------------------


CONVERSATION = {
    "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": [{"type": "text", "text": "look at"}, {"type": "image_url", "image_url": {"url": "x"}},
                                     {"type": "text", "text": "this"}]},
    ],
    "tools": [{"type": "function", "function": {"name": "f"}}],
}


def test_last_user_turn_is_screened_by_default_with_its_text_parts():
    p = read_prompt(CONVERSATION, "last_user")
    assert p.texts == ["look at\nthis"] and p.params == ["messages[3]"]
    assert p.non_text == ["image_url"] and p.uses_tools


def test_conversation_scope_screens_every_message():
    p = read_prompt(CONVERSATION, "conversation")
    assert p.texts == ["You are helpful.", "first question", "an answer", "look at\nthis"]
    assert p.params == ["messages[0]", "messages[1]", "messages[2]", "messages[3]"]


def test_without_a_user_turn_the_last_message_is_screened():
    assert read_prompt({"messages": [{"role": "system", "content": "a"}, {"role": "developer", "content": "b"}]},
                       "last_user").texts == ["b"]


@pytest.mark.parametrize("body, param", [
    ({}, "messages"),
    ({"messages": []}, "messages"),
    ({"messages": ["hi"]}, "messages[0]"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
])
def test_malformed_messages_are_400s(body, param):
    with pytest.raises(ApiError) as exc:
        read_prompt(body, "last_user")
    assert exc.value.status == 400 and exc.value.param == param


def test_end_user_is_the_header_then_safety_identifier_then_user():
    assert end_user_id({"x-policywarden-user": "h"}, {"safety_identifier": "s", "user": "u"}) == "h"
    assert end_user_id({}, {"safety_identifier": "s", "user": "u"}) == "s"
    assert end_user_id({}, {"user": " u "}) == "u"
    assert end_user_id({}, {"user": ""}) is None
    with pytest.raises(ApiError):
        end_user_id({}, {"user": 5})


def test_everything_a_reader_sees_in_an_answer_is_screened():
    message = {"content": "text", "refusal": "no", "reasoning_content": "thinking",
               "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": '{"q": 1}'}}],
               "audio": {"transcript": "spoken"}}
    assert message_tracks(message) == [("content", "text"), ("refusal", "no"), ("reasoning_content", "thinking"),
                                       ("tool_calls[0]", '{"q": 1}'), ("audio", "spoken")]


def test_every_proxy_setting_is_documented():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "proxy.md").read_text()
    missing = [name for name in Settings.model_fields
               if name.startswith("proxy_") and f"`POLICYWARDEN_{name.upper()}`" not in doc]
    assert missing == []


class _SlowWarden:
    """Takes 0.3 s whatever the text: stands in for a long prompt being scored."""

    def moderate(self, texts, surface, context=None):
        time.sleep(0.3)
        return []


@pytest.mark.parametrize(("ms_per_kchar", "screened"), [(200.0, True), (0.0, False)])
def test_the_classifier_gets_longer_for_longer_texts(ms_per_kchar, screened):
    settings = Settings(proxy_classifier_timeout_s=0.05, proxy_classifier_ms_per_kchar=ms_per_kchar)
    guard = Guard(settings, _SlowWarden(), None, Counter())
    long_prompt = "word " * 1000  # 5,000 characters: 0.05 s + 1 s at 200 ms per 1,000
    assert guard.classifier_timeout([long_prompt]) == pytest.approx(0.05 + ms_per_kchar * 5 / 1000)
    if screened:
        assert anyio.run(guard.classify, [long_prompt], "input").verdicts == []
    else:
        with pytest.raises(Unavailable):  # fail-closed
            anyio.run(guard.classify, [long_prompt], "input")
