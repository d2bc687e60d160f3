"""Bring your own data: retrain or extend the model with an operator's labelled files.

Files are the formats `policywarden eval` reads (JSONL or CSV; see `evaluate`). A label
mapping turns the operator's label names into the policy's category ids, OpenAI's names, or
`none` (benign). Each file is split by a hash of the text into train and held-out parts; the
held-out part is measured with the same metrics as `eval`, and a data card records sources,
counts and the mapping.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..config_files import read_yaml
from ..evaluate import OVERALL, EvalInputError, Example, read_examples
from ..policy.schema import OPENAI_CATEGORIES, Policy
from .records import Record, hash_split

NONE = {"none", "benign", "safe", "", "null"}


class TrainInputError(ValueError):
    pass


def load_mapping(path: str | Path | None) -> dict[str, str]:
    """YAML or JSON `{your_label: category_id | openai_name | none}`."""
    if not path:
        return {}
    p = Path(path)
    data = read_yaml(p, "label mapping", TrainInputError)
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, (str, type(None))) for k, v in data.items()):
        raise TrainInputError(f"{p}: the label mapping must map label names to category ids (or none)")
    return {k: (v or "none") for k, v in data.items()}


def head_for(label: str, policy: Policy) -> str | None:
    """The model head a label trains: a policy category, `openai:<name>`, `any`, or None (benign)."""
    if label.lower() in NONE:
        return None
    if label == OVERALL:
        return "any"
    if label in OPENAI_CATEGORIES:
        return f"openai:{label}"
    if label in {c.id for c in policy.categories}:
        return label
    raise TrainInputError(f"unknown category {label!r}: map it to a policy category id, an OpenAI name or none (--map)")


def to_record(e: Example, policy: Policy, mapping: dict[str, str], source: str, heldout: float) -> Record:
    mapped = {mapping.get(label, label) for label in e.labels}
    heads = {h for h in (head_for(label, policy) for label in mapped) if h}
    labels: dict[str, int | None] = {h: 1 for h in heads}
    if any(not h.startswith("openai:") and h != "any" for h in heads) or "any" in heads:
        labels["any"] = 1
    if e.known is None:
        default: int | None = 0  # every other category is known not to apply
    else:
        default = None
        for label in e.known:
            head = head_for(mapping.get(label, label), policy)
            if head and head not in labels:
                labels[head] = 0
    return Record(e.text, labels, default, "user", source, "operator", hash_split(e.text, heldout))


@dataclass
class Dataset:
    records: list[Record]
    files: list[dict]
    mapping: dict[str, str]

    def heads(self) -> list[str]:
        return sorted({h for r in self.records for h, v in r.labels.items() if v == 1})

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter] = {}
        for r in self.records:
            for h, v in r.labels.items():
                if v is not None:
                    out.setdefault(h, Counter())[f"{r.split}_{'pos' if v else 'neg'}"] += 1
        return {h: dict(c) for h, c in sorted(out.items())}


def load_dataset(files: list[str], policy: Policy, mapping: dict[str, str], heldout: float = 0.15) -> Dataset:
    records, meta = [], []
    seen: set[str] = set()
    for f in files:
        try:
            examples = read_examples(f)
        except EvalInputError as exc:
            raise TrainInputError(str(exc)) from None
        kept = 0
        for e in examples:
            key = " ".join(e.text.split()).casefold()
            if key in seen:  # a repeated text is trained and measured once
                continue
            seen.add(key)
            records.append(to_record(e, policy, mapping, Path(f).name, heldout))
            kept += 1
        meta.append({"file": str(f), "sha256": hashlib.sha256(Path(f).read_bytes()).hexdigest(), "examples": len(examples),
                     "kept_after_dedup": kept})
    return Dataset(records, meta, mapping)


def data_card(ds: Dataset, report: dict, base: str | None) -> str:
    lines = ["# Data card", "", f"Model `{report['model']['version']}`" + (f", extending `{base}`." if base else ", trained from scratch."), "",
             "## Sources", "", "| file | sha256 | examples | kept after de-duplication |", "|---|---|---|---|"]
    lines += [f"| {m['file']} | `{m['sha256'][:16]}` | {m['examples']} | {m['kept_after_dedup']} |" for m in ds.files]
    if ds.mapping:
        lines += ["", "## Label mapping", "", "| label | category |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(ds.mapping.items())]
    lines += ["", "## Examples per head", "", "| head | train + | train - | held-out + | held-out - |", "|---|---|---|---|---|"]
    for h, c in ds.counts().items():
        lines.append(f"| {h} | {c.get('train_pos', 0)} | {c.get('train_neg', 0)} | {c.get('heldout_pos', 0)} | {c.get('heldout_neg', 0)} |")
    trained = [h for h in report["model"]["heads"] if h not in report["model"]["training"].get("base", {}).get("inherited_heads", [])]
    lines += ["", "## Training", "", f"Heads trained: {', '.join(trained) or 'none'}."]
    thin = report["model"]["training"].get("base", {}).get("too_few_examples") or report["model"]["training"]["skipped_heads"]
    if thin:
        lines.append("Not trained, too few examples: " + "; ".join(f"{h} ({why})" for h, why in sorted(thin.items())) + ".")
    held = report.get("heldout", {}).get("per_head", {})
    if held:
        lines += ["", "## Held-out measurement", "", "| head | n | positives | precision | recall | F1 | FPR |", "|---|---|---|---|---|---|---|"]
        for h, m in sorted(held.items()):
            lines.append(f"| {h} | {m['n']} | {m['positives']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['fpr']:.3f} |")
    return "\n".join(lines) + "\n"


def carry_encoder(base_dir: Path, out: Path, report: dict) -> bool:
    """Copy the base model's encoder into an extended model, re-pointed at the new n-gram model.

    The heads trained on the operator's data are marked n-gram only (the encoder never saw that
    data); every inherited head keeps the blended scores and thresholds it had. A model trained
    from scratch gets no encoder.
    """
    src, dest = base_dir / "encoder", out / "encoder"
    if src.resolve() == dest.resolve():
        raise TrainInputError("the output directory must not be the base model's directory")
    shutil.rmtree(dest, ignore_errors=True)  # never leave an encoder from an earlier run
    if not (src / "model.json").exists():
        return False
    cascade = json.loads((src / "model.json").read_text()).get("cascade", {})
    base_meta = json.loads((base_dir / "model.json").read_text())
    if cascade.get("linear_version") != base_meta.get("version"):
        return False  # the base's encoder does not belong to its n-gram model: the base serves without it too
    inherited = set(report["model"]["training"].get("base", {}).get("inherited_heads", []))
    retrained = sorted(h for h in report["model"]["heads"] if h not in inherited)
    shutil.copytree(src, dest)
    meta = json.loads((dest / "model.json").read_text())
    cascade = meta["cascade"]
    cascade["linear_version"] = report["model"]["version"]
    cascade["linear_sha256"] = report["model"].get("weights_sha256")
    cascade["linear_only"] = sorted(set(cascade.get("linear_only", [])) | set(retrained))
    (dest / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return True


def write_outputs(out: Path, ds: Dataset, report: dict, base: str | None) -> None:
    (out / "DATACARD.md").write_text(data_card(ds, report, base), encoding="utf-8")
    (out / "train_report.json").write_text(json.dumps({**report, "files": ds.files, "counts": ds.counts()}, indent=1, sort_keys=True) + "\n")
