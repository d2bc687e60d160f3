"""Compare two policies: categories added, removed, reworded, re-thresholded or otherwise changed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .schema import Category, Policy

# Fields whose change is reported under its own heading; the rest land in "changed".
_WORDING = ("wording", "title", "definition")


@dataclass
class PolicyDiff:
    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reworded: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    rethresholded: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    changed: dict[str, dict[str, tuple[object, object]]] = field(default_factory=dict)
    changelog_added: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reworded or self.rethresholded or self.changed)

    def to_dict(self) -> dict:
        return {
            "old": self.old,
            "new": self.new,
            "added": self.added,
            "removed": self.removed,
            "reworded": {k: {f: {"old": a, "new": b} for f, (a, b) in v.items()} for k, v in self.reworded.items()},
            "rethresholded": {k: {"old": a, "new": b} for k, (a, b) in self.rethresholded.items()},
            "changed": {k: {f: {"old": a, "new": b} for f, (a, b) in v.items()} for k, v in self.changed.items()},
            "changelog_added": self.changelog_added,
        }


def _plain(value: object) -> object:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return getattr(value, "value", value)


def _effective(cat: Category) -> dict:
    data = cat.model_dump(exclude={"examples", "id"})
    # Compare the example texts themselves (they drive scoring of added categories), shown briefly.
    digest = hashlib.sha256(json.dumps([cat.examples.flag, cat.examples.allow]).encode()).hexdigest()[:12]
    data["examples"] = f"{len(cat.examples.flag)} flag, {len(cat.examples.allow)} allow ({digest})"
    return {k: _plain(v) for k, v in data.items()}


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    a = {c.id: c for c in old.categories}
    b = {c.id: c for c in new.categories}
    d = PolicyDiff(old=old.ref, new=new.ref)
    d.added = [cid for cid in b if cid not in a]
    d.removed = [cid for cid in a if cid not in b]
    for cid in (c for c in b if c in a):
        ea, eb = _effective(a[cid]), _effective(b[cid])
        words = {f: (ea[f], eb[f]) for f in _WORDING if ea[f] != eb[f]}
        if words:
            d.reworded[cid] = words
        if ea["threshold"] != eb["threshold"]:
            d.rethresholded[cid] = (ea["threshold"], eb["threshold"])
        other = {f: (ea[f], eb[f]) for f in ea if f not in _WORDING and f != "threshold" and ea[f] != eb[f]}
        if other:
            d.changed[cid] = other
    old_entries = {(e.date, e.summary) for e in old.changelog}
    d.changelog_added = [f"{e.date}: {e.summary}" for e in new.changelog if (e.date, e.summary) not in old_entries]
    return d
