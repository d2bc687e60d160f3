"""Measure a Warden on labelled data: per-category precision, recall, F1, false-positive rate,
AUPRC and calibration error, at the thresholds in force.

Accepted files, one example per line or row:
- JSONL with "text" and one of: "labels" (a list of category ids, or {id: 0/1}),
  "category" (an id; "", "none" or null for benign) with an optional "label" (0/1),
  or "flagged"/"label" alone (0/1: violating anything or not);
- CSV with a "text" column and one of "labels" (ids separated by ";" or "|"), "category",
  "label" or "flagged".
Category ids are the policy's (e.g. "protect.weapons") or OpenAI's (e.g. "hate", "sexual/minors").
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .policy.schema import OPENAI_CATEGORIES
from .training.metrics import binary_metrics
from .warden import Warden

OVERALL = "overall"
_BENIGN = {"", "none", "benign", "safe", "null", "0"}


class EvalInputError(ValueError):
    """A labelled file that cannot be read; the message names the file and line."""


@dataclass
class Example:
    text: str
    labels: set[str]  # categories that must be flagged
    known: set[str] | None  # categories whose label is known; None means every category


def _truthy(v: object) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes", "y", "flagged", "unsafe", "toxic")


def _parse(d: dict, where: str) -> Example:
    text = d.get("text")
    if not isinstance(text, str) or not text.strip():
        raise EvalInputError(f"{where}: missing or empty 'text'")
    if "labels" in d and d["labels"] is not None:
        raw = d["labels"]
        if isinstance(raw, str):
            raw = [x for x in raw.replace("|", ";").split(";")]
        if isinstance(raw, dict):
            return Example(text, {k for k, v in raw.items() if _truthy(v)}, set(raw))
        if isinstance(raw, list):
            return Example(text, {str(x).strip() for x in raw if str(x).strip().lower() not in _BENIGN}, None)
        raise EvalInputError(f"{where}: 'labels' must be a list, a mapping or a ';'-separated string")
    if "category" in d:
        cat = "" if d["category"] is None else str(d["category"]).strip()
        positive = cat.lower() not in _BENIGN and (_truthy(d["label"]) if "label" in d else True)
        return Example(text, {cat} if positive else set(), None)
    for key in ("flagged", "label"):
        if key in d:
            return Example(text, {OVERALL} if _truthy(d[key]) else set(), {OVERALL})
    raise EvalInputError(f"{where}: no 'labels', 'category', 'label' or 'flagged' field")


def read_examples(path: str | Path) -> list[Example]:
    path = Path(path)
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise EvalInputError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not UTF-8 (byte {exc.start})") from None
    out: list[Example] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(raw.splitlines())
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise EvalInputError(f"{path}: a CSV needs a 'text' column")
        for n, row in enumerate(reader, 2):
            out.append(_parse(row, f"{path}:{n}"))
    else:
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalInputError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(d, dict):
                raise EvalInputError(f"{path}:{n}: each line must be a JSON object")
            out.append(_parse(d, f"{path}:{n}"))
    if not out:
        raise EvalInputError(f"{path}: no examples")
    return out


UNREAD_BELOW = 0.5  # a verdict's coverage under which the text counts as mostly not read


def evaluate(warden: Warden, examples: list[Example], surface: str = "input", batch: int = 256) -> dict:
    policy_ids = [c.id for c in warden.policy.categories]
    valid = set(policy_ids) | set(OPENAI_CATEGORIES) | {OVERALL}
    used = {label for e in examples for label in e.labels | (e.known or set())}
    unknown = sorted(used - valid)
    if unknown:
        raise EvalInputError(f"unknown categories {unknown}; use the policy's ids (policywarden policy show) or OpenAI's names")
    verdicts = []
    for i in range(0, len(examples), batch):
        verdicts.extend(warden.moderate([e.text for e in examples[i : i + batch]], surface))

    def column(cid: str) -> tuple[np.ndarray, np.ndarray, float]:
        if cid == OVERALL:
            s = np.array([max([c.score for c in v.categories if c.applies], default=0.0) for v in verdicts])
            return s, np.array([v.flagged for v in verdicts]), float("nan")
        if cid in OPENAI_CATEGORIES:
            return np.array([v.openai_scores[cid] for v in verdicts]), np.array([v.openai_flags[cid] for v in verdicts]), float("nan")
        j = policy_ids.index(cid)
        s = np.array([v.categories[j].score for v in verdicts])
        return s, np.array([v.categories[j].flagged for v in verdicts]), verdicts[0].categories[j].threshold

    targets = [c for c in [OVERALL, *policy_ids, *OPENAI_CATEGORIES] if c in used or c == OVERALL]
    results = {}
    for cid in targets:
        if cid == OVERALL:
            y = np.array([bool(e.labels) for e in examples])  # violating anything: a policy or an OpenAI category
            mask = np.array([e.known is None or OVERALL in e.known or bool(e.labels) for e in examples])
        else:
            y = np.array([cid in e.labels for e in examples])
            mask = np.array([e.known is None or cid in e.known for e in examples])
        if not mask.any():
            continue
        scores, flagged, threshold = column(cid)
        # Decisions come from the verdict (thresholds, surfaces, overlays); scores rank for AUPRC.
        results[cid] = binary_metrics(y[mask], scores[mask], threshold, pred=flagged[mask])
    # Text mostly in scripts the model does not read scores near zero: its misses say "not read".
    unread = [e for e, v in zip(examples, verdicts) if v.coverage is not None and v.coverage < UNREAD_BELOW]
    return {
        "examples": len(examples), "policy": warden.policy.ref, "model": warden.model_version, "surface": surface,
        "unread": {"below_coverage": UNREAD_BELOW, "examples": len(unread), "violating": sum(bool(e.labels) for e in unread)},
        "categories": results,
    }
