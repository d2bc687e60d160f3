"""Does an encoder score the same on another kind of x86 CPU? Scores the first N calibration
prompts natively and under QEMU's user-mode emulator with an older CPU model, and compares.

    python training/experiments/cpu_identity.py MODEL_DIR [MODEL_DIR ...] [--cpu Haswell] [--n 300]

MODEL_DIR is an encoder directory (encoder.onnx, model.json, tokenizer.json). onnxruntime picks
its int8 kernels by what CPUID reports, so `qemu-x86_64 -cpu Haswell` (AVX2, no AVX-512, no VNNI)
runs the kernels an AVX2-only server would, on this machine: on such CPUs uint8 x int8 pairs are
summed in int16, which saturates with full 8-bit weights and cannot with 7-bit (`reduce_range`)
ones; VNNI and AMX sum in int32. Needs Debian's qemu-user (`apt-get install qemu-user`, x86-64
hosts); emulated, a text takes about ten times as long. Prints, per model, how far the logits
moved and how many (text, head) verdicts flipped at the model's own thresholds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

from build_encoder import calibration_prompts  # noqa: E402
from common import cpu  # noqa: E402

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import EncoderModel  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402


def prompts(n: int) -> list[str]:
    linear_meta = json.loads((default_model_dir() / "model.json").read_text())
    cal, _ = calibration_prompts(ROOT / "training" / "out", linear_meta)
    return [normalize(r.text) for r in cal[:n]]


def logits(model_dir: str, texts: list[str]) -> np.ndarray:
    # One thread, no cache: each text computed once, as a single-text call is served.
    return EncoderModel(model_dir, threads=1, cache_size=0).logits(texts)


def emulated(model_dir: str, texts: list[str], cpu_model: str) -> np.ndarray:
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        raise SystemExit("qemu-x86_64 not found: apt-get install qemu-user")
    with tempfile.TemporaryDirectory() as tmp:
        out, given = Path(tmp) / "logits.npy", Path(tmp) / "texts.json"
        given.write_text(json.dumps(texts))  # the child only scores: emulated, everything else is slow
        cmd = [qemu, "-cpu", cpu_model, sys.executable, __file__, model_dir, "--texts", str(given), "--dump", str(out)]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(f"emulated run failed ({done.returncode}):\n{done.stderr[-2000:]}")
        if "avx2" in done.stderr.lower():  # QEMU before 7.2 hides AVX2 with a warning
            raise SystemExit(f"QEMU did not emulate AVX2:\n{done.stderr[-2000:]}")
        return np.load(out)


def verdicts(model_dir: str, z: np.ndarray) -> np.ndarray:
    model = EncoderModel(model_dir, threads=1, cache_size=0)
    t = np.array([model.thresholds()[h] for h in model.heads], np.float32)
    return model.calibrated(z) >= t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--cpu", default="Haswell", help="QEMU CPU model to emulate (qemu-x86_64 -cpu help)")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--texts", help=argparse.SUPPRESS)  # the emulated child: score these,
    ap.add_argument("--dump", help=argparse.SUPPRESS)  # write the logits here and stop
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.dump:
        np.save(args.dump, logits(args.models[0], json.loads(Path(args.texts).read_text())))
        return
    texts = prompts(args.n)

    print(f"native cpu {cpu()}; emulated -cpu {args.cpu}; {len(texts)} calibration prompts")
    results = {}
    for model_dir in args.models:
        native, other = logits(model_dir, texts), emulated(model_dir, texts, args.cpu)
        diff = np.abs(native - other)
        flips = verdicts(model_dir, native) != verdicts(model_dir, other)
        version = json.loads((Path(model_dir) / "model.json").read_text())["version"]
        r = {"version": version, "quantisation": json.loads((Path(model_dir) / "model.json").read_text())
             .get("training", {}).get("quantisation"),
             "identical_logits": float((diff == 0).mean()), "max_logit_diff": float(diff.max()),
             "mean_logit_diff": float(diff.mean()), "verdict_flips": int(flips.sum()),
             "texts_with_a_flip": int(flips.any(axis=1).sum())}
        results[model_dir] = r
        print(f"{model_dir} ({version}): identical {r['identical_logits']:.2%} of (text, head) logits; "
              f"max diff {r['max_logit_diff']:.4f}, mean {r['mean_logit_diff']:.5f}; "
              f"{r['verdict_flips']} verdicts flipped in {r['texts_with_a_flip']} texts")
    if args.json:
        Path(args.json).write_text(json.dumps({"native_cpu": cpu(), "emulated_cpu": args.cpu, "texts": len(texts),
                                               "models": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
