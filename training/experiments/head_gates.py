"""Per-head gates for the cascade's first stage against the shipped single gate: how many texts
the encoder reads, and what the cascade catches, on calibration rows (where the gates are
fitted) and held-out rows (measured only), plus the speed benchmark's messages.

The shipped cascade sends a text to the encoder when any n-gram head reaches `gate` (0.5) times
its n-gram threshold. Here each head's gate is raised on its own (fit_gates, greedy) as far as
calibrate_cascade's loss budget allows: the share of calibration positives the cascade catches
that are cleared unread. Gates stay at or below 1: a text the n-gram model flags is always read.

    .venv-train/bin/python training/experiments/head_gates.py [--model DIR]   # after build_dataset.py

The encoder's logits for the calibration and held-out rows are cached in
training/out/experiments/ (keyed by the encoder's digest and the texts).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_encoder import label_matrix  # noqa: E402
from calibrate_cascade import MAX_RECALL_LOSS, with_assumed_negatives  # noqa: E402
from shipped_cascade import cached_logits, shipped, splits  # noqa: E402
from speed import benign_written, messages  # noqa: E402

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402


GRID = tuple(round(0.5 + 0.05 * k, 2) for k in range(11))  # 0.5 .. 1.0


def escalated(ratios: np.ndarray, gates: np.ndarray) -> np.ndarray:
    """Rows some head sends on: ratios[i, h] (n-gram score / n-gram threshold) >= gates[h]."""
    return (ratios >= gates).any(axis=1) if len(ratios) else np.zeros(0, bool)


def fit_gates(ratios: np.ndarray, caught: np.ndarray, cost: np.ndarray, start: float, budget: int,
              grid: tuple[float, ...] = GRID) -> np.ndarray:
    """Greedy: from `start` for every head, raise one head's gate a grid step at a time, the step
    that spares the most `cost` rows (benign rows, say) per `caught` row it newly clears, while the
    caught rows cleared stay within `budget`. Steps that clear nothing caught go first.

    ratios: (n, heads); caught: (n,) rows the cascade catches when it reads them; cost: (n,) rows
    whose reading is the expense to cut. Returns the gates, one per head."""
    n, heads = ratios.shape
    gates = np.full(heads, float(start))
    over = ratios >= gates
    count = over.sum(axis=1)  # heads sending each row on
    lost = int((caught & (count == 0)).sum())
    steps = [g for g in grid if g > start]
    while True:
        best = None
        for h in range(heads):
            nxt = next((g for g in steps if g > gates[h]), None)
            if nxt is None:
                continue
            leaving = over[:, h] & (ratios[:, h] < nxt)  # rows this head stops sending
            dropped = leaving & (count == 1)  # ... that no other head sends either
            spared = int((dropped & cost).sum())
            if spared == 0:
                continue
            newly = int((dropped & caught).sum())
            if lost + newly > budget:
                continue
            key = (spared / (newly + 0.5), spared)
            if best is None or key > best[0]:
                best = (key, h, nxt, leaving)
        if best is None:
            return gates
        _, h, nxt, leaving = best
        gates[h] = nxt
        over[:, h] &= ~leaving
        count -= leaving
        lost = int((caught & (count == 0)).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--model", default=str(default_model_dir()))
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    work = Path(args.work)
    c = shipped(args.model)
    warden, casc, linear, enc, heads, cols, th = c.warden, c.casc, c.linear, c.enc, c.heads, c.cols, c.th

    _, cal, held = splits(work, linear)
    sets = {}
    for name, recs in (("cal", cal), ("heldout", held)):
        norm = [normalize(r.text) for r in recs]
        logits = cached_logits(c, work, name, norm)
        y = with_assumed_negatives(label_matrix(recs, heads), recs, heads)
        lin_full = linear.score(norm)
        blended = casc.weight * enc.calibrated(logits) + (1 - casc.weight) * lin_full[:, cols]
        sets[name] = (y, lin_full, blended, recs)
        print(f"{name}: {len(recs)} rows", flush=True)

    lin_th = casc._lin_th

    def caught_rows(y, blended):
        return ((blended >= th) & (y == 1)).any(axis=1)

    y_c, lin_c, bl_c, _ = sets["cal"]
    caught_c = caught_rows(y_c, bl_c)
    benign_c = ~(y_c == 1).any(axis=1)
    budget = int(MAX_RECALL_LOSS * caught_c.sum())
    ratios_c = lin_c / lin_th
    gates = fit_gates(ratios_c, caught_c, benign_c, casc.gate, budget)
    single = np.full(len(lin_th), casc.gate)
    raised = {linear.heads[h]: float(g) for h, g in enumerate(gates) if g != casc.gate}
    print(f"budget {budget} of {int(caught_c.sum())} caught calibration rows; raised {len(raised)} of {len(gates)} gates:")
    print("  " + ", ".join(f"{h} {g}" for h, g in sorted(raised.items(), key=lambda t: -t[1])))

    out = {"gate": casc.gate, "budget": budget, "gates": raised, "sets": {}}
    speed_units = {
        "speed_messages": [u for m in messages(4000, 1) for u in warden.units(m)],
        "benign_written": [u for m in benign_written() for u in warden.units(m)],
    }
    # One gate for every head, higher than the fitted one: what an operator who raises it trades.
    sweep = [("single", single), ("per_head", gates)] + [(f"single {g}", np.full(len(lin_th), g)) for g in GRID[2::2]]
    for name in ("cal", "heldout"):
        y, lin_full, blended, recs = sets[name]
        ratios = lin_full / lin_th
        caught = caught_rows(y, blended)
        benign = ~(y == 1).any(axis=1)
        y_any = label_matrix(recs, ["any"])[:, 0]
        policy = [j for j, h in enumerate(heads) if not h.startswith("openai:") and h != "any"]
        row = {}
        for label, g in sweep:
            esc = escalated(ratios, g)
            served = np.where(esc[:, None], blended, np.minimum(lin_full[:, cols], th * 0.999))
            known = y_any >= 0
            flagged = (served[:, policy] >= th[policy]).any(axis=1)
            row[label] = {
                "escalated": round(float(esc.mean()), 4),
                "escalated_benign": round(float(esc[benign].mean()), 4),
                "caught_cleared": int((caught & ~esc).sum()),
                "caught": int(caught.sum()),
                "verdict": binary_metrics((y_any[known] == 1).astype(int), flagged[known].astype(float), 0.5),
            }
            v = row[label]["verdict"]
            print(f"{name:8} {label:10} escalated {row[label]['escalated']:.3f} (benign {row[label]['escalated_benign']:.3f}), "
                  f"caught rows cleared {row[label]['caught_cleared']}/{row[label]['caught']}, "
                  f"whole-text verdict F1 {v['f1']:.4f} recall {v['recall']:.4f} FPR {v['fpr']:.4f}")
        out["sets"][name] = row
    for name, units in speed_units.items():
        ratios = linear.score(units) / lin_th
        out["sets"][name] = {label: round(float(escalated(ratios, g).mean()), 4) for label, g in sweep}
        print(f"{name}: escalated units {out['sets'][name]}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
