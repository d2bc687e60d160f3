"""Fit the two-stage classifier: the blend weight of encoder and n-gram scores, the blended
thresholds and the first stage's gate, on the calibration rows neither model was trained on.
Writes them into the encoder's model.json (section "cascade") and a report beside the scores.

    python training/calibrate_cascade.py            # after training/build_encoder.py
    python training/calibrate_cascade.py --encoder D/encoder --linear D --rescore \
        --keep src/policywarden/classify/model/encoder/model.json   # a new n-gram model beside the shipped encoder

The held-out split is only measured here, never used to choose anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import assumed_negatives, calibration_split, label_matrix, load_records, texts_digest  # noqa: E402

from policywarden.classify.embedded import LinearModel, default_model_dir  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import TOLERANCE, binary_metrics, near_best_threshold  # noqa: E402

WEIGHTS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
GATES = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MAX_RECALL_LOSS = 0.002  # share of calibration positives the gate may clear
UNATTRIBUTED = (1.0, 1.2, 1.4, 1.6, 2.0)  # multiples of the `any` threshold (see unattributed())


def unattributed(scores: np.ndarray, y_any: np.ndarray, heads: list[str], thresholds: dict[str, float]) -> dict:
    """Verdict F1 on whole texts if a text the violation head (`any`) finds violating were
    flagged under its best-fitting category (Decider's `unattributed`), per multiple of the `any`
    threshold (violating = `any` label). Only measured here: whole-text scores understate the
    false positives of the windows and sentences the Warden serves, so calibrate_unattributed.py
    makes the choice."""
    policy = [j for j, h in enumerate(heads) if not h.startswith("openai:") and h != "any"]
    ja = heads.index("any")
    known = y_any >= 0
    yy, s = y_any[known] == 1, scores[known]
    by_category = (s[:, policy] >= np.array([thresholds[heads[j]] for j in policy])).any(axis=1)

    table = {"none": binary_metrics(yy, by_category, 0.5)}
    for k in UNATTRIBUTED:
        table[str(k)] = binary_metrics(yy, by_category | (s[:, ja] >= thresholds["any"] * k), 0.5)
    return table


def with_assumed_negatives(y: np.ndarray, recs, heads: list[str]) -> np.ndarray:
    """Labels with build_encoder.assumed_negatives filled in as 0, for fitting thresholds and measuring."""
    y = y.copy()
    y[assumed_negatives(y, recs, heads)] = 0
    return y


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_rates(model_dir: Path, norm: list[str], y: np.ndarray, heads: list[str]) -> dict[int, tuple[float, float, int]]:
    """What another model's pair (the shipped one, say) does with each head's calibration rows,
    scored whole as here and held to its whole-text thresholds (before calibrate_served.py
    refitted any): (share of the positives caught, share of the negatives flagged or None where
    there are none, positives), by column of `heads`, for the heads it has and that have
    positives. Negatives are the rows labelled 0 here, written examples of other categories
    among them (`with_assumed_negatives`)."""
    from policywarden.classify.encoder import EncoderModel

    enc_dir = Path(model_dir) / "encoder"
    meta = json.loads((enc_dir / "model.json").read_text())
    cascade = meta["cascade"]
    whole = {**cascade["thresholds"], **cascade.get("served_refit", {}).get("whole_text", {})}
    linear = LinearModel(model_dir)
    lin = linear.score(norm)
    logits = EncoderModel(enc_dir, cache_size=0).logits(norm)
    rates = {}
    for j, h in enumerate(heads):
        positives, negatives = y[:, j] == 1, y[:, j] == 0
        if h in meta["heads"] and h in whole and h in linear.heads and positives.any():
            a, b = meta["platt"][h]
            enc = sigmoid(logits[:, meta["heads"].index(h)] * a + b)
            s = cascade["weight"] * enc + (1 - cascade["weight"]) * lin[:, linear.heads.index(h)]
            fpr = float((s[negatives] >= whole[h]).mean()) if negatives.any() else None  # no ceiling without negatives
            rates[j] = (float((s[positives] >= whole[h]).mean()), fpr, int(positives.sum()))
    return rates


def recall_floors(rates: dict, under: int | None = None, slack: int = 0, slack_from: int = 0) -> dict:
    """The floors of --recall-floor from `reference_rates` (or calibrate_served.py's
    `served_rates`): the share of each head's positives the reference catches, less `slack`
    positives' worth (--floor-slack) where a head has at least `slack_from` positives
    (--slack-from), for heads with fewer than `under` positives if given."""
    # n is 0 where every positive is the threshold suite's (served_rates): such a floor is the suite's to drop.
    return {j: max(0.0, r - (slack if n >= slack_from else 0) / max(n, 1))
            for j, (r, _, n) in rates.items() if under is None or n < under}


def fpr_ceilings(rates: dict, from_: int | None = None) -> dict:
    """The ceilings of --fpr-ceiling from `reference_rates` (or `served_rates`): the share of
    each head's negatives the reference flags, for heads with at least `from_` positives if given."""
    return {j: f for j, (_, f, n) in rates.items() if f is not None and (from_ is None or n >= from_)}


def fpr_matched(rates: dict, under: int) -> dict:
    """The heads --match-under matches (`rates` from `reference_rates` or `served_rates`): those
    with fewer than `under` positives and some negatives, each with the reference's false-flag rate."""
    return {j: f for j, (_, f, n) in rates.items() if f is not None and n < under}


def check_bounds(ap, args) -> None:
    """The bound options' checks (this script's and calibrate_served.py's)."""
    if args.floor_slack and not args.recall_floor:
        ap.error("--floor-slack needs --recall-floor")
    if args.floor_slack < 0:
        ap.error("--floor-slack is a number of positives, 0 or more")
    if getattr(args, "slack_from", None) is not None and not args.floor_slack:
        ap.error("--slack-from needs --floor-slack")
    if args.match_under is not None and not args.fpr_ceiling:
        ap.error("--match-under needs --fpr-ceiling: the false-flag rates it matches are that model's")
    if args.match_under is not None and args.recall_floor:
        ap.error("--match-under and --recall-floor bound the thin heads two ways: give one")


def reference_bounds(args, rates_of, name=lambda key: key) -> tuple[dict | None, dict | None, set, dict]:
    """--recall-floor/--floor-under, --fpr-ceiling/--ceiling-from and --match-under (this
    script's and calibrate_served.py's): the floors, the ceilings and the heads whose ceiling is
    matched, from `rates_of(model_dir) -> (rates, version)`, each directory scored once, and the
    metadata that records them ("recall_floor", "fpr_ceiling", "fpr_match"; each key named by `name`)."""
    scored = {d: rates_of(d) for d in {args.recall_floor, args.fpr_ceiling} - {None}}
    floors = ceilings = None
    matched: set = set()
    meta: dict = {"recall_floor": None, "fpr_ceiling": None, "fpr_match": None}
    if args.recall_floor:
        rates, version = scored[args.recall_floor]
        slack = getattr(args, "floor_slack", 0)  # absent where a caller predates --floor-slack
        slack_from = getattr(args, "slack_from", None)
        floors = recall_floors(rates, args.floor_under, slack, slack_from or 0)
        if floors:
            meta["recall_floor"] = {"model": version, "floors": {name(k): round(f, 4) for k, f in floors.items()}}
            if slack:
                meta["recall_floor"]["slack"] = slack
            if slack_from is not None:
                meta["recall_floor"]["slack_from"] = slack_from
    if args.fpr_ceiling:
        rates, version = scored[args.fpr_ceiling]
        ceilings = fpr_ceilings(rates, args.ceiling_from)
        under = getattr(args, "match_under", None)  # absent where a caller predates --match-under
        if under is not None:
            thin = fpr_matched(rates, under)
            ceilings = {**ceilings, **thin}
            matched = set(thin)
            meta["fpr_match"] = {"model": version, "under": under, "rates": {name(k): round(f, 4) for k, f in thin.items()}}
        if ceilings:
            meta["fpr_ceiling"] = {"model": version, "ceilings": {name(k): round(f, 4) for k, f in ceilings.items()}}
    return floors, ceilings, matched, meta


def blend_eval(y, lin, enc, w, floor=0.3, tolerance=0.0, current=None, errors_from=None, f1_only=(), min_recall=None,
               max_fpr=None, match=()):
    """Thresholds fitted per head on (y, blend) and the macro F1 over heads they give.
    The weight is chosen on exact fits (tolerance 0): it is one number compared across fifty
    heads, and thresholds held back from the best lower every weight's in-sample F1 by an amount
    that depends on the thin heads (with them the choice went 0.5 -> 0.3 and cost the held-out
    recall of self-harm and violence). The thresholds served are fitted for F1 within noise
    (tolerance, `near_best_threshold`, as `policywarden tune` fits them); `current` (column ->
    threshold) is kept where it is among the near-best. `errors_from`: heads with at least this many
    calibration positives get the fewest false flags plus misses instead of F1 (`near_best_threshold`),
    except the columns in `f1_only`. `min_recall` (column -> share): recall floors; `max_fpr`
    (column -> share): false-flag ceilings (`near_best_threshold`); the columns in `match` take the
    lowest threshold under theirs."""
    th, f1s = {}, []
    for j in range(y.shape[1]):
        known = y[:, j] >= 0
        yy = y[known, j] == 1
        if yy.sum() < 3:
            th[j] = None
            continue
        s = w * enc[known, j] + (1 - w) * lin[known, j]
        t = near_best_threshold(yy, s, np.arange(floor, 0.96, 0.025), tolerance=tolerance,
                                current=(current or {}).get(j),
                                errors=errors_from is not None and yy.sum() >= errors_from and j not in f1_only,
                                min_recall=(min_recall or {}).get(j), max_fpr=(max_fpr or {}).get(j),
                                match=j in match and (max_fpr or {}).get(j) is not None)
        th[j] = float(t)
        f1s.append(binary_metrics(yy.astype(int), s, t)["f1"])
    return th, float(np.mean(f1s)) if f1s else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--encoder", default=str(default_model_dir() / "encoder"))
    ap.add_argument("--linear", default=str(default_model_dir()))
    ap.add_argument("--weight", type=float, help="fix the blend weight instead of choosing it")
    ap.add_argument("--tolerance", type=float, default=TOLERANCE,
                    help="a head's threshold is the middle of those within this many positives' worth of F1 of the best "
                         "(0: the exact best)")
    ap.add_argument("--rescore", action="store_true",
                    help="score the current calibration and held-out rows with the encoder as shipped (after the data "
                         "or the n-gram model changed) instead of reading WORK/encoder/scores.npz")
    ap.add_argument("--keep", metavar="MODEL_JSON",
                    help="an encoder's model.json (the shipped one, say): each head keeps the threshold served there "
                         "where it is among the near-best for this pair (needs --tolerance above 0), so that a new "
                         "n-gram model does not move thresholds by noise alone")
    ap.add_argument("--recall-floor", metavar="MODEL_DIR",
                    help="a model directory (the shipped one, say): no head's threshold catches fewer of its calibration "
                         "positives than that model's pair catches at its own threshold, so that a new encoder may trade "
                         "false flags on a thin head but not misses (recalibrations moved thin heads' thresholds by noise "
                         "and lost the policy's examples: sessions 29-31)")
    ap.add_argument("--floor-under", type=int, metavar="POSITIVES",
                    help="floors only for heads with fewer calibration positives than this (session 31: a floor on "
                         "harassment, 2,439 positives here, traded precision for recall; a thin head's move is mostly noise)")
    ap.add_argument("--floor-slack", type=int, default=0, metavar="POSITIVES",
                    help="each floor this many positives below what the reference catches (session 34: on a head with "
                         "10 calibration positives a floor moves in steps of 10 points, and candidate I's floors lowered "
                         "minors.age_restricted 0.475 -> 0.375 to keep one positive, flagging 1.2%% of its negatives)")
    ap.add_argument("--slack-from", type=int, metavar="POSITIVES",
                    help="--floor-slack only for heads with at least this many positives; thinner heads keep the whole "
                         "floor (session 43: without floors, privacy compromise's 50 positives let its threshold rise "
                         "0.43 -> 0.725 and lose a fifth of its recall; with them, candidate X lowered self-harm 0.44 -> "
                         "0.375 to keep every positive, while a positive of slack on sexual violence's 12 is 8 points)")
    ap.add_argument("--fpr-ceiling", metavar="MODEL_DIR",
                    help="a model directory (the shipped one, say): no head's threshold flags more of its calibration "
                         "negatives than that model's pair flags at its own threshold, so that a new encoder may trade "
                         "misses but not false flags (session 32: `--keep` let harassment's threshold drift down within "
                         "its near-best band, 0.53 -> 0.475, and the fresh look-alikes flagged rose); the recall floor "
                         "wins where both cannot hold")
    ap.add_argument("--ceiling-from", type=int, metavar="POSITIVES",
                    help="ceilings only for heads with at least this many calibration positives (pair it with "
                         "--floor-under at the same number: floors on thin heads, ceilings on thick ones)")
    ap.add_argument("--match-under", type=int, metavar="POSITIVES",
                    help="heads with fewer calibration positives than this take the lowest threshold that flags no more "
                         "of their calibration negatives than the --fpr-ceiling model does: its false-flag rate matched, "
                         "not chosen by F1 on a handful of positives (session 37: floors on thin heads lowered self-harm "
                         "0.44 -> 0.30 for candidate O, and without them candidate P's thresholds rose and lost the "
                         "policy's examples). Instead of floors on those heads. Candidate Q (session 38) failed with it: "
                         "the shipped pair flags 0-0.14%% of a thin head's calibration negatives, a count as small as its "
                         "positives, and ordinary negatives say little about look-alikes (docs/model-candidates.md)")
    ap.add_argument("--errors", type=int, nargs="?", const=0, metavar="MIN_POSITIVES",
                    help="thresholds for the fewest false flags plus misses (the release rule's count) instead of F1, "
                         "for every category head or those with at least MIN_POSITIVES calibration positives (`any` "
                         "stays on F1); --tolerance is then in texts for them")
    args = ap.parse_args()
    if args.keep and args.tolerance <= 0:
        ap.error("--keep needs --tolerance above 0: at 0 a threshold is kept only where it is exactly the best")
    check_bounds(ap, args)
    work, enc_dir = Path(args.work), Path(args.encoder)
    meta = json.loads((enc_dir / "model.json").read_text())
    heads = meta["heads"]
    linear = LinearModel(args.linear)
    cols = [linear.heads.index(h) for h in heads]
    a = np.array([meta["platt"][h][0] for h in heads], np.float32)
    b = np.array([meta["platt"][h][1] for h in heads], np.float32)

    records, _ = load_records(work)
    train = [r for r in records if r.split == "train"]
    _, cal, _ = calibration_split(train, linear.meta, meta)
    held = [r for r in records if r.split != "train"]
    if args.rescore:
        # The run-time class, so that the scores are the ones served. Rows the encoder was fitted
        # on cannot enter: the calibration split is a fixed function of each text.
        from policywarden.classify.encoder import EncoderModel

        runtime = EncoderModel(enc_dir, cache_size=0)
        cal_norm, held_norm = [normalize(r.text) for r in cal], [normalize(r.text) for r in held]
        (work / "encoder").mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            work / "encoder" / "scores.npz", cal=runtime.logits(cal_norm), heldout=runtime.logits(held_norm),
            heads=np.array(heads), cal_digest=np.array(texts_digest(cal_norm)), heldout_digest=np.array(texts_digest(held_norm)),
            onnx_sha256=np.array(meta.get("onnx_sha256", "")),
        )
        print(f"scored {len(cal_norm)} calibration and {len(held_norm)} held-out rows with {meta['version']}", flush=True)
    z = np.load(work / "encoder" / "scores.npz")
    # The last build_encoder.py run wrote scores.npz, whichever encoder it built: another one's
    # logits with this encoder's Platt parameters would calibrate nonsense without an error.
    theirs = str(z["onnx_sha256"]) if "onnx_sha256" in z else None
    if list(z["heads"]) != heads or (theirs and meta.get("onnx_sha256") and theirs != meta["onnx_sha256"]):
        raise SystemExit("scores.npz does not belong to this encoder: rerun training/build_encoder.py, or pass --rescore")
    sets = {}
    for name, recs, logits in (("cal", cal, z["cal"]), ("heldout", held, z["heldout"])):
        norm = [normalize(r.text) for r in recs]
        if len(recs) != len(logits) or (f"{name}_digest" in z and str(z[f"{name}_digest"]) != texts_digest(norm)):
            raise SystemExit(f"{name}: the records are not the ones the encoder scored (the data or the normalisation changed "
                             "since training/build_encoder.py ran): pass --rescore to score them with this encoder now")
        lin_full = linear.score(norm)
        sets[name] = (with_assumed_negatives(label_matrix(recs, heads), recs, heads), lin_full[:, cols], sigmoid(logits * a + b), lin_full, recs)

    y_c, lin_c, enc_c, lin_full_c, _ = sets["cal"]
    floors, ceilings, matched, bounds_meta = reference_bounds(
        args, lambda d: (reference_rates(Path(d), [normalize(r.text) for r in cal], y_c, heads),
                         json.loads((Path(d) / "encoder" / "model.json").read_text())["version"]), name=heads.__getitem__)
    results = {}
    for w in WEIGHTS:
        th, f1 = blend_eval(y_c, lin_c, enc_c, w)
        results[w] = (th, f1)
        print(f"weight {w:.1f}: calibration macro F1 {f1:.3f}", flush=True)
    weight = args.weight if args.weight is not None else max(WEIGHTS, key=lambda w: (round(results[w][1], 3), w))
    kept_meta = json.loads(Path(args.keep).read_text()) if args.keep else {}
    kept = kept_meta.get("cascade", {}).get("thresholds", {})
    current = {j: float(kept[h]) for j, h in enumerate(heads) if h in kept}
    th_idx = blend_eval(y_c, lin_c, enc_c, weight, tolerance=args.tolerance, current=current, errors_from=args.errors,
                       # `any` stays on F1: the gate below is chosen from what the thresholds catch, and a
                       # fewest-errors `any` threshold (0.425 -> 0.55; it also sets the unattributed flag)
                       # let the gate rise 0.4 -> 0.6 (session 25's D4 and D5)
                       f1_only={heads.index("any")} if "any" in heads else set(), min_recall=floors, max_fpr=ceilings,
                       match=matched)[0]
    meta_kept = {"version": kept_meta.get("version"), "linear_version": kept_meta.get("cascade", {}).get("linear_version"),
                 "heads": sorted(h for j, h in enumerate(heads) if j in current and th_idx[j] == current[j])} if args.keep else None
    lin_th = linear.thresholds()
    thresholds = {h: round(th_idx[j], 4) if th_idx[j] is not None else lin_th[h] for j, h in enumerate(heads)}

    # The gate: the largest that clears no more than MAX_RECALL_LOSS of calibration positives.
    lin_th_vec = np.array([lin_th[h] for h in linear.heads], np.float32)
    ratio_c = (lin_full_c / lin_th_vec).max(axis=1)
    any_pos_c = (y_c == 1).any(axis=1)
    blended = weight * enc_c + (1 - weight) * lin_c
    caught = ((blended >= np.array([thresholds[h] for h in heads])) & (y_c == 1)).any(axis=1)
    gate = 0.0  # escalate everything, unless some gate keeps the loss in bounds
    for g in GATES:
        lost = (caught & (ratio_c < g)).sum() / max(1, caught.sum())
        if lost <= MAX_RECALL_LOSS:
            gate = g
    if gate == 0.0:
        print(f"warning: every gate clears more than {MAX_RECALL_LOSS:.1%} of calibration positives; the encoder reads everything")
    print(f"chosen: weight {weight}, gate {gate}", flush=True)
    th_vec = np.array([thresholds[h] for h in heads])
    esc_c = ratio_c >= gate
    casc_c = np.where(esc_c[:, None], blended, np.minimum(lin_c, th_vec * 0.999))
    y_any_c = label_matrix(sets["cal"][4], ["any"])[:, 0]
    fallback_table = unattributed(casc_c, y_any_c, heads, thresholds)
    for k, row in fallback_table.items():
        print(f"  unattributed {k:>4}: whole-text calibration verdict F1 {row['f1']:.3f}, FPR {row['fpr']:.3f}, recall {row['recall']:.3f}")
    print("  (the multiple served is chosen by training/calibrate_unattributed.py, on texts scored as served)", flush=True)

    # Measure on the held-out split: n-gram alone, encoder alone, the cascade.
    y_h, lin_h, enc_h, lin_full_h, held_recs = sets["heldout"]
    ratio_h = (lin_full_h / lin_th_vec).max(axis=1)
    escal = ratio_h >= gate
    blend_h = weight * enc_h + (1 - weight) * lin_h
    casc_h = np.where(escal[:, None], blend_h, np.minimum(lin_h, np.array([thresholds[h] for h in heads]) * 0.999))
    report = {"weight": weight, "gate": gate, "escalated_share_heldout": round(float(escal.mean()), 4), "per_head": {}}
    benign = ~(y_h == 1).any(axis=1)
    report["verdicts_heldout_by_unattributed"] = unattributed(casc_h, label_matrix(held_recs, ["any"])[:, 0], heads, thresholds)
    report["escalated_share_heldout_benign"] = round(float(escal[benign].mean()), 4)
    for j, h in enumerate(heads):
        known = y_h[:, j] >= 0
        yy = (y_h[known, j] == 1).astype(int)
        if yy.sum() == 0:
            continue
        report["per_head"][h] = {
            "positives": int(yy.sum()),
            "ngram": binary_metrics(yy, lin_h[known, j], lin_th[h]),
            "encoder": binary_metrics(yy, enc_h[known, j], meta["thresholds"][h]),
            "cascade": binary_metrics(yy, casc_h[known, j], thresholds[h]),
        }
    print(f"{'head':45} {'pos':>5}  {'ngram F1/FPR':>13}  {'encoder F1/FPR':>14}  {'cascade F1/FPR':>14}")
    for h, m in report["per_head"].items():
        print(f"{h:45} {m['positives']:5d}  {m['ngram']['f1']:.3f}/{m['ngram']['fpr']:.3f}  "
              f"{m['encoder']['f1']:.3f}/{m['encoder']['fpr']:.3f}    {m['cascade']['f1']:.3f}/{m['cascade']['fpr']:.3f}")
    policy_heads = [h for h in report["per_head"] if not h.startswith("openai:") and h != "any"]
    for k in ("ngram", "encoder", "cascade"):
        f1s = [report["per_head"][h][k]["f1"] for h in policy_heads]
        report[f"macro_f1_policy_{k}"] = round(float(np.mean(f1s)), 4) if f1s else None
    print({k: v for k, v in report.items() if k != "per_head"})

    meta["cascade"] = {
        "linear_version": linear.version,
        "linear_sha256": linear.meta.get("weights_sha256"),
        "weight": weight,
        "gate": gate,
        "tolerance": args.tolerance,
        "objective": "f1" if args.errors is None else f"errors for heads with {args.errors}+ positives, else f1",
        "kept_from": meta_kept,
        **bounds_meta,
        "unattributed": None,  # new thresholds void an earlier choice: calibrate_unattributed.py makes it again
        "unattributed_whole_text": fallback_table,
        "thresholds": thresholds,
        "calibration_macro_f1": {str(w): round(results[w][1], 4) for w in WEIGHTS},
    }
    (enc_dir / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    (work / "encoder" / "cascade_report.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
