"""Refit the shipped model's policy-category thresholds on calibration prompts scored as served.

    python training/calibrate_served.py [--model DIR]   # after calibrate_cascade.py; ~7 min

calibrate_cascade.py fits each head's threshold on whole texts, but the Warden serves the
maximum over a text's windows and sentences: a long benign text has many chances to cross a
line fitted on whole texts. This step scores the calibration prompts (the training rows
neither model was fitted on) exactly as served and refits each policy category's threshold
for F1 with `policywarden.tune` (the same code as `policywarden tune`; a category needs 10
calibration positives, and keeps its threshold where that is within two positives' worth of
F1 of the best, `metrics.near_best_threshold`: on 12 positives a refit for +0.04 was noise,
and cost sexual violence most of its held-out recall). `any` and, by default, the OpenAI
categories keep calibrate_cascade's thresholds. `--heads openai` (or `all`) refits the OpenAI
categories' heads the same way from the same scores, each on the prompts whose label for it is
known. Measured on the shipped pair (2026-12-05) it is not the default: harassment 0.55 -> 0.66
and hate 0.425 -> 0.55 moved, the held-out F1 of those heads rose (0.886 -> 0.892, 0.816 ->
0.819) and the fresh everyday requests `/v1/moderations` flags fell from 8 of 200 to 7, but its
`flagged` against OpenAI's taxonomy fell from F1 0.905 to 0.899 (recall 0.949 -> 0.922; paired
interval [-0.009, -0.002]): per-head F1 is not the objective of a flag raised by any of them.
Writes the encoder's model.json ("cascade" → "thresholds", with the old and new values under
"served_refit") and, when policy thresholds were refitted, voids the unattributed choice: run
calibrate_unattributed.py next. The held-out split is not read.

`--threshold-suite` adds training/thresholds/ (written violations and look-alikes of the categories
with under 30 calibration positives, read by no trainer) to the calibration prompts, so that those
categories reach MIN_POSITIVES and are refitted on more than the 0-9 positives the calibration
share leaves them. A category with MIN_POSITIVES of its own keeps them alone (top_up). What was
read is recorded under "served_refit" → "threshold_suite". `--suite-objective errors` fits the
categories topped up for the fewest false flags plus misses instead of F1; `--hold-reporting`
keeps the lines of those whose hits are reported (grooming) from rising (reporting_caps), and
`--hold CATEGORY ...` those named (held_caps); `--suite-cap MODEL_DIR` keeps every category it tops
up at or below that model's line (suite_caps), and `--suite-anchor` makes that line the one each
keeps unless the suite finds one more than `--tolerance` errors better (suite_anchors). With
`--recall-floor`, the categories the suite tops up have no floor (suite_over_floors).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_prompts, encoder_meta_of, model_parser, suite_summary  # noqa: E402
from calibrate_cascade import check_bounds, reference_bounds  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.classify.cascade import CascadeScorer  # noqa: E402
from policywarden.policy import OPENAI_CATEGORIES  # noqa: E402
from policywarden.training.metrics import TOLERANCE, binary_metrics  # noqa: E402
from policywarden.tune import Objective, choose_threshold, examples_from, tune  # noqa: E402

MIN_POSITIVES = 10


def refit_openai(records, scores: list[dict[str, float]], current: dict[str, float], tolerance: float) -> dict[str, dict]:
    """Each OpenAI head with MIN_POSITIVES known positives and negatives: its threshold for F1 on
    the served scores, kept where within `tolerance` positives' worth of the best (as the policy's)."""
    out = {}
    for name in OPENAI_CATEGORIES:
        head = f"openai:{name}"
        if head not in current:
            continue
        labels = [r.label(head) for r in records]
        known = np.array([v is not None for v in labels])
        y = np.array([v == 1 for v in labels])[known]
        s = np.array([sc.get(head, 0.0) for sc in scores])[known]
        entry = {"threshold": current[head], "positives": int(y.sum()), "negatives": int((~y).sum())}
        if entry["positives"] >= MIN_POSITIVES and entry["negatives"] >= MIN_POSITIVES:
            t = choose_threshold(y, s, current=current[head], tolerance=tolerance)
            entry["fit"] = {"before": binary_metrics(y, s, current[head]), "after": binary_metrics(y, s, t)}
            if t != current[head]:
                entry["tuned"] = t
        out[head] = entry
    return out


def top_up(cal, ids: list[str], under: int = MIN_POSITIVES) -> tuple[list, list[str], list[str]]:
    """The calibration prompts with the threshold suite speaking only for the categories with
    fewer than `under` (MIN_POSITIVES) calibration positives of their own: a category a refit can
    fit on its own prompts keeps them alone. A larger `under` adds the suite to a category's own
    positives (candidate V left `minors.age_restricted`, 10 of its own, to a floor). Candidate T:
    sexual violence's 12 public positives were outweighed by its suite file, whose written
    violations score higher; T2, with that file left out, still moved it 0.43 -> 0.72 on the other
    files' look-alikes, which counted as its negatives. So the suite files of the other categories
    are left out, and a look-alike is a negative for the categories topped up and unknown for the
    rest (a violation stays unknown beyond its own category, as in training/written). Returns the
    prompts, the categories topped up and those whose suite file was left out."""
    kept = [r for r in cal if r.split != "thresholds"]
    suite = [(r, r.source.split(":", 1)[1]) for r in cal if r.split == "thresholds"]  # (row, its file's category)
    own = {cid: sum(r.label(cid) == 1 for r in kept) for cid in ids}
    files = sorted({cat for _, cat in suite})
    left_out = [c for c in files if own.get(c, 0) >= under]
    topped = [c for c in files if c not in left_out]
    for r, cat in suite:
        if cat in topped:
            labels = r.labels if any(v == 1 for v in r.labels.values()) else {**dict.fromkeys(topped, 0), "any": 0}
            kept.append(dataclasses.replace(r, labels=labels, default=None))
    return kept, topped, left_out


def reporting_caps(warden, topped: list[str]) -> dict[str, float]:
    """For each category topped up by the suite whose hits are reported (grooming: NCMEC), its
    threshold in force, as a cap: the suite may lower such a line, never raise it. Candidate T4
    raised grooming 0.575 -> 0.80 on 26 written prompts, and a padded grooming request was then
    blocked as sexual violence but no longer escalated and reported; the release rule, counting
    verdicts, could not see it. T5 held grooming's recall on the calibration prompts instead (a
    floor), which let its line rise to 0.59 past a grooming answer among the policy's examples
    (0.582): the calibration prompts are user prompts, and a line fitted on them sees no answers."""
    return {r.id: r.threshold for r in warden.decider.rows if r.id in topped and r.reporting}


def held_caps(warden, topped: list[str], held: list[str]) -> dict[str, float]:
    """For each category named in `--hold` that the suite tops up, its threshold in force, as a
    cap, as reporting_caps does for grooming. Candidates V, W and X (session 42) each raised
    `minors.age_inappropriate` 0.55 -> 0.63 on the suite and lost held-out recall by item 0.80 ->
    0.50: its written violations there score higher than its held-out positives (0.56 to 0.62)."""
    return {r.id: r.threshold for r in warden.decider.rows if r.id in topped and r.id in held}


def suite_caps(reference_lines: dict[str, float], topped: list[str]) -> dict[str, float]:
    """For each category the suite tops up, a reference model's line (the shipped pair's), as a cap:
    the suite may lower a thin category's line, never raise it past the reference's. The suite's
    written violations score higher than the public positives held out (candidates V to X raised
    `minors.age_inappropriate` 0.55 -> 0.63 and lost held-out recall by item 0.80 -> 0.50; AA raised
    `protect.weapons` 0.575 -> 0.67, 0.77 -> 0.31); and `--hold` caps at the line in force, which a
    floor in calibrate_cascade.py may already have lowered (AA: age-inappropriate 0.55 -> 0.40 held
    there, fresh look-alikes flagged under it 2 -> 17). Categories the reference lacks are not capped."""
    return {c: reference_lines[c] for c in topped if c in reference_lines}


def merge_caps(*caps: dict[str, float]) -> dict[str, float]:
    """Several caps on the same lines: each category at the lowest of those that name it."""
    merged: dict[str, float] = {}
    for d in caps:
        for c, t in d.items():
            merged[c] = min(t, merged.get(c, t))
    return merged


def line_caps(warden, topped: list[str], *, hold_reporting: bool, hold: list[str], reference) -> tuple[dict[str, float], dict]:
    """The caps on the lines of the categories the suite tops up (none without it: `topped` empty)
    from `--hold-reporting`, `--hold` and `--suite-cap` (`reference`, a Warden, or None), merged,
    and their metadata for "served_refit" (None for each one not in force)."""
    reporting = reporting_caps(warden, topped) if hold_reporting else {}
    held = held_caps(warden, topped, hold)
    capped = suite_caps({r.id: r.threshold for r in reference.decider.rows}, topped) if reference is not None else {}
    meta = {"reporting_caps": reporting or None, "held_caps": held or None,
            "suite_caps": {"model": reference.model_version, "caps": capped} if capped else None}
    return merge_caps(reporting, held, capped), meta


def suite_anchors(caps_meta: dict, anchored: bool) -> dict[str, float]:
    """With `--suite-anchor`, the reference model's lines of the categories the suite tops up
    (`--suite-cap`'s caps), as the lines a refit keeps where they are near best (`tune`'s
    `anchor`): a topped-up line then falls below the reference's only for more than `--tolerance`
    errors' gain on the calibration prompts and the suite, and never rises past it. AA-cap (session
    44) showed the cap alone lets the suite lower lines for a gain of noise: body shaming 0.80 ->
    0.72, remote biometric ID 0.85 -> 0.71, law enforcement 0.54 -> 0.52, the policy's look-alikes
    flagged 11 -> 16. Without the anchor a refit keeps the line in force where near best, which a
    floor in calibrate_cascade.py may already have moved."""
    capped = caps_meta.get("suite_caps")
    return dict(capped["caps"]) if anchored and capped else {}


def suite_over_floors(floors: dict[str, float], meta: dict, topped: list[str]) -> tuple[dict[str, float], dict]:
    """The recall floors less those of the categories the suite tops up, and the bounds' metadata
    to match: a floor is the share of a category's own calibration positives a reference model
    catches, 1 to 9 of them there, and the suite's written violations are what speak for such a
    category (candidates I to L: floors on so few positives moved thresholds a long way to keep
    one of them). The categories left to the suite are recorded under "recall_floor"."""
    kept = {c: f for c, f in floors.items() if c not in topped}
    if meta.get("recall_floor"):
        recorded = meta["recall_floor"]
        meta = {**meta, "recall_floor": {**recorded, "floors": {c: f for c, f in recorded["floors"].items() if c in kept},
                                         "left_to_suite": sorted(set(floors) - set(kept))}}
    return kept, meta


def served_rates(model_dir: str, records, ids: list[str]) -> tuple[dict[str, tuple[float, float, int]], str]:
    """Per policy category, what the model in `model_dir` does with the calibration prompts
    scored as served, held to its own thresholds: (share of the positives flagged under it,
    share of the negatives flagged under it or None where there are none, positives), for
    categories it has and that have positives; and that model's version. Negatives are the
    prompts labelled 0 for the category: a written example of another category is unknown here,
    as `tune` counts it, not a negative as in calibrate_cascade.py. Unrounded: 11/12 rounded up
    would ask for all 12. The positives counted (for --floor-under and --ceiling-from) are the
    category's own, not the threshold suite's: candidate W's rule said "30 positives of its own",
    and counted with the suite's rows sexual violence (12 + 19) took a ceiling meant for thick
    categories."""
    reference = Warden(model_dir=model_dir, encoder_cache=0)
    thresholds = {r.id: r.threshold for r in reference.decider.rows}
    scores = reference.scores([r.text for r in records])[0]
    rates = {}
    for cid in (c for c in ids if c in thresholds):
        hit = [scores[i].get(cid, 0.0) >= thresholds[cid] for i in range(len(records))]
        caught = [h for h, r in zip(hit, records) if r.label(cid) == 1]
        flagged = [h for h, r in zip(hit, records) if r.label(cid) == 0]
        own = sum(r.label(cid) == 1 and r.split != "thresholds" for r in records)
        if caught:
            rates[cid] = (float(np.mean(caught)), float(np.mean(flagged)) if flagged else None, own)
    return rates, reference.model_version


def main() -> None:
    ap = model_parser(__doc__)
    ap.add_argument("--tolerance", type=float, default=TOLERANCE, help="see calibrate_cascade.py --tolerance")
    ap.add_argument("--errors", type=int, nargs="?", const=0, metavar="MIN_POSITIVES", help="see calibrate_cascade.py --errors")
    ap.add_argument("--recall-floor", metavar="MODEL_DIR",
                    help="see calibrate_cascade.py --recall-floor: no policy category catches fewer of its calibration "
                         "prompts, scored as served, than that model (scored likewise) catches at its own thresholds")
    ap.add_argument("--floor-under", type=int, metavar="POSITIVES",
                    help="see calibrate_cascade.py --floor-under (positives among the calibration prompts)")
    ap.add_argument("--floor-slack", type=int, default=0, metavar="POSITIVES",
                    help="see calibrate_cascade.py --floor-slack (positives among the calibration prompts)")
    ap.add_argument("--slack-from", type=int, metavar="POSITIVES",
                    help="see calibrate_cascade.py --slack-from (positives among the calibration prompts)")
    ap.add_argument("--fpr-ceiling", metavar="MODEL_DIR",
                    help="see calibrate_cascade.py --fpr-ceiling: no policy category flags more of its calibration "
                         "negatives, scored as served, than that model (scored likewise) flags at its own thresholds "
                         "(negatives here: prompts labelled 0 for it; written examples of other categories are unknown, "
                         "not negatives as there)")
    ap.add_argument("--ceiling-from", type=int, metavar="POSITIVES",
                    help="see calibrate_cascade.py --ceiling-from (positives among the calibration prompts)")
    ap.add_argument("--match-under", type=int, metavar="POSITIVES",
                    help="see calibrate_cascade.py --match-under (positives among the calibration prompts; categories "
                         "under 10 keep calibrate_cascade's threshold here)")
    ap.add_argument("--threshold-suite", nargs="?", const=str(ROOT / "training" / "thresholds"), metavar="DIR",
                    help="add the threshold suite's prompts (default training/thresholds; see its README) to the "
                         "calibration prompts: written violations and look-alikes of the categories with few "
                         "calibration positives, which no model is trained on")
    ap.add_argument("--suite-under", type=int, default=MIN_POSITIVES, metavar="POSITIVES",
                    help="with --threshold-suite: top up the categories with fewer calibration positives of their own "
                         f"than this (default {MIN_POSITIVES}); the suite's prompts join their own")
    ap.add_argument("--suite-objective", choices=("f1", "errors"), default="f1",
                    help="with --threshold-suite: fit the categories it tops up for F1 (default) or for the fewest "
                         "false flags plus misses, a false flag counting as a miss as the release rule counts them "
                         "(candidate T4)")
    ap.add_argument("--hold-reporting", action="store_true",
                    help="with --threshold-suite: the categories it tops up whose hits are reported (grooming) may be "
                         "fitted at or below their threshold in force, never above (candidate T6)")
    ap.add_argument("--hold", nargs="+", default=[], metavar="CATEGORY",
                    help="with --threshold-suite: these categories, where the suite tops them up, may be fitted at or "
                         "below their threshold in force, never above (as --hold-reporting for grooming)")
    ap.add_argument("--suite-cap", metavar="MODEL_DIR",
                    help="with --threshold-suite: every category it tops up may be fitted at or below that model's "
                         "line (the shipped one, say), never above (candidate AA: the suite raised weapons 0.575 -> "
                         "0.67 and lost held-out items); with --hold, a held category takes the lower of the two caps")
    ap.add_argument("--suite-anchor", action="store_true",
                    help="with --suite-cap: each capped category keeps that model's line unless the suite finds one "
                         "more than --tolerance errors better (never higher: the cap holds)")
    ap.add_argument("--version", help="name the encoder anew (its weights unchanged, its served thresholds not): a "
                                      "refit that ships changes verdicts, and the version is what results are filed under")
    ap.add_argument("--heads", choices=("policy", "openai", "all"), default="policy",
                    help="which thresholds to refit: the policy categories' (default), the OpenAI categories' (for F1; "
                         "--errors applies to policy categories only), or both. A later run with the default leaves "
                         "an OpenAI refit in place: rebuild the encoder's model.json to undo it")
    args = ap.parse_args()
    check_bounds(ap, args)
    if args.hold and not args.threshold_suite:
        ap.error("--hold needs --threshold-suite")
    if args.suite_cap and not args.threshold_suite:
        ap.error("--suite-cap needs --threshold-suite")
    if args.suite_anchor and not args.suite_cap:
        ap.error("--suite-anchor needs --suite-cap")
    warden = Warden(model_dir=args.model, encoder_cache=0)
    if not isinstance(warden.scorer, CascadeScorer):
        raise SystemExit(f"{args.model} has no encoder: nothing to refit")
    # Text the first stage clears scores 0 here, not just under the old threshold: at run time
    # it is capped just under whatever threshold is in force, so it never flags at any of them.
    warden.scorer._cleared_cap[:] = 0.0
    ids = [c.id for c in warden.policy.categories if c.id in warden.scorer.encoder.heads]
    if unknown := sorted(set(args.hold) - set(ids)):
        ap.error(f"--hold: not a policy category with a head here: {', '.join(unknown)}")
    suite = Path(args.threshold_suite) if args.threshold_suite else None
    cal, _ = calibration_prompts(Path(args.work), warden.model.meta, encoder_meta_of(warden), suite)
    topped: list[str] = []  # without the suite no category is topped up, so none is capped
    if suite is not None:
        cal, topped, left_out = top_up(cal, ids, args.suite_under)
        print(f"threshold suite: {len(topped)} categories topped up; left out (own positives enough): {left_out or 'none'}")
    print(f"scoring {len(cal)} calibration prompts as served", flush=True)
    served = warden.scores([r.text for r in cal])
    path = Path(args.model) / "encoder" / "model.json"
    meta = json.loads(path.read_text())
    cascade = meta["cascade"]
    refit = cascade.setdefault("served_refit", {})
    old = dict(refit.get("whole_text", {}))  # calibrate_cascade's thresholds for the heads refitted
    moved: dict[str, float] = {}

    if args.heads in ("all", "policy"):
        floors, ceilings, matched, bounds_meta = reference_bounds(args, lambda d: served_rates(d, cal, ids))
        if suite is not None and floors:
            floors, bounds_meta = suite_over_floors(floors, bounds_meta, topped)
        reference = Warden(model_dir=args.suite_cap, encoder_cache=0) if args.suite_cap else None
        caps, caps_meta = line_caps(warden, topped, hold_reporting=args.hold_reporting, hold=args.hold, reference=reference)
        bounds_meta.update(caps_meta)  # None where absent: a later run without them leaves none recorded
        anchor = suite_anchors(caps_meta, args.suite_anchor)
        bounds_meta["suite_anchor"] = {"tolerance": args.tolerance, "lines": anchor} if anchor else None
        if caps_meta["reporting_caps"]:
            print(f"reporting categories whose lines the suite may not raise: {caps_meta['reporting_caps']}")
        if held := caps_meta["held_caps"]:
            print(f"held categories whose lines the suite may not raise: {held}")
        if idle := sorted(set(args.hold) - set(held or ())):
            print(f"--hold: not topped up by the suite, so not held: {', '.join(idle)}")
        if capped := caps_meta["suite_caps"]:
            print(f"topped-up categories whose lines may not rise past {capped['model']}'s: {len(capped['caps'])}"
                  + (f", kept there unless more than {args.tolerance:g} errors better" if anchor else ""))
        errors_in = frozenset(topped) if suite is not None and args.suite_objective == "errors" else frozenset()
        objective = Objective(errors_from=args.errors, errors_in=errors_in)
        result = tune(warden, examples_from(cal, ids), objective, "input", MIN_POSITIVES,
                      served=served, tolerance=args.tolerance, min_recall=floors, fpr_ceiling=ceilings, fpr_match=matched,
                      max_threshold=caps, anchor=anchor)
        before, after = result["overall"]["fit"]["before"], result["overall"]["fit"]["after"]
        for cid, e in result["categories"].items():
            if "tuned" in e:
                b, a = e["fit"]["before"], e["fit"]["after"]
                print(f"  {cid:45} {e['threshold']:.3f} -> {e['tuned']:.3f}  F1 {b['f1']:.3f} -> {a['f1']:.3f}  ({e['positives']} positives)")
        print(f"verdict on the calibration prompts: F1 {before['f1']:.3f} -> {after['f1']:.3f}, recall {before['recall']:.3f} -> "
              f"{after['recall']:.3f}, FPR {before['fpr']:.3f} -> {after['fpr']:.3f}")
        moved.update(result["thresholds"])
        refit.update({
            "objective": objective.describe(),
            "verdict_before": before,
            "verdict_after": after,
            **bounds_meta,
        })
        cascade["unattributed"] = None  # chosen against the old thresholds: calibrate_unattributed.py again

    if args.heads in ("all", "openai"):
        heads = refit_openai(cal, served[0], warden.scorer.thresholds(), args.tolerance)
        for head, e in heads.items():
            if "fit" not in e:
                print(f"  {head:45} {e['threshold']:.3f} kept ({e['positives']} positives)")
                continue
            b, a = e["fit"]["before"], e["fit"]["after"]
            print(f"  {head:45} {e['threshold']:.3f} -> {e.get('tuned', e['threshold']):.3f}  F1 {b['f1']:.3f} -> {a['f1']:.3f}  "
                  f"({e['positives']} positives)")
            if "tuned" in e:
                moved[head] = e["tuned"]
        refit["openai"] = {"calibration_prompts": len(cal), "tolerance": args.tolerance, "heads": {
            h: {k: e[k] for k in ("positives", "negatives")} | (
                {"f1_before": e["fit"]["before"]["f1"], "f1_after": e["fit"]["after"]["f1"]} if "fit" in e else {})
            for h, e in heads.items()}}

    for head, t in moved.items():
        old.setdefault(head, cascade["thresholds"][head])
        cascade["thresholds"][head] = t
    refit["whole_text"] = old
    if args.heads != "openai":  # these describe the policy refit (the OpenAI one keeps its own under "openai")
        refit.update({"calibration_prompts": len(cal), "min_positives": MIN_POSITIVES, "tolerance": args.tolerance})
        refit.pop("threshold_suite", None)
        if suite is not None:
            refit["threshold_suite"] = {**suite_summary([r for r in cal if r.split == "thresholds"]),
                                        "topped_up": topped, "left_out": left_out}
    if args.version and args.version != meta["version"]:
        # The version whose weights these are: a refit of a refit still names the first.
        refit["refit_of"] = refit.get("refit_of") or meta["version"]
        meta["version"] = args.version
    elif refit.get("refit_of") and not args.version and moved:
        print(f"warning: {meta['version']} is a refit of {refit['refit_of']} and its thresholds moved again under the same "
              "name; give --version to file the new verdicts under a new one", file=sys.stderr)
    path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}: {len(moved)} thresholds refitted" + ("; run training/calibrate_unattributed.py next" if args.heads != "openai" else ""))


if __name__ == "__main__":
    main()
