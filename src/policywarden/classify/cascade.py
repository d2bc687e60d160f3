"""Two stages: the n-gram model scores everything, the encoder only what the n-gram model does
not clear, and where both speak their calibrated scores are blended.

Most traffic is plainly benign, and the n-gram model clears it at a few thousand texts a
second; the encoder (hundreds a second on two cores) reads what could be a violation. The gate
and the blend weight are fitted when the encoder is built, on rows neither model was trained on,
and stored in the encoder's model.json with the blended thresholds.
"""

from __future__ import annotations

import numpy as np

from .embedded import LinearModel
from .encoder import EncoderModel


class CascadeScorer:
    name = "embedded-cascade"

    def __init__(self, linear: LinearModel, encoder: EncoderModel, gate: float | None = None):
        """`gate`: in place of the calibrated one, read with the encoder only texts on which some
        n-gram head reaches this multiple of its threshold. Higher reads fewer (faster, less
        recall); at most 1, since a text the n-gram model flags is always read."""
        cfg = encoder.meta.get("cascade")
        if not cfg:
            raise ValueError(f"encoder {encoder.version} has no cascade calibration (run training/calibrate_cascade.py)")
        # Versions are names an operator may reuse; the weights' digest tells models apart.
        theirs = (cfg.get("linear_version"), cfg.get("linear_sha256"))
        ours = (linear.version, linear.meta.get("weights_sha256"))
        if theirs[0] != ours[0] or (theirs[1] and ours[1] and theirs[1] != ours[1]):
            raise ValueError(
                f"encoder {encoder.version} was calibrated against n-gram model {theirs[0]} ({theirs[1]}), "
                f"not {ours[0]} ({ours[1]}): run training/calibrate_cascade.py, or serve with POLICYWARDEN_ENCODER=false"
            )
        self.linear, self.encoder = linear, encoder
        self.version = f"{linear.version}+{encoder.version}"
        self.heads = linear.heads
        self.weight = float(cfg["weight"])
        if gate is not None and (isinstance(gate, bool) or not isinstance(gate, (int, float)) or not 0 < gate <= 1):
            raise ValueError(f"the encoder gate must be a number in (0, 1], got {gate!r}")
        self.gate = float(cfg["gate"] if gate is None else gate)
        # A text the violation head (`any`) finds violating at this multiple of its threshold is
        # flagged under its best-fitting category even when none reaches its own threshold.
        self.unattributed: float | None = cfg.get("unattributed")
        # A text's short windows (Warden.fine_units) count where they reach this multiple of a
        # threshold; None: they are not read.
        self.fine_margin: float | None = cfg.get("fine_margin")
        # Heads retrained on an operator's data since the encoder was calibrated are left to the
        # n-gram model: the encoder's view of them is the old one.
        linear_only = set(cfg.get("linear_only", ()))
        shared = [h for h in encoder.heads if h in linear.heads and h not in linear_only]
        self._lin_cols = np.array([linear.heads.index(h) for h in shared], np.int64)
        self._enc_cols = np.array([encoder.heads.index(h) for h in shared], np.int64)
        lin_th = linear.thresholds()
        self._thresholds = {h: float(cfg["thresholds"][h]) if h in shared else lin_th[h] for h in self.heads}
        self._lin_th = np.array([lin_th[h] for h in linear.heads], np.float32)
        # What a text the first stage clears may score at most: just under each threshold.
        self._cleared_cap = np.array([self._thresholds[h] for h in self.heads], np.float32) * 0.999

    def thresholds(self) -> dict[str, float]:
        return dict(self._thresholds)

    def escalated(self, linear_scores: np.ndarray) -> np.ndarray:
        """Which rows the encoder reads: any head at or above `gate` times its n-gram threshold."""
        return (linear_scores / self._lin_th).max(axis=1) >= self.gate if len(linear_scores) else np.zeros(0, bool)

    def score(self, texts: list[str]) -> np.ndarray:
        lin = self.linear.score(texts)
        out = np.minimum(lin, self._cleared_cap)
        rows = np.flatnonzero(self.escalated(lin))
        if len(rows):
            enc = self.encoder.score([texts[i] for i in rows])
            blended = lin[rows].copy()
            blended[:, self._lin_cols] = (
                self.weight * enc[:, self._enc_cols] + (1.0 - self.weight) * lin[rows][:, self._lin_cols]
            )
            out[rows] = blended
        return out
