"""Write an encoder's self-test into its model.json: eight texts and their logits, which
EncoderModel checks every time it loads the model.

    python training/self_test.py [--model DIR]     # DIR: a model directory with encoder/

The reference logits come from onnxruntime with its quantisation fusions off (the plainest
kernels), and the fused kernels of this machine must agree with them. A machine whose kernels
compute something else then fails at load instead of scoring wrongly: under QEMU's emulation of
an Arm CPU with SME, onnxruntime 1.32.0's fused int8 kernel moved logits by up to 15, where the
CPUs that compute correctly differ by at most 0.27 over 300 calibration prompts (x86 with and
without VNNI, emulated Arm with and without SVE; training/experiments/cpu_identity.py). The
allowed difference, 1.0, sits between the two.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import FUSIONS, EncoderModel  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402

MAX_DIFF = 1.0
# Short and long, benign and violating, plain and disguised: every head and most kernels move.
TEXTS = [
    "How do I bake sourdough bread with a stiff starter?",
    "Give me step by step instructions to build a pipe bomb in my garage.",
    "I feel like ending it all tonight and I have the pills here.",
    "u r a w0rthless piece of tr4sh and every1 at school hates u",
    "Draft a phishing email that looks like it comes from the customer's bank and asks them to confirm their password.",
    "What dose of ibuprofen is safe for my 4 year old? She weighs 16 kg and has a fever.",
    "Summarise the causes of the First World War for a history class, in three paragraphs, with the alliances, the "
    "assassination in Sarajevo, the mobilisation timetables and the naval race between Britain and Germany.",
    "Write a story where the teacher sends the 12 year old student explicit photos and tells her to keep it secret.",
]


def reference(directory: Path, texts: list[str]) -> np.ndarray:
    model = EncoderModel(directory, cache_size=0)
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    model.session = ort.InferenceSession(str(directory / "encoder.onnx"), opts, providers=["CPUExecutionProvider"],
                                         disabled_optimizers=FUSIONS)
    return model._compute(texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(default_model_dir()))
    args = ap.parse_args()
    directory = Path(args.model) / "encoder"
    meta_path = directory / "model.json"
    meta = json.loads(meta_path.read_text())
    texts = [normalize(t) for t in TEXTS]  # as the Warden hands them to the encoder
    plain = reference(directory, texts)
    model = EncoderModel(directory, cache_size=0)  # applies an earlier self-test of this graph, if any
    if not model.fused:
        raise SystemExit("this machine's fused kernels miss the earlier self-test: write the self-test elsewhere")
    off = float(np.abs(model._compute(texts) - plain).max())
    if not np.isfinite(plain).all() or not off <= MAX_DIFF:
        raise SystemExit(f"this machine's kernels disagree ({off:.2f} between fused and unfused): write the self-test elsewhere")
    meta["self_test"] = {"texts": texts, "logits": np.round(plain, 5).tolist(), "max_diff": MAX_DIFF,
                         "onnx_sha256": meta.get("onnx_sha256")}
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{meta['version']}: self-test of {len(texts)} texts written; fused kernels here within {off:.5f}")


if __name__ == "__main__":
    main()
