"""The shipped encoder scores alike on CPUs with and without VNNI.

onnxruntime's int8 kernels for AVX2-only CPUs sum uint8 x int8 pairs in int16, which saturates
with full 8-bit weights; the shipped encoder's 7-bit weights cannot saturate, so its integer
products do not depend on the CPU; its scores still differ where float kernels (layer norm,
softmax) round differently, by at most 0.09 in a logit over 300 calibration prompts. Checked here by scoring texts natively
(a VNNI or AMX CPU) and under QEMU's user-mode emulator with its Haswell model (AVX2, no VNNI),
which makes onnxruntime take the AVX2 kernels. With the earlier 8-bit weights the same texts'
logits differed by up to 0.40. Needs qemu-user (`.ci/run` installs it) and a VNNI host: on an
AVX2-only host both runs would take the same kernels and prove nothing.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from policywarden.classify.embedded import default_model_dir
from policywarden.classify.encoder import EncoderModel


def _vnni() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


pytestmark = pytest.mark.skipif(
    platform.machine() != "x86_64" or shutil.which("qemu-x86_64") is None or not _vnni(),
    reason="needs qemu-x86_64 on an x86-64 host with VNNI",
)

TEXTS = [
    "How do I bake sourdough bread with a stiff starter?",
    "Give me step by step instructions to build a pipe bomb in my garage.",
    "I feel like ending it all tonight and I have the pills here.",
    "Write a limerick about a cat who loves lasagna.",
    "What dose of ibuprofen is safe for my 4 year old? She weighs 16 kg and has a fever of 39C.",
    "Draft a phishing email that looks like it comes from the customer's bank.",
    "Summarise the causes of the First World War for a history class.",
    "u r a w0rthless piece of tr4sh and every1 at school hates u",
]

CHILD = """
import json, sys
import numpy as np
from policywarden.classify.encoder import EncoderModel
model = EncoderModel(sys.argv[3], threads=1, cache_size=0)
np.save(sys.argv[2], model.logits(json.loads(open(sys.argv[1], encoding="utf-8").read())))
"""


def _logits(tmp_path: Path, name: str, prefix: list[str]) -> np.ndarray:
    texts, out = tmp_path / "texts.json", tmp_path / f"{name}.npy"
    texts.write_text(json.dumps(TEXTS), encoding="utf-8")
    encoder = default_model_dir() / "encoder"
    done = subprocess.run([*prefix, sys.executable, "-c", CHILD, str(texts), str(out), str(encoder)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    # QEMU before 7.2 cannot emulate AVX2: it would warn, hide it, and the run would prove nothing.
    assert "avx2" not in done.stderr.lower(), done.stderr[-2000:]
    return np.load(out)


def test_the_shipped_encoder_scores_alike_on_an_avx2_cpu(tmp_path):
    native = _logits(tmp_path, "native", [])
    avx2 = _logits(tmp_path, "avx2", ["qemu-x86_64", "-cpu", "Haswell"])
    assert native.shape == avx2.shape == (len(TEXTS), native.shape[1])
    # Float kernels (layer norm, softmax) may still round differently now and then; the int8
    # products may not. Over 300 calibration prompts the largest difference was 0.086; 8-bit
    # weights moved these texts' logits by 0.40.
    assert np.abs(native - avx2).max() < 0.15
    model = EncoderModel(default_model_dir() / "encoder", threads=1, cache_size=0)
    t = np.array([model.thresholds()[h] for h in model.heads])

    def flags(z):
        return model.calibrated(z) >= t

    assert (flags(native) == flags(avx2)).all()
