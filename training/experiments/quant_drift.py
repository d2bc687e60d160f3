"""How far the int8 encoder's probabilities move from its float32 export, with 8-bit and 7-bit
(`reduce_range`) weights, on this machine's CPU.

    python training/experiments/quant_drift.py FP32.onnx TOKENIZER.json [--n 300] [--threads 2]

onnxruntime's int8 matrix products on x86 CPUs without VNNI (AVX2 only) add uint8 x int8 pairs
in int16, which saturates; 7-bit weights cannot saturate. So on an AVX2 machine the 8-bit model
may drift further from float32 than the 7-bit one, and on a VNNI machine the other way round.
The texts are the first N prompts of the calibration split (training/out), scored one per call
as served. Prints the CPU's int8 extensions and max / mean / 99th-percentile drift per variant.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_encoder import calibration_prompts, quantise  # noqa: E402
from common import cpu  # noqa: E402

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import pad  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402


def session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def probabilities(sess, encodings) -> np.ndarray:
    logits = [sess.run(["logits"], dict(zip(("input_ids", "attention_mask"), pad([e.ids]))))[0][0] for e in encodings]
    return 1 / (1 + np.exp(-np.stack(logits)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fp32")
    ap.add_argument("tokenizer")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from tokenizers import Tokenizer

    linear_meta = json.loads((default_model_dir() / "model.json").read_text())
    cal, _ = calibration_prompts(ROOT / "training" / "out", linear_meta)
    texts = [normalize(r.text) for r in cal[: args.n]]
    tok = Tokenizer.from_file(args.tokenizer)
    tok.enable_truncation(128)
    tok.no_padding()
    encodings = tok.encode_batch(texts)

    ref = probabilities(session(Path(args.fp32), args.threads), encodings)
    print(f"cpu {cpu()}; {len(texts)} calibration prompts")
    with tempfile.TemporaryDirectory() as tmp:
        for name, reduce in (("8-bit weights", False), ("7-bit weights (reduce_range)", True)):
            dest = Path(tmp) / f"q{int(reduce)}.onnx"
            quantise(Path(args.fp32), dest, reduce_range=reduce)
            drift = np.abs(probabilities(session(dest, args.threads), encodings) - ref)
            print(f"{name:30} max {drift.max():.4f}  p99 {np.quantile(drift, 0.99):.4f}  mean {drift.mean():.5f}  "
                  f"share of (text, head) moved > 0.05: {(drift > 0.05).mean():.4%}")


if __name__ == "__main__":
    main()
