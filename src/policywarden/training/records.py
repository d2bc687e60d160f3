"""Labelled training records and how to read them.

A record names the heads it knows: `labels[head]` is 1, 0, or None (unknown); heads it does
not name take `default` (0 = known negative, None = unknown, so that head is not trained on it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Record:
    text: str
    labels: dict[str, int | None] = field(default_factory=dict)
    default: int | None = 0
    role: str = "user"
    source: str = ""
    licence: str = ""
    split: str = "train"

    def label(self, head: str) -> int | None:
        return self.labels[head] if head in self.labels else self.default


def read_jsonl(path: str | Path) -> Iterator[Record]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
            yield Record(
                text=d["text"],
                labels=d.get("labels", {}),
                default=d.get("default", 0),
                role=d.get("role", "user"),
                source=d.get("source", ""),
                licence=d.get("licence", ""),
                split=d.get("split", "train"),
            )


def written_records(folder: str | Path, heads: Iterable[str]) -> Iterator[Record]:
    """Hand-written examples: {"category", "label", "role", "text"} per line.

    A positive is positive for its category and `any`, a known negative for the other policy
    categories, and unknown for the `openai:` heads unless the category is itself one.
    A label-0 text is benign: negative for every head.
    """
    heads = list(heads)
    for path in sorted(Path(folder).glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                d = json.loads(line)
                cat, text = d["category"], d["text"]
                if d["label"]:
                    labels: dict[str, int | None] = {h: None for h in heads if h.startswith("openai:")}
                    labels[cat] = 1
                    if not cat.startswith("openai:"):
                        labels["any"] = 1
                    else:  # an OpenAI-only signal (e.g. self-harm intent) says nothing about policy heads
                        labels = {cat: 1}
                        yield Record(text, labels, None, d.get("role", "user"), f"written:{path.stem}", "project", "train")
                        continue
                    yield Record(text, labels, 0, d.get("role", "user"), f"written:{path.stem}", "project", "train")
                else:
                    yield Record(text, {}, 0, d.get("role", "user"), f"written:{path.stem}", "project", "train")
