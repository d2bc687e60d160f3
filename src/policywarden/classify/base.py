"""The interface every scoring backend implements."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Scorer(Protocol):
    """Scores normalised texts against named heads (policy categories, `openai:<name>`, `any`)."""

    name: str
    version: str
    heads: tuple[str, ...]

    def thresholds(self) -> dict[str, float]:
        """The decision threshold of each head, as calibrated when the scorer was built."""
        ...

    def score(self, texts: list[str]) -> np.ndarray:
        """A (len(texts), len(heads)) array of scores in [0, 1]."""
        ...
