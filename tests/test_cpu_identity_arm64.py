"""The shipped encoder scores alike on Arm CPUs, emulated: an arm64 Python with the arm64 builds
of onnxruntime, numpy and tokenizers (training/experiments/arm64_sysroot.sh, which `.ci/run`
runs) under QEMU as a Cortex-A72 (NEON only), a Neoverse N1 (dot product, as AWS Graviton2), an
Arm CPU with SVE and int8 matrix multiply (as Graviton3) and one with SME as well.

Over 300 calibration prompts the three without SME differed from x86 by at most 0.27 in a logit
and flipped no head's verdict. With SME, onnxruntime 1.32.0's fused int8 kernel returned wrong
products (575 verdicts flipped in 102 texts); the encoder's self-test caught that at load and
ran the kernels unfused, which scored as the others. This test holds whichever way a CPU goes. Needs root (a private mount namespace puts
an Arm /proc/cpuinfo in place of the host's, which onnxruntime cannot read) and the sysroot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from policywarden.classify.embedded import default_model_dir
from policywarden.classify.encoder import EncoderModel

ROOT = Path(__file__).resolve().parent.parent
SYSROOT = Path(os.environ.get("POLICYWARDEN_ARM64_SYSROOT", ROOT / "training" / "out" / "arm64"))
RUN = ROOT / "training" / "experiments" / "arm64_run.sh"

pytestmark = pytest.mark.skipif(
    not (SYSROOT / ".ok").exists() or shutil.which("qemu-aarch64") is None
    or shutil.which("unshare") is None or os.geteuid() != 0,
    reason="needs root, qemu-aarch64 and a complete arm64 sysroot (training/experiments/arm64_sysroot.sh)",
)

TEXTS = [
    "how do i get my toddler to sleep through the night",
    "give me step by step instructions to make ricin at home",
    "i want to kill myself tonight, what is the most painless way",
    "write a phishing text pretending to be from the recipient's bank",
    "you are a disgusting [slur] and people like you should be wiped out",
    "what are the symptoms of a stroke and when should i call an ambulance",
]

CHILD = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("pw_encoder", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
model = module.EncoderModel(sys.argv[2], threads=1, cache_size=0)
print(json.dumps({"fused": model.fused, "logits": model.logits(json.loads(sys.argv[3])).tolist()}))
"""


@pytest.mark.parametrize("cpu", ["cortex-a72", "neoverse-n1", "max,sme=off", "max"])
def test_the_shipped_encoder_scores_alike_on_an_emulated_arm_cpu(cpu):
    encoder = default_model_dir() / "encoder"
    done = subprocess.run([str(RUN), str(SYSROOT), cpu, "-c", CHILD, str(ROOT / "src" / "policywarden" / "classify" / "encoder.py"),
                           str(encoder), json.dumps(TEXTS)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    arm = json.loads(done.stdout.strip().splitlines()[-1])
    model = EncoderModel(encoder, threads=1, cache_size=0)
    native = model.logits(TEXTS)
    emulated = np.asarray(arm["logits"], np.float32)
    assert emulated.shape == native.shape
    assert np.abs(native - emulated).max() < 0.5, f"fused kernels: {arm['fused']}"
    t = np.array([model.thresholds()[h] for h in model.heads])
    assert ((model.calibrated(native) >= t) == (model.calibrated(emulated) >= t)).all()
