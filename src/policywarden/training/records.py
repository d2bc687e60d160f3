"""Labelled training records and how to read them.

A record names the heads it knows: `labels[head]` is 1, 0, or None (unknown); heads it does
not name take `default` (0 = known negative, None = unknown, so that head is not trained on it).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
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
    # Records that are variants of one item (a JailbreakBench goal's prompts and answers) share
    # a group; measurements that should count the item once use it. Empty: the record alone.
    group: str = ""

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
                group=d.get("group", ""),
            )


def hash_split(text: str, heldout_fraction: float = 0.15) -> str:
    """A deterministic train/heldout split by the text's CRC-32."""
    return "heldout" if zlib.crc32(text.strip().casefold().encode("utf-8", "surrogatepass")) % 1000 < heldout_fraction * 1000 else "train"


def written_records(folder: str | Path, heldout_fraction: float = 0.15) -> Iterator[Record]:
    """Hand-written examples: {"category", "label", "role", "text"} per line.

    A positive is positive for its category (and `any`, for a policy category) and unknown for
    every other head: a request can break two rules at once, so it is no negative elsewhere.
    A label-0 text is a benign look-alike: negative for every head. A fixed 15% is held back
    for measurement.
    """
    for path in sorted(Path(folder).glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                d = json.loads(line)
                cat = d["category"]
                split = hash_split(d["text"], heldout_fraction)
                if d["label"]:
                    labels: dict[str, int | None] = {cat: 1}
                    if not cat.startswith("openai:"):
                        labels["any"] = 1
                    yield Record(d["text"], labels, None, d.get("role", "user"), f"written:{path.stem}", "project", split)
                else:
                    yield Record(d["text"], {}, 0, d.get("role", "user"), f"written:{path.stem}", "project", split)


def heldout_records(dataset: str | Path | None, written: str | Path) -> list[Record]:
    """The held-out split the benchmarks measure: a built dataset's (build_dataset.py's
    dataset.jsonl; None for none) and the written examples' held-out share."""
    records = [r for r in read_jsonl(dataset) if r.split == "heldout"] if dataset is not None else []
    return records + [r for r in written_records(written) if r.split == "heldout"]
