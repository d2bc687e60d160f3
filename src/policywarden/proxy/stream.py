"""Moderating a streamed answer (server-sent events) as it flows.

Everything a choice shows its reader (its content, each tool call's arguments, ...) is a
track. A track is scored in windows: once `window` characters have arrived past the point
already cleared (plus the look-ahead, in buffered mode), the new text is scored together with
up to `window` characters before it, so that a phrase split across two windows is still read
whole.

- Buffered: every event is held until all the text it carries has been scored with
  `lookahead` characters of what follows it (or with the end of its choice). Nothing unsafe
  reaches the client; the first text reaches it one window plus the look-ahead after it left
  the upstream.
- Low latency: events pass at once; the same windows are scored as they complete, and a
  violation ends the stream at the window that shows it.

A violation finishes every open choice with finish_reason "content_filter", sends [DONE] and
closes the upstream request. The upstream is read only as fast as the client takes the
stream, and the proxy holds at most one window and its look-ahead (bounded in bytes too).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import anyio
import httpx
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ..decide import Verdict
from ..store.ledger import SubjectKey
from . import replies
from .guard import Guard, Unavailable, strongest
from .screen import message_tracks
from .sse import Decoder, EventTooLarge
from .upstream import UpstreamFailure, failure

log = logging.getLogger("policywarden.proxy")
Key = tuple[int, str]  # (choice index, track name)


@dataclass
class Track:
    tail: str = ""  # the text from offset `base` on: what later windows still need
    base: int = 0
    length: int = 0  # characters seen
    cleared: int = 0  # characters scored with enough of what follows them
    closed: bool = False  # its choice has finished

    def add(self, text: str) -> None:
        self.tail += text
        self.length += len(text)

    def span(self, context: int) -> str:
        start = max(self.base, self.cleared - context)
        return self.tail[start - self.base :]

    def clear(self, upto: int, context: int) -> None:
        self.cleared = upto
        keep = max(self.base, upto - context)
        self.tail = self.tail[keep - self.base :]
        self.base = keep


@dataclass(frozen=True)
class Due:
    key: Key
    text: str
    upto: int  # what is cleared once `text` is found safe


@dataclass
class Held:
    raw: bytes
    ends: dict[Key, int]  # for each track it adds to, the track's length after it
    finishes: tuple[int, ...] = ()


@dataclass
class Windows:
    """Which text to score when, and which events may go out. Pure: no I/O."""

    window: int
    lookahead: int
    hold: bool  # buffered mode
    max_held_bytes: int
    tracks: dict[Key, Track] = field(default_factory=dict)
    held: deque[Held] = field(default_factory=deque)
    held_bytes: int = 0
    choices: set[int] = field(default_factory=set)
    finished: set[int] = field(default_factory=set)  # choices whose finishing event the client has

    def add(self, raw: bytes, chunk: dict) -> None:
        ends: dict[Key, int] = {}
        finishes = []
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            index = index if isinstance(index, int) else 0
            self.choices.add(index)
            delta = choice.get("delta")
            for name, text in message_tracks(delta) if isinstance(delta, dict) else ():
                track = self.tracks.setdefault((index, name), Track())
                track.add(text)
                ends[(index, name)] = track.length
            if choice.get("finish_reason") is not None:
                finishes.append(index)
                for (i, _), track in self.tracks.items():
                    if i == index:
                        track.closed = True
        if self.hold:
            self.held.append(Held(raw, ends, tuple(finishes)))
            self.held_bytes += len(raw)
        else:
            self.finished.update(finishes)

    def due(self, final: bool = False) -> list[Due]:
        """The spans to score now. `final` (the stream ended) scores whatever is left."""
        force = final or self.held_bytes > self.max_held_bytes
        lookahead = self.lookahead if self.hold else 0
        out = []
        for key, t in self.tracks.items():
            pending = t.length - t.cleared
            if pending <= 0:
                continue
            if force or t.closed:
                out.append(Due(key, t.span(self.window), t.length))
            elif pending >= self.window + lookahead:
                out.append(Due(key, t.span(self.window), t.length - lookahead))
        return out

    def mark(self, due: list[Due]) -> None:
        for d in due:
            self.tracks[d.key].clear(d.upto, self.window)

    def release(self) -> list[bytes]:
        out = []
        while self.held and all(self.tracks[k].cleared >= end for k, end in self.held[0].ends.items()):
            h = self.held.popleft()
            self.held_bytes -= len(h.raw)
            self.finished.update(h.finishes)
            out.append(h.raw)
        return out

    def drop(self) -> None:
        self.held.clear()
        self.held_bytes = 0

    def open_choices(self) -> list[int]:
        return sorted(self.choices - self.finished)


class Ended(Exception):
    """The stream ends early with these bytes."""

    def __init__(self, tail: bytes):
        self.tail = tail


class Moderator:
    def __init__(self, guard: Guard, windows: Windows, subject: SubjectKey | None, external_id: str | None,
                 record: bool, identity: dict):
        self.guard, self.windows = guard, windows
        self.subject, self.external_id, self.record = subject, external_id, record
        self.identity = identity  # id, created, model of the chunks the proxy writes itself
        self.recorded = False

    def add(self, raw: bytes, chunk: dict) -> None:
        for name in ("id", "created", "model", "system_fingerprint"):
            if name in chunk:
                self.identity[name] = chunk[name]
        self.windows.add(raw, chunk)

    async def settle(self, final: bool = False) -> list[bytes]:
        """Scores what is due; returns the events now safe to send, or raises Ended."""
        due = self.windows.due(final)
        if due:
            screened = await self.guard.classify([d.text for d in due], "output")  # may raise Unavailable
            if screened.verdicts is not None:
                worst = strongest(screened.verdicts)
                if worst is not None:
                    await self._flagged(screened.verdicts[worst], due[worst].text)
            self.windows.mark(due)
        return self.windows.release()

    async def _flagged(self, verdict: Verdict, text: str) -> None:
        refused = self.guard.refuses(verdict)
        recorded = None
        if self.record and (refused or not self.recorded):  # a warning is recorded once a stream
            recorded = await self.guard.record(verdict, self.subject, text, self.external_id)
            self.recorded = True
        if refused:
            self.guard.stats["refused.output"] += 1
            log.info("stream ended on its answer: action=%s categories=%s subject=%s", verdict.action,
                     ",".join(c.id for c in verdict.hits), self.subject or "-")
            self.windows.drop()
            raise Ended(replies.content_filter(self.identity, self.windows.open_choices(), verdict, recorded))


async def _upstream_bytes(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for piece in response.aiter_bytes():
            yield piece
    except httpx.HTTPError as exc:
        raise failure(exc) from None


def _chunk(data: str) -> dict:
    try:
        chunk = json.loads(data)
    except ValueError:
        chunk = None
    if not isinstance(chunk, dict):
        raise UpstreamFailure(502, "upstream_invalid", "The upstream sent a stream event that is not a JSON object.")
    return chunk


async def relay(response: httpx.Response, moderator: Moderator | None, max_event_bytes: int,
                stats) -> AsyncIterator[bytes]:
    """The client's stream: the upstream's events, moderated; always closes the upstream."""
    decoder = Decoder(max_event_bytes)
    hold = moderator is not None and moderator.windows.hold
    ended = False
    try:
        done = False
        async for piece in _upstream_bytes(response):
            for event in decoder.feed(piece):
                if event.data is None:  # a comment (keep-alive): no text, and order does not matter
                    yield event.raw
                    continue
                if event.data.strip() == "[DONE]":
                    done = True
                    break
                chunk = _chunk(event.data)
                if moderator is None:
                    yield event.raw
                    continue
                if "error" in chunk:  # the upstream failed mid-stream: what is safe, then its error
                    for out in await moderator.settle(final=True):
                        yield out
                    yield event.raw
                    ended = True
                    return
                moderator.add(event.raw, chunk)
                if not hold:
                    yield event.raw
                for out in await moderator.settle():
                    yield out
            if done:
                break
        if moderator is not None:
            for out in await moderator.settle(final=True):
                yield out
        if done:
            yield replies.DONE
        ended = True
    except Ended as end:
        ended = True
        yield end.tail
    except UpstreamFailure as f:
        ended = True
        stats[f"upstream.{f.code}"] += 1
        yield replies.stream_error(f.message, f.code)
    except EventTooLarge as exc:
        ended = True
        stats["upstream.upstream_too_large"] += 1
        yield replies.stream_error(str(exc), "upstream_too_large")
    except Unavailable as u:
        ended = True
        yield replies.stream_error(f"The {u.dependency} is unavailable, so the answer cannot be screened.",
                                   f"{u.dependency}_unavailable")
    finally:
        if not ended:
            stats["client_gone.stream"] += 1
        with anyio.CancelScope(shield=True):
            await response.aclose()


class RelayResponse(StreamingResponse):
    """A StreamingResponse that always closes its stream, and so the upstream request, when
    the client goes away, and then runs `on_close`."""

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable[[], None], **kwargs):
        super().__init__(content, **kwargs)
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.body_iterator.aclose()
            self.on_close()
