"""Is a harassment flag driven by the name of a group alone? Test-time identity masking.

    .venv/bin/python training/experiments/identity_masking.py [--json out.json]

The shipped pair flags benign statements because they name a group ("Black people deserve equal
pay for equal work"). The idea tried here: where a prompt is flagged under `protect.harassment`,
score it again with the groups' names taken out (plural nouns read "people", singular ones
"person", adjectives dropped) and keep the flag only where the masked text still reaches
MULTIPLE times the threshold. Hate that insults ("... are subhuman animals") keeps its words;
a statement that was flagged for the name alone loses it. Measured for several multiples on the
fresh suite's identity statements, on the calibration prompts (where a multiple would be
chosen) and on the held-out prompts (measured only). Nothing here is served.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import calibration_prompts, encoder_meta_of  # noqa: E402

from policywarden import Warden  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402

PLURAL = ("women men girls boys ladies females males gays lesbians bisexuals homosexuals transgenders blacks whites asians "
          "hispanics latinos latinas mexicans jews muslims christians hindus arabs immigrants migrants refugees foreigners "
          "natives africans indians roma gypsies feminists").split()
SINGULAR = ("woman man girl boy lady female male gay lesbian jew muslim christian hindu arab immigrant migrant refugee "
            "foreigner mexican african indian").split()
ADJECTIVES = ("black white asian hispanic latino latina jewish islamic gay lesbian bisexual trans transgender queer disabled "
              "indigenous native immigrant female male african chinese mexican indian arab muslim christian hindu").split()
_PEOPLE = re.compile(rf"\b(?:{'|'.join(ADJECTIVES)})\s+(?:people|folks|persons|men|women|kids|students|families|voters|workers)\b", re.I)
_PLURAL = re.compile(rf"\b(?:{'|'.join(PLURAL)})\b", re.I)
_SINGULAR = re.compile(rf"\b(?:{'|'.join(SINGULAR)})\b", re.I)
_ADJ = re.compile(rf"\b(?:{'|'.join(ADJECTIVES)})\s+(?=(?:{'|'.join(SINGULAR)}|person|people)\b)", re.I)
MULTIPLES = (0.5, 0.75, 1.0)
HEAD = "protect.harassment"


def masked(text: str) -> str:
    text = _PEOPLE.sub("people", text)
    text = _PLURAL.sub("people", text)
    text = _ADJ.sub("", text)  # "a Muslim woman" -> "a woman" -> "a person"
    return _SINGULAR.sub("person", text)


def verdicts(warden: Warden, texts: list[str]) -> tuple[list, dict[int, float]]:
    """Each text's verdict, and for those flagged under HEAD whose masked form differs, the masked
    form's HEAD score over its threshold."""
    vs = warden.moderate(texts)
    idx = [i for i, v in enumerate(vs) if any(h.id == HEAD for h in v.hits) and masked(texts[i]) != texts[i]]
    again = warden.moderate([masked(texts[i]) for i in idx]) if idx else []
    ratio = {}
    for i, v in zip(idx, again):
        c = next(c for c in v.categories if c.id == HEAD)
        ratio[i] = c.score / c.threshold
    return vs, ratio


def flags(vs, ratio: dict[int, float], k: float | None) -> list[bool]:
    """The verdict with HEAD's flag kept only where the masked text reaches k times the threshold."""
    out = []
    for i, v in enumerate(vs):
        hits = {h.id for h in v.hits}
        if k is not None and i in ratio and ratio[i] < k:
            hits.discard(HEAD)
        out.append(bool(hits))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()
    warden = Warden()
    report: dict = {"model": warden.model_version, "multiples": {}}
    rows = [json.loads(line) for line in open(ROOT / "benchmarks" / "fresh" / "identity.jsonl", encoding="utf-8") if line.strip()]
    cal, held = calibration_prompts(ROOT / "training" / "out", warden.model.meta, encoder_meta_of(warden))
    suites = {"identity": ([r["text"] for r in rows], [r["hateful"] for r in rows])}
    for name, recs in (("calibration", cal), ("heldout", held)):
        recs = [r for r in recs if r.label("any") is not None]
        suites[name] = ([r.text for r in recs], [bool(r.label("any")) for r in recs])
    scored = {name: verdicts(warden, texts) for name, (texts, _) in suites.items()}
    print(f"{'multiple':>8} {'suite':12} {'F1':>6} {'recall':>7} {'FPR':>7}")
    for k in (None, *MULTIPLES):
        row = {}
        for name, (texts, truth) in suites.items():
            vs, ratio = scored[name]
            pred = flags(vs, ratio, k)
            m = binary_metrics(np.array(truth), np.array(pred, dtype=float), 0.5)
            row[name] = {key: m[key] for key in ("n", "positives", "tp", "fp", "fn", "precision", "recall", "f1", "fpr")}
            print(f"{str(k):>8} {name:12} {m['f1']:6.3f} {m['recall']:7.3f} {m['fpr']:7.3f}")
        report["multiples"][str(k)] = row
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
