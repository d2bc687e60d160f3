"""Server-sent events, read incrementally from an upstream in bounded memory.

Each event keeps the bytes it arrived as (line endings normalised to LF), so the proxy
forwards events unchanged; it only parses them to find the text to score.
"""

from __future__ import annotations

from dataclasses import dataclass


class EventTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Event:
    raw: bytes  # the whole event, ending with its blank line
    data: str | None  # the data lines joined with "\n"; None when the event has none (a comment)
    event: str | None = None


def parse(block: bytes) -> Event:
    data: list[str] = []
    name = None
    for line in block.decode("utf-8", "replace").split("\n"):
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
    return Event(block, "\n".join(data) if data else None, name)


class Decoder:
    def __init__(self, max_event_bytes: int):
        self.max = max_event_bytes
        self.buf = bytearray()  # the unfinished event, already normalised
        self.cr = False  # the last chunk ended in CR: maybe the first half of a CRLF

    def feed(self, chunk: bytes) -> list[Event]:
        if self.cr:
            chunk, self.cr = b"\r" + chunk, False
        if chunk.endswith(b"\r"):
            chunk, self.cr = chunk[:-1], True
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        scan = max(0, len(self.buf) - 1)  # only new bytes can complete an event
        self.buf += chunk
        events, start = [], 0
        while (end := self.buf.find(b"\n\n", max(start, scan))) >= 0:
            events.append(parse(bytes(self.buf[start : end + 2])))
            start = end + 2
        if start:
            del self.buf[:start]
        if len(self.buf) > self.max:
            raise EventTooLarge(f"an upstream event exceeds {self.max} bytes")
        return events
