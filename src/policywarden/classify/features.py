"""Hashed word and character n-gram features, shared by training and inference.

Deterministic across processes and platforms (CRC-32, not Python's salted hash), with no
vocabulary to ship: a feature is `crc32(kind + gram) mod 2**bits`, signed by the top bit so
that collisions cancel rather than pile up.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[^\w\s]")


@dataclass(frozen=True)
class FeatureSpec:
    bits: int = 18
    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 5
    max_word_len: int = 30

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def grams(text: str, spec: FeatureSpec) -> list[bytes]:
    """All n-grams of a normalised text, as bytes tagged by kind."""
    words = _WORDS.findall(text)
    out: list[bytes] = []
    for w in words:
        out.append(b"w" + w.encode("utf-8", "surrogatepass"))
    for n in range(2, spec.word_ngrams + 1):
        for i in range(len(words) - n + 1):
            out.append(b"w" + " ".join(words[i : i + n]).encode("utf-8", "surrogatepass"))
    lo, hi = spec.char_min, spec.char_max
    for w in words:
        if len(w) > spec.max_word_len or not w[0].isalnum():
            continue
        padded = f" {w} "
        for n in range(lo, hi + 1):
            for i in range(len(padded) - n + 1):
                out.append(b"c" + padded[i : i + n].encode("utf-8", "surrogatepass"))
    return out


def _signed(gram: bytes, mask: int) -> tuple[int, float]:
    h = zlib.crc32(gram)
    return h & mask, (1.0 if h >> 31 else -1.0)


@lru_cache(maxsize=1 << 14)  # ~16k words, at most ~25 MB
def _word_features(word: str, spec: FeatureSpec) -> tuple[tuple[int, float], tuple[tuple[int, float], ...]]:
    """A word's unigram feature and its character n-gram features (summed, in order of first
    occurrence). Words repeat across texts far more than they vary, so each is hashed once."""
    mask = (1 << spec.bits) - 1
    unigram = _signed(b"w" + word.encode("utf-8", "surrogatepass"), mask)
    chars: dict[int, float] = {}
    if len(word) <= spec.max_word_len and word[0].isalnum():
        padded = f" {word} "
        for n in range(spec.char_min, spec.char_max + 1):
            for i in range(len(padded) - n + 1):
                idx, sign = _signed(b"c" + padded[i : i + n].encode("utf-8", "surrogatepass"), mask)
                chars[idx] = chars.get(idx, 0.0) + sign
    return unigram, tuple(chars.items())


def hashed(text: str, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """Feature indices and signed counts for one normalised text (duplicates summed).

    The same features, in the same order, as hashing every gram of `grams()` in turn, with
    each word's own features taken from a cache."""
    mask = (1 << spec.bits) - 1
    counts: dict[int, float] = {}
    words = _WORDS.findall(text)
    per_word = [_word_features(w, spec) for w in words]
    for (idx, sign), _ in per_word:
        counts[idx] = counts.get(idx, 0.0) + sign
    for n in range(2, spec.word_ngrams + 1):
        for i in range(len(words) - n + 1):
            idx, sign = _signed(b"w" + " ".join(words[i : i + n]).encode("utf-8", "surrogatepass"), mask)
            counts[idx] = counts.get(idx, 0.0) + sign
    for _, chars in per_word:
        for idx, c in chars:
            counts[idx] = counts.get(idx, 0.0) + c
    if not counts:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    idx = np.fromiter(counts.keys(), np.int32, len(counts))
    val = np.fromiter(counts.values(), np.float32, len(counts))
    return idx, val


def transform(texts: list[str], spec: FeatureSpec, idf: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR parts (indptr, indices, data) of the TF-IDF matrix for normalised texts.

    Term frequency is sublinear (sign * (1 + log|count|)), weighted by idf when given,
    and each row is L2-normalised.
    """
    indptr = np.zeros(len(texts) + 1, np.int64)
    all_idx: list[np.ndarray] = []
    all_val: list[np.ndarray] = []
    for row, text in enumerate(texts):
        idx, val = hashed(text, spec)
        nz = val != 0
        idx, val = idx[nz], val[nz]
        val = np.sign(val) * (1.0 + np.log(np.abs(val)))
        if idf is not None:
            val = val * idf[idx]
        norm = float(np.sqrt(np.dot(val, val)))
        if norm > 0:
            val = val / norm
        all_idx.append(idx)
        all_val.append(val.astype(np.float32))
        indptr[row + 1] = indptr[row] + len(idx)
    indices = np.concatenate(all_idx) if all_idx else np.zeros(0, np.int32)
    data = np.concatenate(all_val) if all_val else np.zeros(0, np.float32)
    return indptr, indices, data
