"""Does an encoder score the same on another kind of CPU? Scores the first N calibration prompts
natively and under QEMU's user-mode emulator as another CPU, and compares.

    python training/experiments/cpu_identity.py MODEL_DIR [MODEL_DIR ...] [--cpu Haswell] [--n 300]
    python training/experiments/cpu_identity.py MODEL_DIR --arch aarch64 [--cpu neoverse-n1 ...]

MODEL_DIR is an encoder directory (encoder.onnx, model.json, tokenizer.json). onnxruntime picks
its int8 kernels by what CPUID reports, so `qemu-x86_64 -cpu Haswell` (AVX2, no AVX-512, no VNNI)
runs the kernels an AVX2-only server would, on this machine: on such CPUs uint8 x int8 pairs are
summed in int16, which saturates with full 8-bit weights and cannot with 7-bit (`reduce_range`)
ones; VNNI and AMX sum in int32. Needs Debian's qemu-user (`apt-get install qemu-user`, x86-64
hosts); emulated, a text takes about ten times as long. Prints, per model, how far the logits
moved and how many (text, head) verdicts flipped at the model's own thresholds.

`--arch aarch64` runs the encoder in an arm64 Python with the arm64 builds of this machine's
onnxruntime, numpy and tokenizers (made by arm64_sysroot.sh, in training/out/arm64), as each
`--cpu` in turn: by default cortex-a72 (NEON only), neoverse-n1 (dot product, as AWS Graviton2),
max,sme=off (SVE and int8 matrix multiply, as Graviton3) and max (with SME as well).
"""

from __future__ import annotations

import argparse
import importlib.util
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
ARM_CPUS = ("cortex-a72", "neoverse-n1", "max,sme=off", "max")


def encoder_class():
    """EncoderModel from its own file: it needs numpy, onnxruntime and tokenizers only, where the
    package would import all of its dependencies (the emulated arm64 child has just those three)."""
    spec = importlib.util.spec_from_file_location("pw_encoder", ROOT / "src" / "policywarden" / "classify" / "encoder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EncoderModel


def prompts(n: int) -> list[str]:
    from build_encoder import calibration_prompts

    from policywarden.classify.embedded import default_model_dir
    from policywarden.text.normalize import normalize

    linear_meta = json.loads((default_model_dir() / "model.json").read_text())
    cal, _ = calibration_prompts(ROOT / "training" / "out", linear_meta)
    return [normalize(r.text) for r in cal[:n]]


def logits(model_dir: str, texts: list[str]) -> np.ndarray:
    # One thread, no cache: each text computed once, as a single-text call is served.
    return encoder_class()(model_dir, threads=1, cache_size=0).logits(texts)


def emulated(model_dir: str, texts: list[str], cpu_model: str, arch: str, sysroot: Path) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out, given = Path(tmp) / "logits.npy", Path(tmp) / "texts.json"
        given.write_text(json.dumps(texts))  # the child only scores: emulated, everything else is slow
        child = [__file__, str(Path(model_dir).resolve()), "--texts", str(given), "--dump", str(out)]
        if arch == "aarch64":
            if not (sysroot / "sysroot" / "usr" / "bin" / "python3.11").exists():
                raise SystemExit(f"no arm64 Python in {sysroot}: run training/experiments/arm64_sysroot.sh")
            cmd = [str(ROOT / "training" / "experiments" / "arm64_run.sh"), str(sysroot), cpu_model, *child]
        else:
            qemu = shutil.which("qemu-x86_64")
            if qemu is None:
                raise SystemExit("qemu-x86_64 not found: apt-get install qemu-user")
            cmd = [qemu, "-cpu", cpu_model, sys.executable, *child]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(f"emulated run failed ({done.returncode}):\n{done.stderr[-2000:]}")
        if arch == "x86_64" and "avx2" in done.stderr.lower():  # QEMU before 7.2 hides AVX2 with a warning
            raise SystemExit(f"QEMU did not emulate AVX2:\n{done.stderr[-2000:]}")
        return np.load(out)


def verdicts(model_dir: str, z: np.ndarray) -> np.ndarray:
    model = encoder_class()(model_dir, threads=1, cache_size=0)
    t = np.array([model.thresholds()[h] for h in model.heads], np.float32)
    return model.calibrated(z) >= t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--arch", choices=("x86_64", "aarch64"), default="x86_64", help="the emulated machine")
    ap.add_argument("--cpu", action="append",
                    help="QEMU CPU model to emulate, repeatable (qemu-x86_64 -cpu help; default Haswell, or for "
                         f"aarch64 {', '.join(ARM_CPUS)})")
    ap.add_argument("--sysroot", default=str(ROOT / "training" / "out" / "arm64"), help="arm64_sysroot.sh's DEST")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--texts", help=argparse.SUPPRESS)  # the emulated child: score these,
    ap.add_argument("--dump", help=argparse.SUPPRESS)  # write the logits here and stop
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.dump:
        np.save(args.dump, logits(args.models[0], json.loads(Path(args.texts).read_text())))
        return
    from common import cpu

    cpus = args.cpu or (list(ARM_CPUS) if args.arch == "aarch64" else ["Haswell"])
    texts = prompts(args.n)
    print(f"native cpu {cpu()}; emulated {args.arch} {', '.join(cpus)}; {len(texts)} calibration prompts")
    results = {}
    for model_dir in args.models:
        native = logits(model_dir, texts)
        meta = json.loads((Path(model_dir) / "model.json").read_text())
        for cpu_model in cpus:
            other = emulated(model_dir, texts, cpu_model, args.arch, Path(args.sysroot))
            diff = np.abs(native - other)
            flips = verdicts(model_dir, native) != verdicts(model_dir, other)
            r = {"version": meta["version"], "quantisation": meta.get("training", {}).get("quantisation"),
                 "emulated_cpu": cpu_model,
                 "identical_logits": float((diff == 0).mean()), "max_logit_diff": float(diff.max()),
                 "mean_logit_diff": float(diff.mean()), "verdict_flips": int(flips.sum()),
                 "texts_with_a_flip": int(flips.any(axis=1).sum())}
            results[f"{model_dir} @ {cpu_model}"] = r
            print(f"{model_dir} ({meta['version']}) as {cpu_model}: identical {r['identical_logits']:.2%} of (text, head) "
                  f"logits; max diff {r['max_logit_diff']:.4f}, mean {r['mean_logit_diff']:.5f}; "
                  f"{r['verdict_flips']} verdicts flipped in {r['texts_with_a_flip']} texts", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"native_cpu": cpu(), "arch": args.arch, "emulated_cpus": cpus,
                                               "texts": len(texts), "runs": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
