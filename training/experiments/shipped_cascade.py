"""What the gate experiments (head_gates.py, gate_head.py, early_exit.py) share: the shipped
cascade's parts, the calibration and held-out rows, and encoder logits cached on disk."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_split, load_records, texts_digest  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.classify.cascade import CascadeScorer  # noqa: E402


@dataclass
class Cascade:
    warden: Warden
    casc: CascadeScorer
    heads: list[str]  # the encoder's
    cols: list[int]  # each encoder head's column among the n-gram model's heads
    th: np.ndarray  # the cascade's thresholds, in the encoder's head order

    @property
    def linear(self):
        return self.casc.linear

    @property
    def enc(self):
        return self.casc.encoder


def shipped(model_dir: str | None = None) -> Cascade:
    warden = Warden(model_dir=model_dir, encoder_cache=0)
    casc = warden.scorer
    heads = list(casc.encoder.heads)
    return Cascade(warden, casc, heads, [casc.linear.heads.index(h) for h in heads],
                   np.array([casc.thresholds()[h] for h in heads]))


def splits(work: Path, linear) -> tuple[list, list, list]:
    """(train rows outside the calibration slice, calibration rows, held-out rows)."""
    records, _ = load_records(work)
    fit, cal, _ = calibration_split([r for r in records if r.split == "train"], linear.meta)
    return fit, cal, [r for r in records if r.split != "train"]


def cache_path(work: Path, name: str, texts: list[str], model_sha: str | None, suffix: str = ".npy") -> Path:
    """Where a computation over these texts by this encoder is kept (training/out/experiments/)."""
    directory = work / "experiments"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}_{model_sha}-{texts_digest(texts)[:16]}{suffix}"


def cached_logits(c: Cascade, work: Path, name: str, texts: list[str]) -> np.ndarray:
    cache = cache_path(work, f"head_gates_{name}", texts, c.enc.meta.get("onnx_sha256"))
    if cache.exists():
        return np.load(cache)
    logits = c.enc.logits(texts)
    np.save(cache, logits)
    return logits
