"""Does an answer carry out what it was asked, or decline? A one-head n-gram model over the
opening of the answer, shipped beside the embedded model in `model/context/`.

Refusals and compliance show in an answer's first sentences ("I'm sorry, but I can't ...",
"Sure, here is ...", a role-played persona that goes along), so only its first `words` words
are read: cheap whatever the answer's length.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..text.normalize import normalize
from .embedded import LinearModel

HEAD = "complies"


def opening(answer: str, words: int) -> str:
    """The part of an answer the compliance model reads (before normalisation)."""
    return " ".join(answer.split()[:words])


class ComplianceModel:
    def __init__(self, directory: str | Path):
        self.model = LinearModel(directory)
        if self.model.heads != (HEAD,):
            raise ValueError(f"{directory} is not a compliance model (heads {list(self.model.heads)}, expected [{HEAD!r}])")
        cfg = self.model.meta.get("context") or {}
        self.version = self.model.version
        self.words = int(cfg.get("words", 200))
        # An answer at or above `cut` carries out its prompt; the prompt's categories then count
        # where the answer itself reaches `support` times their threshold.
        self.cut = float(self.model.thresholds()[HEAD])
        self.support = float(cfg.get("support", 0.0))

    def score(self, answers: list[str]) -> np.ndarray:
        if not answers:
            return np.zeros(0, np.float32)
        return self.model.score([normalize(opening(a, self.words)) for a in answers])[:, 0]
