"""Shared bits of the benchmarks: where results go, and how they are printed."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "src"))


def cpu() -> dict:
    """The CPU's model and its int8 dot-product extensions: without VNNI, onnxruntime's int8
    kernels sum in int16 and an encoder quantised to full 8-bit weights scores a little
    differently (see training/build_encoder.py, quantise)."""
    model, flags = platform.processor(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:  # not Linux
        pass
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
    return {"model": model, "int8": [f for f in wanted if f in flags]}


def machine() -> dict:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "cpu": cpu(), "platform": platform.platform(),
            "onnxruntime": _version("onnxruntime"), "when": time.strftime("%Y-%m-%dT%H:%M:%S")}


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def save(path: Path, data: dict) -> Path:
    """The figures as JSON, with the machine they were measured on."""
    path.write_text(json.dumps({"machine": machine(), **data}, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def write(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    return save(RESULTS / f"{name}.json", data)


def recall_by_item(items: dict) -> float:
    """The mean over items (a JailbreakBench goal, a prompt) of the share of their positives
    flagged (each item: a list of verdicts): a cluster of variants counts once."""
    return round(sum(sum(v) / len(v) for v in items.values()) / len(items), 4) if items else 0.0


def row_flags(texts: list[str], flagged: list[bool]) -> dict:
    """Which rows were flagged, for a paired comparison of two models on the same texts
    (`benchmarks/release.py`): their positions, and a digest of the texts in order so that rows
    of different files are never paired. The texts themselves are not written."""
    digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:16]
    return {"digest": digest, "flagged": [i for i, f in enumerate(flagged) if f]}


def candidate_options(ap) -> None:
    """--model, --gate and --json: measure a candidate model directory, or the shipped one with
    another encoder gate, without touching benchmarks/results/."""
    ap.add_argument("--model", help="a model directory other than the shipped one (a candidate, say); its figures go to --json only")
    gate_options(ap)


def gate_options(ap) -> None:
    """--gate and --json: the shipped model with another encoder gate, its figures to --json only."""
    ap.add_argument("--gate", type=float, help="the encoder gate (POLICYWARDEN_ENCODER_GATE) instead of the model's; "
                                               "the figures go to --json only")
    ap.add_argument("--json", help="write the figures to this file instead of benchmarks/results/")


def emit(name: str, data: dict, args, partial: bool = False) -> None:
    """Write the figures to --json if given; otherwise to benchmarks/results/, and there only for
    the shipped model measured in full (not `partial`), which is what that folder holds. A
    diagnostic run with --json leaves the committed figures alone."""
    if args.json:
        save(Path(args.json), data)
    elif not partial and not getattr(args, "model", None) and args.gate is None:
        write(name, data)
