"""The fine-tuned encoder shipped beside the n-gram model: all-MiniLM-L6-v2 with one head per
category, int8 ONNX, run with onnxruntime and a `tokenizers` tokenizer (no PyTorch).

Scores are calibrated per head (Platt scaling fitted on held-back rows when the model was built).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ENCODER_FILES = ("model.json", "encoder.onnx", "tokenizer.json")
# onnxruntime's graph rewrites that fuse quantisation into the int8 matrix products. Under QEMU's
# emulation of an Arm CPU with SME the fused kernel returned wrong products (see MODEL_CARD.md,
# "Scores on other CPUs"); unfused, the same products were right.
FUSIONS = ["DynamicQuantizeMatMulFusion", "MatMulIntegerToFloatFusion"]
log = logging.getLogger("policywarden.encoder")


class EncoderUnavailable(RuntimeError):
    pass


def _utf8(text: str) -> str:
    """The tokenizer takes valid Unicode only: a lone surrogate (valid JSON, invalid text) becomes '?'."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def pad(encoded: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of several texts as one right-padded (ids, attention mask) pair."""
    width = max(len(e) for e in encoded)
    ids = np.zeros((len(encoded), width), np.int64)
    mask = np.zeros((len(encoded), width), np.int64)
    for row, e in enumerate(encoded):
        ids[row, : len(e)] = e
        mask[row, : len(e)] = 1
    return ids, mask


class EncoderModel:
    name = "embedded-encoder"

    def __init__(self, directory: str | Path, threads: int | None = None, cache_size: int = 4096):
        directory = Path(directory)
        missing = [f for f in ENCODER_FILES if not (directory / f).exists()]
        if missing:
            raise EncoderUnavailable(f"no encoder in {directory} (missing {', '.join(missing)})")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are default dependencies
            raise EncoderUnavailable(f"the encoder needs onnxruntime and tokenizers ({exc})") from None
        self.meta = json.loads((directory / "model.json").read_text())
        self.version: str = self.meta["version"]
        self.heads: tuple[str, ...] = tuple(self.meta["heads"])
        self._thresholds = {h: float(self.meta["thresholds"][h]) for h in self.heads}
        platt = np.array([self.meta["platt"][h] for h in self.heads], np.float32)
        self._a, self._b = platt[:, 0], platt[:, 1]
        # Texts per call. 1 for a model whose activations are quantised per call: batched, a
        # text's scores would depend on the company it keeps.
        self.batch_size = int(self.meta.get("max_batch", 64))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(self.meta["max_len"]))
        self.tokenizer.no_padding()
        cores = threads or min(4, len(os.sched_getaffinity(0)))
        opts = ort.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One text per call is a small matrix product that one core does about as fast as two;
        # several texts then run side by side, one core each (onnxruntime sessions take
        # concurrent calls, and release the GIL while they run). Batched models use every core per call.
        self._pool = None
        if self.batch_size == 1:
            opts.intra_op_num_threads = 1
            self._pool = ThreadPoolExecutor(cores, thread_name_prefix="pw-encoder") if cores > 1 else None
        else:
            opts.intra_op_num_threads = cores
        self.fused = True
        self.session = ort.InferenceSession(str(directory / "encoder.onnx"), opts, providers=["CPUExecutionProvider"])
        # Known answers, written when the model was built (training/self_test.py): a CPU or an
        # onnxruntime build whose kernels compute something else is caught here, not in verdicts.
        check = self.meta.get("self_test")
        if check and check.get("onnx_sha256") != self.meta.get("onnx_sha256"):
            log.warning("encoder %s: its self-test was written for another graph (%s) and is not applied; "
                        "run training/self_test.py", self.version, check.get("onnx_sha256"))
        elif check:
            off = self.self_test()
            if not off <= check["max_diff"]:  # NaN counts as a miss
                self.session = ort.InferenceSession(str(directory / "encoder.onnx"), opts,
                                                    providers=["CPUExecutionProvider"], disabled_optimizers=FUSIONS)
                self.fused = False
                unfused = self.self_test()
                if not unfused <= check["max_diff"]:
                    if self._pool:
                        self._pool.shutdown(wait=False)
                    raise EncoderUnavailable(
                        f"encoder {self.version} fails its self-test on this CPU (a logit {unfused:.2f} from the "
                        f"reference, {check['max_diff']} allowed): its scores cannot be trusted "
                        "here; serve with POLICYWARDEN_ENCODER=false (n-gram model only)"
                    )
                log.warning("encoder %s: onnxruntime's fused int8 kernels miss the self-test on this CPU (a logit %.2f "
                            "off); running them unfused (%.4f)", self.version, off, unfused)
        # Recent texts' logits, keyed by a digest of the text (never the text itself): a chat
        # resends its earlier turns and system prompt with every request, and a text's scores do
        # not depend on its company, so they are computed once. About 300 bytes an entry.
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def thresholds(self) -> dict[str, float]:
        return dict(self._thresholds)

    def self_test(self) -> float:
        """The largest difference between this session's logits for the self-test texts and the
        reference written with the model."""
        check = self.meta["self_test"]
        got = self._compute(list(check["texts"]))
        return float(np.abs(got - np.asarray(check["logits"], np.float32)).max())

    def logits(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.heads)), np.float32)
        if not texts:
            return out
        clean = [_utf8(t) for t in texts]
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in clean]
        todo: dict[bytes, list[int]] = {}  # each text not cached, once, with the rows it fills
        with self._cache_lock:
            for i, k in enumerate(keys):
                row = self._cache.get(k)
                if row is None:
                    todo.setdefault(k, []).append(i)
                else:
                    self._cache.move_to_end(k)
                    out[i] = row
        if not todo:
            return out
        fresh = self._compute([clean[rows[0]] for rows in todo.values()])
        for (k, rows), row in zip(todo.items(), fresh):
            out[rows] = row
        if self.cache_size > 0:
            with self._cache_lock:
                for k, row in zip(todo, fresh):
                    self._cache[k] = row.copy()  # not a view that would keep the whole batch alive
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return out

    def _compute(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.heads)), np.float32)
        encoded = [e.ids for e in self.tokenizer.encode_batch(texts)]
        if self.batch_size == 1:
            rows = self._pool.map(self._run, encoded) if self._pool and len(encoded) > 1 else map(self._run, encoded)
            for i, row in enumerate(rows):
                out[i] = row[0]
            return out
        # Similar lengths batched together: padding costs as much as text.
        order = np.argsort([len(e) for e in encoded], kind="stable")
        for k in range(0, len(order), self.batch_size):
            sel = order[k : k + self.batch_size]
            out[sel] = self._run(*(encoded[j] for j in sel))
        return out

    def _run(self, *encoded: list[int]) -> np.ndarray:
        ids, mask = pad(list(encoded))
        return self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        """Probabilities from this model's logits (Platt scaling per head)."""
        return 1.0 / (1.0 + np.exp(-(logits * self._a + self._b)))

    def score(self, texts: list[str]) -> np.ndarray:
        return self.calibrated(self.logits(texts))
