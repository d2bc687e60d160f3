"""Scores from the policy itself: regular expressions, and few-shot examples of categories the
model was never trained on (an operator's added categories)."""

from __future__ import annotations

import re

import numpy as np

from ..policy.schema import Category
from ..text.normalize import normalize
from .features import FeatureSpec, transform


class PatternScorer:
    """1.0 for a category whose pattern matches the normalised text, else 0.0."""

    name = "patterns"

    def __init__(self, categories: list[Category]):
        self.compiled = {c.id: [re.compile(p, re.IGNORECASE) for p in c.patterns] for c in categories if c.patterns}

    @property
    def heads(self) -> tuple[str, ...]:
        return tuple(self.compiled)

    def score(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.compiled)), np.float32)
        for j, pats in enumerate(self.compiled.values()):
            for i, t in enumerate(texts):
                if any(p.search(t) for p in pats):
                    out[i, j] = 1.0
        return out


class ExampleScorer:
    """Nearest-example scoring for categories defined only by a definition and examples.

    The score is the cosine similarity to the closest `flag` example, scaled down by how much
    closer the closest `allow` look-alike is. It is a few-shot heuristic, not a trained model:
    good enough to start a new category, to be replaced by training data as it arrives.
    """

    name = "examples"

    def __init__(self, categories: list[Category], spec: FeatureSpec | None = None, idf: np.ndarray | None = None):
        self.spec = spec or FeatureSpec()
        self.idf = idf
        self.refs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c in categories:
            if c.examples.flag:
                self.refs[c.id] = (self._vectors(c.examples.flag), self._vectors(c.examples.allow))

    @property
    def heads(self) -> tuple[str, ...]:
        return tuple(self.refs)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        n = 1 << self.spec.bits
        indptr, indices, data = transform([normalize(t) for t in texts], self.spec, self.idf)
        dense = np.zeros((len(texts), n), np.float32)
        for i in range(len(texts)):
            dense[i, indices[indptr[i] : indptr[i + 1]]] += data[indptr[i] : indptr[i + 1]]
        return dense

    def score(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.refs)), np.float32)
        if not self.refs:
            return out
        indptr, indices, data = transform(texts, self.spec, self.idf)
        for i in range(len(texts)):
            idx, val = indices[indptr[i] : indptr[i + 1]], data[indptr[i] : indptr[i + 1]]
            for j, (flag, allow) in enumerate(self.refs.values()):
                sim_flag = float((flag[:, idx] @ val).max())
                sim_allow = float((allow[:, idx] @ val).max()) if len(allow) else 0.0
                out[i, j] = max(0.0, sim_flag) * (1.0 if sim_flag >= sim_allow else 0.5)
        return out
