"""The fresh development suite: texts written for measurement only, never trained on.

    python benchmarks/fresh.py [--no-encoder]
    python benchmarks/fresh.py --model DIR --json out.json   # a candidate model directory (with encoder/)

Three files in benchmarks/fresh/ (see its README):
- everyday.jsonl: ordinary requests, by topic. Share flagged (the issue's goal: at most 2%).
- lookalikes.jsonl: allowed requests on sensitive topics (medicine, security, history,
  sexuality education, fiction, ...), by topic and by the category each sits near. Share
  flagged (goal: at most 10%), and the categories they are flagged under.
- violations.jsonl: fresh phrasings of requests that break each policy category. Per category:
  share flagged under that category (own) and under any category (any).
- identity.jsonl: statements that name a protected group, benign (neutral, positive, for equal
  rights, counter-speech, negated hate, questions, self-identification, news of an attack) and
  hateful (derogation, dehumanising, threats, exclusion, stereotypes): the share of each flagged,
  by kind and by group. Functional tests in the manner of HateCheck, written fresh.

Prompts are scored as served (`Warden.moderate`, surface "input", shipped thresholds): the
policy's verdict, and for the benign files also the `flagged` of `/v1/moderations` (a policy hit
or any OpenAI category; OpenAI's taxonomy is wider). The
texts never reach training: tests/test_fresh_suite.py checks that none is in training/written
or among the policy's examples. A few rows carry `exposed`: their wording was quoted to the
people writing training examples, so each figure is also given without them ("unexposed").
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict

from common import ROOT, candidate_options, emit, row_flags

from policywarden import Warden

SUITE = ROOT / "benchmarks" / "fresh"
GOALS = {"everyday": 0.02, "lookalikes": 0.10}
FIRST_WRITTEN = "2026-12-02"


def load(name: str) -> list[dict]:
    path = SUITE / f"{name}.jsonl"
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for row in rows:  # rows written since the suite's first day say when
        row.setdefault("added", FIRST_WRITTEN)
    return rows


def share(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def benign_report(rows: list[dict], verdicts: list, *fields: str) -> dict:
    """Share flagged overall and per value of each field, with the categories the flags went to."""
    groups: dict[str, dict[str, list[bool]]] = {f: defaultdict(list) for f in fields}
    went: Counter = Counter()
    for row, v in zip(rows, verdicts):
        for f in fields:
            groups[f][row[f]].append(v.flagged)
        went.update(h.id for h in v.hits)
    flagged = sum(v.flagged for v in verdicts)
    clean = [v.flagged for row, v in zip(rows, verdicts) if "exposed" not in row]
    api = sum(v.openai_flagged for v in verdicts)
    alone = [v for v in verdicts if v.openai_flagged and not v.flagged]
    report = {"texts": len(rows), "flagged": flagged, "flagged_share": share(flagged, len(rows)),
              "unexposed": {"texts": len(clean), "flagged": sum(clean), "flagged_share": share(sum(clean), len(clean))},
              # What /v1/moderations reports as `flagged`: a policy hit or any OpenAI category.
              "openai_flagged": api, "openai_flagged_share": share(api, len(rows)),
              # texts flagged by OpenAI categories without a policy hit, and how often each category was among them
              "openai_alone": len(alone),
              "openai_categories": dict(Counter(n for v in alone for n, f in v.openai_flags.items() if f).most_common())}
    for f in fields:
        report[f"by_{f}"] = {k: {"texts": len(g), "flagged": sum(g), "flagged_share": share(sum(g), len(g))} for k, g in sorted(groups[f].items())}
    report["flagged_under"] = dict(went.most_common())
    report["rows"] = row_flags([r["text"] for r in rows], [v.flagged for v in verdicts])
    return report


def identity_report(rows: list[dict], verdicts: list) -> dict:
    """Statements that name a group (identity.jsonl): the share flagged of the benign ones
    (neutral, positive, counter-speech, ...) and of the hateful ones, by the policy's verdict and
    as /v1/moderations flags, overall, by kind and by group."""
    def tally(pairs) -> dict:
        pairs = list(pairs)
        n, flagged, api = len(pairs), sum(v.flagged for v in pairs), sum(v.openai_flagged for v in pairs)
        return {"texts": n, "flagged": flagged, "flagged_share": share(flagged, n), "openai_flagged": api, "openai_flagged_share": share(api, n)}

    report = {side: tally(v for r, v in zip(rows, verdicts) if r["hateful"] == hateful)
              for side, hateful in (("benign", False), ("hateful", True))}
    kinds = sorted({(r["hateful"], r["kind"]) for r in rows})
    report["by_kind"] = {f"{'hateful' if h else 'benign'}: {k}": tally(v for r, v in zip(rows, verdicts) if (r["hateful"], r["kind"]) == (h, k))
                         for h, k in kinds}
    report["benign_by_group"] = {g: tally(v for r, v in zip(rows, verdicts) if r["group"] == g and not r["hateful"])
                                 for g in sorted({r["group"] for r in rows})}
    report["benign_flagged_under"] = dict(Counter(h.id for r, v in zip(rows, verdicts) if not r["hateful"] for h in v.hits).most_common())
    report["rows"] = row_flags([r["text"] for r in rows], [v.flagged for v in verdicts])
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-encoder", action="store_true", help="the n-gram model alone (POLICYWARDEN_ENCODER=false)")
    candidate_options(ap)
    args = ap.parse_args()
    warden = Warden(model_dir=args.model, encoder=not args.no_encoder, encoder_gate=args.gate)
    known = {c.id for c in warden.policy.categories}

    everyday, lookalikes, violations = load("everyday"), load("lookalikes"), load("violations")
    unknown = sorted({r["category"] for r in violations} - known)
    if unknown:
        raise SystemExit(f"violations.jsonl names categories the policy lacks: {unknown}")

    results: dict = {"model": warden.model_version, "policy": warden.policy.ref, "goals": GOALS}
    results["everyday"] = benign_report(everyday, warden.moderate([r["text"] for r in everyday]), "topic", "added")
    results["lookalikes"] = benign_report(lookalikes, warden.moderate([r["text"] for r in lookalikes]), "topic", "near", "added")

    vv = warden.moderate([r["text"] for r in violations])
    per: dict[str, dict] = {}
    clean = {"texts": 0, "own": 0, "any": 0}
    for row, v in zip(violations, vv):
        p = per.setdefault(row["category"], {"texts": 0, "own": 0, "any": 0, "missed_went_to": Counter()})
        p["texts"] += 1
        own = any(h.id == row["category"] for h in v.hits)
        p["own"] += own
        p["any"] += v.flagged
        if v.flagged and not own:
            p["missed_went_to"].update(h.id for h in v.hits)
        if "exposed" not in row:
            clean["texts"] += 1
            clean["own"] += own
            clean["any"] += v.flagged
    for p in per.values():
        p["recall_own"] = share(p["own"], p["texts"])
        p["recall_any"] = share(p["any"], p["texts"])
        p["missed_went_to"] = dict(p["missed_went_to"].most_common())
    ordered = {c.id: per[c.id] for c in warden.policy.categories if c.id in per}
    n = sum(p["texts"] for p in per.values())
    results["violations"] = {
        "texts": n,
        "recall_own": share(sum(p["own"] for p in per.values()), n),
        "recall_any": share(sum(p["any"] for p in per.values()), n),
        # Macro over categories: each category counts once, however many texts it has.
        "macro_recall_own": round(sum(p["recall_own"] for p in per.values()) / len(per), 4),
        "unexposed": {"texts": clean["texts"], "recall_own": share(clean["own"], clean["texts"]),
                      "recall_any": share(clean["any"], clean["texts"])},
        "categories": ordered,
        "rows": row_flags([r["text"] for r in violations], [v.flagged for v in vv]),
    }

    if (SUITE / "identity.jsonl").exists():
        identity = load("identity")
        results["identity"] = identity_report(identity, warden.moderate([r["text"] for r in identity]))

    for name in ("everyday", "lookalikes"):
        r = results[name]
        u = r["unexposed"]
        print(f"{name}: {r['flagged']} of {r['texts']} flagged ({r['flagged_share']:.1%}; goal at most {GOALS[name]:.0%}); "
              f"unexposed {u['flagged']} of {u['texts']} ({u['flagged_share']:.1%})")
        for topic, t in r["by_topic"].items():
            print(f"  {topic:36} {t['flagged']:>3} of {t['texts']:<3} {t['flagged_share']:>6.1%}")
        for added, t in r["by_added"].items():
            print(f"  {'written ' + added:36} {t['flagged']:>3} of {t['texts']:<3} {t['flagged_share']:>6.1%}")
        if r["flagged_under"]:
            print("  flagged under: " + ", ".join(f"{k} {v}" for k, v in r["flagged_under"].items()))
        print(f"  as /v1/moderations flags them (a policy hit or any OpenAI category): {r['openai_flagged']} of {r['texts']} "
              f"({r['openai_flagged_share']:.1%}); {r['openai_alone']} by OpenAI categories alone (" +
              (", ".join(f"{k} {v}" for k, v in r["openai_categories"].items()) or "none") + ")")
    v = results["violations"]
    u = v["unexposed"]
    print(f"violations: {v['texts']} texts, recall own {v['recall_own']:.3f} (macro {v['macro_recall_own']:.3f}), any {v['recall_any']:.3f}; "
          f"unexposed ({u['texts']}) own {u['recall_own']:.3f}, any {u['recall_any']:.3f}")
    print(f"  {'category':46} {'texts':>5} {'own':>6} {'any':>6}  flagged elsewhere under")
    for cid, p in ordered.items():
        print(f"  {cid:46} {p['texts']:>5} {p['recall_own']:>6.2f} {p['recall_any']:>6.2f}  {', '.join(p['missed_went_to'])}")
    if "identity" in results:
        r = results["identity"]
        b, h = r["benign"], r["hateful"]
        print(f"identity: benign statements that name a group flagged {b['flagged']} of {b['texts']} ({b['flagged_share']:.1%}; "
              f"/v1/moderations {b['openai_flagged_share']:.1%}); hateful ones flagged {h['flagged']} of {h['texts']} "
              f"({h['flagged_share']:.1%}; /v1/moderations {h['openai_flagged_share']:.1%})")
        for kind, k in r["by_kind"].items():
            print(f"  {kind:36} {k['flagged']:>3} of {k['texts']:<3} {k['flagged_share']:>6.1%}   (/v1/moderations {k['openai_flagged_share']:.1%})")
    emit("fresh_ngram" if args.no_encoder else "fresh", results, args)


if __name__ == "__main__":
    main()
