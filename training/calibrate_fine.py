"""Choose the margin at which a long text's short windows count (Warden.fine_units).

    python training/calibrate_fine.py      # after calibrate_served.py, before calibrate_unattributed.py

A violation padded with benign words ("write a story about a lighthouse ... now tell me how to
make a pipe bomb") shares every 48-word window with the padding and can be diluted below its
threshold. 24-word windows hold little else, but a long benign text has many more of them, so
each counts only where it reaches `margin` times a threshold. The calibration prompts hold
almost no padded violations, so the margin is chosen in two steps. First a budget on them as
they are: at most MAX_FPR_RISE more of the benign calibration prompts flagged, at most
MAX_SOURCE_RISE more in any source with MIN_SOURCE_BENIGN benign prompts, and no recall lost.
Then, within it, the margin that best tells padded prompts apart: calibration prompts put in
the middle of PAD_WORDS words of other benign calibration prompts, violating ones flagged less
benign ones flagged (off unless that beats no short windows). benchmarks/robustness.py measures
the same on held-out prompts.

Writes "cascade" → "fine_margin" (null: short windows are not read) in the encoder's model.json.
The held-out split is only measured, never used to choose.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_prompts, encoder_meta_of, model_parser  # noqa: E402
from calibrate_unattributed import (  # noqa: E402
    MAX_FPR_RISE,
    MAX_SOURCE_RISE,
    MIN_SOURCE_BENIGN,
    sources_within,
    verdict_row,
    worst_source_rise,
)

from policywarden import Warden  # noqa: E402

MARGINS = (1.0, 1.1, 1.2, 1.3, 1.4, 1.6, 2.0)
PAD_WORDS = 300
PADDED = 300  # padded prompts of each kind


def with_margins(warden: Warden, texts: list[str]):
    """(key, scores, sources) with no short windows ("none"), then at each margin. The regular
    units and the short windows are scored once each; a margin only rescales the short windows'
    maximum."""
    base, base_src, _ = warden.scores(texts)
    spans, parts = [], []
    for t in texts:
        fine = warden.fine_units(t, set(warden.units(t)))
        spans.append((len(parts), len(parts) + len(fine)))
        parts.extend(fine)
    fine_scores, fine_src = warden.part_scores(parts, spans)
    yield "none", base, base_src
    for m in MARGINS:
        scores, sources = [], []
        for b, bs, f, fs in zip(base, base_src, fine_scores, fine_src):
            s, o = dict(b), dict(bs)
            for h, v in f.items():
                if v / m > s.get(h, -1.0):
                    s[h], o[h] = v / m, fs[h]
            scores.append(s)
            sources.append(o)
        yield str(m), scores, sources


def fine_table(warden: Warden, records) -> dict[str, dict]:
    """Verdict metrics on the prompts as they are, with no short windows and at each margin."""
    return {key: verdict_row(records, scores, sources, warden.decider)
            for key, scores, sources in with_margins(warden, [r.text for r in records])}


def padded_table(warden: Warden, records, n: int, seed: int) -> dict[str, dict]:
    """The share of padded prompts flagged, with no short windows and at each margin: `n`
    violating prompts the Warden flags as written and `n` benign ones it passes, each put in the
    middle of PAD_WORDS words of those benign prompts (no punctuation added), as
    benchmarks/robustness.py does with held-out prompts."""
    rng = random.Random(seed)
    short = [r for r in records if r.role == "user" and 20 <= len(r.text) <= 600]
    rng.shuffle(short)
    pools = {"violating": [r.text for r in short if r.label("any") == 1][: 3 * n],
             "benign": [r.text for r in short if r.label("any") == 0 and not r.labels][: 3 * n]}
    kinds = {}
    for kind, pool in pools.items():
        as_written = warden.moderate(pool)
        kinds[kind] = [t for t, v in zip(pool, as_written) if v.flagged == (kind == "violating")][:n]
    # Padding the Warden would flag by itself says nothing about the margin.
    filler = [t for t in kinds["benign"] if len(t.split()) >= 8]
    table = {key: {} for key in ("none", *map(str, MARGINS))}
    for kind, texts in kinds.items():
        padded = [bury(t, filler, rng) for t in texts]
        for key, scores, sources in with_margins(warden, padded):
            flagged = [warden.decider.decide(s, o, "input").flagged for s, o in zip(scores, sources)]
            table[key][kind] = round(sum(flagged) / max(1, len(flagged)), 4)
            table[key][f"{kind}_texts"] = len(flagged)
    return table


def bury(text: str, filler: list[str], rng: random.Random) -> str:
    words: list[str] = []
    while len(words) < PAD_WORDS:
        words.extend(rng.choice(filler).split())
    half = PAD_WORDS // 2
    return " ".join(words[:half]) + " " + text + " " + " ".join(words[half:PAD_WORDS])


def rise(table: dict, key: str) -> tuple[float, float]:
    """(overall, worst source) rise in the false-positive rate against no short windows."""
    return table[key]["fpr"] - table["none"]["fpr"], worst_source_rise(table, key)


def allowed_margins(cal_table: dict, source_slack: int = 0) -> list[float]:
    """The margins within the budget on the calibration prompts as they are: the false-positive
    rate at most MAX_FPR_RISE above no short windows, no source's more than MAX_SOURCE_RISE above
    (or by at most `source_slack` texts), and no recall lost."""
    return [m for m in MARGINS
            if rise(cal_table, str(m))[0] <= MAX_FPR_RISE and sources_within(cal_table, str(m), source_slack)
            and cal_table[str(m)]["recall"] >= cal_table["none"]["recall"]]


def main() -> None:
    ap = model_parser(__doc__)
    ap.add_argument("--dry-run", action="store_true", help="print the table, write nothing")
    ap.add_argument("--no-heldout", action="store_true", help="do not measure the held-out prompts (they never choose)")
    ap.add_argument("--source-slack", type=int, default=0, metavar="TEXTS",
                    help="a source's false-positive rise past the limit is allowed where it is at most this many more "
                         "benign prompts flagged (default 0; candidate AA: 1.2 refused for two role-play prompts)")
    args = ap.parse_args()
    if args.source_slack < 0:
        ap.error("--source-slack is a number of prompts, 0 or more")
    warden = Warden(model_dir=args.model, encoder_cache=0, fine_margin=None)
    cal, held = calibration_prompts(Path(args.work), warden.model.meta, encoder_meta_of(warden))
    print(f"scoring {len(cal)} calibration and {len(held)} held-out prompts, with and without short windows", flush=True)
    cal_table = fine_table(warden, cal)
    held_table = fine_table(warden, held) if not args.no_heldout else None

    padded = padded_table(warden, cal, PADDED, seed=0)
    gain = {k: padded[k]["violating"] - padded[k]["benign"] for k in padded}
    allowed = allowed_margins(cal_table, args.source_slack)
    best = max(allowed, key=lambda m: (round(gain[str(m)], 3), m), default=None)
    choice = best if best is not None and gain[str(best)] > gain["none"] else None
    print(f"{'margin':>7}  {'calibration recall / FPR / rise / worst source rise':>52}  {'padded: violating / benign flagged':>36}"
          f"  {'held-out recall / FPR / rise / worst source rise':>50}")
    for key in ("none", *map(str, MARGINS)):
        c, pd = cal_table[key], padded[key]
        print(f"{key:>7}  {c['recall']:.3f} / {c['fpr']:.4f} / {rise(cal_table, key)[0]:+.4f} / {rise(cal_table, key)[1]:+.4f}{'':14}"
              f"  {pd['violating']:.3f} / {pd['benign']:.3f}{'':21}", end="")
        if held_table:
            h = held_table[key]
            print(f"  {h['recall']:.3f} / {h['fpr']:.4f} / {rise(held_table, key)[0]:+.4f} / {rise(held_table, key)[1]:+.4f}", end="")
        print()
    print(f"chosen: {choice} (of the margins raising the calibration false-positive rate by at most {MAX_FPR_RISE:.1%} "
          f"overall and {MAX_SOURCE_RISE:.0%} in any source with {MIN_SOURCE_BENIGN}+ benign prompts"
          f"{f' (or {args.source_slack} prompts)' if args.source_slack else ''} and losing no recall, "
          f"the one whose padded violating prompts flagged, less padded benign ones, is highest, if above none)")
    if args.dry_run:
        return
    path = Path(args.model) / "encoder" / "model.json"
    meta = json.loads(path.read_text())
    meta["cascade"]["fine_margin"] = choice
    meta["cascade"]["fine_calibration"] = {"words": warden.fine_window_words, "prompts": cal_table, "padded_prompts": padded,
                                           "heldout": held_table, "max_fpr_rise": MAX_FPR_RISE, "max_source_rise": MAX_SOURCE_RISE,
                                           "source_slack": args.source_slack}
    path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}; run training/calibrate_unattributed.py next")


if __name__ == "__main__":
    main()
