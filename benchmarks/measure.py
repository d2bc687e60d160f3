"""Measure a model for the release rule: the five benchmarks `release.py` reads, into one folder.

    python benchmarks/measure.py OUT_DIR [--model DIR] [--gate G] [--force]
    python benchmarks/release.py BASE_OUT_DIR OUT_DIR

Runs heldout.py (with `--verdicts OUT_DIR/heldout.npz`, for the paired interval), fresh.py,
policy_examples.py, context.py and robustness.py, each with `--json OUT_DIR/NAME.json` and the
model given (the shipped one without `--model`), one after another: each loads the model once,
and two at a time would only share the cores. A benchmark whose outputs are already in OUT_DIR is
skipped unless `--force`, so an interrupted run goes on where it stopped; OUT_DIR/measure.json
names the model and gate measured there, and a folder holding another's figures is refused.
Measure the baseline and the candidate with the same code and on the same records. Each
benchmark's own output goes to OUT_DIR/NAME.log: figures only, as the benchmarks print no
texts. About eight minutes a model on two cores (held-out, context and robustness take most).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("heldout", "fresh", "policy_examples", "context", "robustness")


def outputs(name: str, out: Path) -> list[Path]:
    """What a benchmark leaves in `out` for release.py."""
    return [out / f"{name}.json"] + ([out / "heldout.npz"] if name == "heldout" else [])


def command(name: str, out: Path, model: str | None = None, gate: float | None = None) -> list[str]:
    argv = [sys.executable, str(HERE / f"{name}.py"), "--json", str(out / f"{name}.json")]
    if model is not None:
        argv += ["--model", model]
    if gate is not None:
        argv += ["--gate", str(gate)]
    if name == "heldout":
        argv += ["--verdicts", str(out / "heldout.npz")]
    return argv


def pending(out: Path, force: bool = False) -> list[str]:
    """The benchmarks still to run: all with `force`, else those with an output missing."""
    return [n for n in BENCHMARKS if force or not all(p.exists() for p in outputs(n, out))]


def check_folder(out: Path, run: dict, force: bool = False) -> None:
    """Refuse to add one model's figures to a folder holding another's (or another gate's)."""
    marker = out / "measure.json"
    if marker.exists() and not force:
        before = json.loads(marker.read_text())
        if before != run:
            raise SystemExit(f"{out} holds figures for {before}, not {run}: use another folder, or --force to replace them")
    marker.write_text(json.dumps(run, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="the folder the figures go to (created if missing)")
    ap.add_argument("--model", help="a model directory (with encoder/); the shipped model without it")
    ap.add_argument("--gate", type=float, help="the encoder gate instead of the model's (each benchmark's --gate)")
    ap.add_argument("--force", action="store_true", help="run every benchmark, even those whose figures are there")
    args = ap.parse_args()
    if args.model is not None and not Path(args.model, "model.json").is_file():
        ap.error(f"--model {args.model}: no model.json there")
    from policywarden import Warden

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    version = Warden(model_dir=args.model, encoder_cache=0).model_version
    check_folder(out, {"model": version, "model_dir": str(Path(args.model).resolve()) if args.model else None,
                       "gate": args.gate}, args.force)
    todo = pending(out, args.force)
    for name in BENCHMARKS:
        if name not in todo:
            print(f"{name:16} already in {out}, skipped")
            continue
        started = time.monotonic()
        with open(out / f"{name}.log", "w") as log:
            done = subprocess.run(command(name, out, args.model, args.gate), stdout=log, stderr=subprocess.STDOUT)
        if done.returncode:
            raise SystemExit(f"{name} failed (exit {done.returncode}); see {out / (name + '.log')}")
        print(f"{name:16} {time.monotonic() - started:6.0f} s", flush=True)
    print(f"figures in {out}: python benchmarks/release.py BASE_DIR {out}")


if __name__ == "__main__":
    main()
