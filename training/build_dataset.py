"""Build the PolicyWarden training set from shared/data.

    python training/build_dataset.py --data ../shared/data --out training/out [--include-nonpermissive]

Loads every permissive source in sources.SOURCES (non-permissive ones and
non-permissive parts of mixed folders only with the flag), drops empty and
over-long texts, de-duplicates by normalised text (NFKC, casefold, collapsed
whitespace), merges the labels of duplicates, and writes

* <out>/dataset.jsonl   one record per unique text, in a fixed hash order
* <out>/datacard.json   counts per source and per head
* training/DATACARD.md  the same as a readable card, with the mapping notes

The output is a pure function of the input files: same input, same bytes.
"""
import argparse
import collections
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Loaders read some texts as the Warden does (decoded): the package's text layer.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from disguise import framed, lookalikes  # noqa: E402
from heads import ALL_HEADS, POLICY_HEADS, complete, value  # noqa: E402
from sources import SOURCES, is_permissive, normalise  # noqa: E402

MAX_CHARS = 20000
HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------- loading

def load_all(data_root, include_nonpermissive):
    """Records of the selected sources (in registry order) and per-source stats."""
    records, stats = [], {}
    for name, (loader, licence, permissive, note) in SOURCES.items():
        st = stats[name] = collections.Counter()
        if not permissive and not include_nonpermissive:
            continue
        for r in loader(data_root):
            st["loaded"] += 1
            if not is_permissive(r["licence"]) and not include_nonpermissive:
                st["dropped_licence"] += 1
                continue
            text = r["text"]
            if not isinstance(text, str) or not text.strip():
                st["dropped_empty"] += 1
                continue
            if len(text) > MAX_CHARS:
                st["dropped_too_long"] += 1
                continue
            records.append(r)
    return records, stats


# --------------------------------------------------------------------------- merging

def _consistent(r, positives):
    """A duplicate agrees with the merged positives if it calls none of them 0."""
    return all(value(r["labels"], r["default"], h) != 0 for h in positives)


def merge_labels(group):
    """Merge duplicate records' labels.  Positive wins for a head; the zeros
    (explicit or by default 0) of a record that called a merged positive 0 are
    discarded, since its judgement was overridden.  Returns (labels, default,
    conflict)."""
    positives = {h for r in group for h, v in r["labels"].items() if v == 1}
    agreeing = [r for r in group if _consistent(r, positives)]
    labels = {h: 1 for h in positives}
    for r in agreeing:
        for h, v in r["labels"].items():
            if v == 0:
                labels[h] = 0
    default = 0 if any(r["default"] == 0 for r in agreeing) else None
    labels, default = complete(labels, default)
    return labels, default, len(agreeing) < len(group)


def _representative(group):
    """First permissive record (load order), else the first record."""
    for r in group:
        if is_permissive(r["licence"]):
            return r
    return group[0]


def _role(group):
    counts = collections.Counter(r["role"] for r in group)
    best = max(counts.values())
    return "user" if counts["user"] == best else "assistant"


def dedupe(records):
    """One record per normalised text; heldout anywhere -> heldout."""
    groups = collections.OrderedDict()
    for r in records:
        groups.setdefault(normalise(r["text"]), []).append(r)
    out, info = [], collections.Counter()
    for key, group in groups.items():
        labels, default, conflict = merge_labels(group)
        rep = _representative(group)
        split = "heldout" if any(r["split"] == "heldout" for r in group) else "train"
        info["duplicate_groups"] += len(group) > 1
        info["label_conflicts"] += conflict
        info["moved_to_heldout"] += split == "heldout" and any(r["split"] == "train" for r in group)
        sources = sorted({r["source"] for r in group})
        merged = {"text": rep["text"], "labels": labels, "default": default, "role": _role(group),
                  "source": rep["source"], "licence": rep["licence"], "split": split}
        item = min((r["group"] for r in group if r.get("group")), default=None)  # one item's variants
        if item:
            merged["group"] = item
        out.append((merged, key, sources))
    out.sort(key=lambda t: hashlib.sha256(t[1].encode("utf-8")).hexdigest())
    return out, info


# --------------------------------------------------------------------------- statistics

def head_counts(records):
    """head -> split -> {"pos", "neg"} (unknown heads are not counted)."""
    counts = {h: {"train": {"pos": 0, "neg": 0}, "heldout": {"pos": 0, "neg": 0}} for h in ALL_HEADS}
    for r in records:
        for h in ALL_HEADS:
            v = value(r["labels"], r["default"], h)
            if v is not None:
                counts[h][r["split"]]["pos" if v == 1 else "neg"] += 1
    return counts


# Records written here from other sources' texts; each keeps the licence of the text it wraps.
DERIVED = "disguised"
DERIVED_ENTRY = (None, "as the wrapped text's", True,
                 "written (training/disguise.py): train-split user prompts wrapped in a request to decode them, "
                 "benign ones encoded, plain or as the request alone (1,200), violating ones plain with their labels (600)")


FRAMED = "framed"
FRAMED_ENTRY = (None, "as the wrapped text's", True,
                "written (training/disguise.py, `--framed` only): train-split user prompts wrapped in fiction, role-play "
                "and hypothetical frames, benign ones with their labels (800), violating ones with theirs but "
                "circumvention unknown (400)")


def source_table(stats, merged):
    table = {}
    kept = collections.Counter((rec["source"], rec["split"]) for rec, _k, _s in merged)
    present = collections.Counter(s for _r, _k, srcs in merged for s in srcs)
    derived = {DERIVED: DERIVED_ENTRY, **({FRAMED: FRAMED_ENTRY} if FRAMED in stats else {})}
    for name, (_loader, licence, permissive, note) in {**SOURCES, **derived}.items():
        st = stats[name]
        table[name] = {
            "licence": licence, "permissive": permissive, "note": note,
            "rows_loaded": st["loaded"],
            "dropped_nonpermissive_part": st["dropped_licence"],
            "dropped_empty": st["dropped_empty"], "dropped_too_long": st["dropped_too_long"],
            "rows_kept": kept[(name, "train")] + kept[(name, "heldout")],
            "kept_train": kept[(name, "train")], "kept_heldout": kept[(name, "heldout")],
            "unique_texts_present": present[name],
        }
    return table


def build_card(records, merged, stats, info, include_nonpermissive):
    splits = collections.Counter(r["split"] for r in records)
    return {
        "include_nonpermissive": include_nonpermissive,
        "rows": len(records), "train": splits["train"], "heldout": splits["heldout"],
        "dedup": dict(sorted(info.items())),
        "max_chars": MAX_CHARS,
        "sources": source_table(stats, merged),
        "heads": head_counts(records),
    }


# --------------------------------------------------------------------------- writing

def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def markdown(card):
    """DATACARD.md text."""
    lines = ["# PolicyWarden training data card", "",
             "Generated by `training/build_dataset.py`; do not edit by hand.", "",
             f"- rows: {card['rows']} (train {card['train']}, heldout {card['heldout']})",
             f"- non-permissive sources included: {card['include_nonpermissive']}",
             f"- de-duplication: {card['dedup']}",
             f"- texts over {card['max_chars']} characters and empty texts dropped", "",
             "## Sources", "",
             "| source | licence | permissive | loaded | kept | train | heldout | mapping |",
             "|---|---|---|---|---|---|---|---|"]
    for name, s in card["sources"].items():
        lines.append(f"| `{name}` | {s['licence']} | {'yes' if s['permissive'] else 'no'} | {s['rows_loaded']} | "
                     f"{s['rows_kept']} | {s['kept_train']} | {s['kept_heldout']} | {s['note']} |")
    lines += ["", "`kept` counts unique texts whose representative record comes from the source "
              "(a duplicate is credited to the first permissive source that has it).", "",
              "## Heads", "", "Positives / negatives per split; heads not listed for a text with "
              "`default: null` are unknown and not counted.", "",
              "| head | train + | train - | heldout + | heldout - |", "|---|---|---|---|---|"]
    for h, c in card["heads"].items():
        lines.append(f"| `{h}` | {c['train']['pos']} | {c['train']['neg']} | {c['heldout']['pos']} | {c['heldout']['neg']} |")
    thin = [h for h, c in card["heads"].items() if c["train"]["pos"] < 50]
    lines += ["", f"Heads with fewer than 50 training positives ({len(thin)}): " + ", ".join(f"`{h}`" for h in thin),
              "", "## Mapping rules", "",
              "- Benign: `{}` with default 0.  Harmful with uncertain categories: known heads 1, default null.",
              "- Offensive but not violating (profanity, insults, abuse of a bot, casual sexism, help-seeking "
              "distress): `any` 0 and every policy head 0; OpenAI heads unknown unless stated.",
              "- Hate speech: `any`, `protect.harassment`, `openai:hate` (threats add the threatening heads).",
              "- First-person suicidal intent: `openai:self-harm/intent` 1, not a policy violation; "
              "`protect.self_harm` is promotion or facilitation.",
              "- Label closure: OpenAI sub-categories imply their parent; any policy head implies `any`; "
              "`minors.csam` implies `openai:sexual/minors`; `protect.self_harm` implies `openai:self-harm`.",
              "- Duplicates: positive wins per head; zeros of a duplicate that was overridden are dropped; "
              "a text that is heldout in any source is heldout everywhere.", ""]
    return "\n".join(lines)


def print_summary(card):
    print(f"rows {card['rows']}  train {card['train']}  heldout {card['heldout']}  dedup {card['dedup']}")
    print(f"\n{'source':42s} {'loaded':>7s} {'kept':>6s} {'train':>6s} {'heldout':>7s}")
    for name, s in card["sources"].items():
        print(f"{name:42s} {s['rows_loaded']:7d} {s['rows_kept']:6d} {s['kept_train']:6d} {s['kept_heldout']:7d}")
    print(f"\n{'head':42s} {'tr+':>6s} {'tr-':>6s} {'ho+':>6s} {'ho-':>6s}")
    for h, c in card["heads"].items():
        print(f"{h:42s} {c['train']['pos']:6d} {c['train']['neg']:6d} {c['heldout']['pos']:6d} {c['heldout']['neg']:6d}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data", help="folder holding the dataset folders")
    ap.add_argument("--out", default="training/out", help="output folder")
    ap.add_argument("--include-nonpermissive", action="store_true",
                    help="also use NC / GPL / no-licence sets (not for the shipped model)")
    ap.add_argument("--card", default=os.path.join(HERE, "DATACARD.md"), help="markdown data card path")
    ap.add_argument("--framed", action="store_true",
                    help="also wrap train-split prompts in fiction, role-play and hypothetical frames (training/disguise.py "
                         "`framed`, source \"framed\"): for candidates; the shipped model was not trained on them")
    args = ap.parse_args(argv)

    records, stats = load_all(args.data, args.include_nonpermissive)
    # Look-alikes are written from the de-duplicated train split, then de-duplicated with the rest.
    train = [r for r, _key, _srcs in dedupe(records)[0]]
    derived = lookalikes(train)
    stats[DERIVED] = collections.Counter(loaded=len(derived))
    if args.framed:
        frames = framed(train, ALL_HEADS)
        stats[FRAMED] = collections.Counter(loaded=len(frames))
        derived += frames
    merged, info = dedupe(records + derived)
    final = [r for r, _key, _srcs in merged]
    card = build_card(final, merged, stats, info, args.include_nonpermissive)

    os.makedirs(args.out, exist_ok=True)
    write_jsonl(os.path.join(args.out, "dataset.jsonl"), final)
    with open(os.path.join(args.out, "datacard.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(card, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(args.card, "w", encoding="utf-8", newline="\n") as f:
        f.write(markdown(card))
    print_summary(card)


if __name__ == "__main__":
    main()
