"""The embedded classifier shipped inside the package: hashed n-gram TF-IDF features and one
logistic head per category, loaded from two files with numpy alone (no network, no PyTorch)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from .features import FeatureSpec, transform

MODEL_FILES = ("model.json", "weights.npz")


class ModelNotFound(FileNotFoundError):
    pass


def default_model_dir() -> Path:
    return Path(str(resources.files("policywarden.classify").joinpath("model")))


class LinearModel:
    """One logistic-regression head per label over shared hashed features."""

    name = "embedded-linear"

    def __init__(self, directory: str | Path | None = None):
        directory = Path(directory) if directory else default_model_dir()
        meta_path, weights_path = (directory / f for f in MODEL_FILES)
        if not meta_path.exists() or not weights_path.exists():
            raise ModelNotFound(
                f"no model in {directory} (expected {', '.join(MODEL_FILES)}); build one with `python training/build_model.py`"
            )
        self.meta = json.loads(meta_path.read_text())
        self.version: str = self.meta["version"]
        self.heads: tuple[str, ...] = tuple(self.meta["heads"])
        self.spec = FeatureSpec(**self.meta["features"])
        with np.load(weights_path) as z:
            n = 1 << self.spec.bits
            # Weights are stored sparse (most hashed features carry no weight) and expanded here.
            self.weights = np.zeros((n, len(self.heads)), np.float32)
            self.weights[z["rows"]] = z["values"].astype(np.float32) * z["scale"][None, :]
            self.bias = z["bias"].astype(np.float32)
            self.idf = z["idf"].astype(np.float32)
        self._thresholds = {h: float(self.meta["thresholds"][h]) for h in self.heads}

    def thresholds(self) -> dict[str, float]:
        return dict(self._thresholds)

    def logits(self, texts: list[str]) -> np.ndarray:
        indptr, indices, data = transform(texts, self.spec, self.idf)
        out = np.tile(self.bias, (len(texts), 1))
        if len(indices):
            contrib = self.weights[indices] * data[:, None]
            starts = indptr[:-1]
            nonempty = indptr[1:] > starts
            sums = np.add.reduceat(contrib, starts[nonempty], axis=0)
            out[nonempty] += sums
        return out

    def score(self, texts: list[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(texts)))
