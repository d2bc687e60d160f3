"""Run every benchmark and write benchmarks/RESULTS.md from their JSON.

    python benchmarks/run.py            # speed, policy examples, fresh suite, held-out data, robustness, context, tuning, ledger, proxy
    python benchmarks/run.py --report   # only rewrite RESULTS.md from existing JSON
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def run_all() -> None:
    for script in ("speed.py", "policy_examples.py", "fresh.py", "heldout.py", "robustness.py", "context.py", "tuning.py", "ledger.py", "proxy.py"):
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True)


def _cpu(machine: dict) -> str:
    # The int8 instructions decide the encoder's speed more than anything else (see the model card).
    cpu = machine.get("cpu") or {}
    return f"{cpu.get('model', 'unknown CPU')}, int8 instructions: {', '.join(cpu.get('int8', [])) or 'none listed'}"


def _measured(machine: dict, python: bool = True) -> str:
    py = f"; Python {machine['python']}" if python else ""
    return f"measured {machine['when']} on {machine['cpus']} CPU cores ({_cpu(machine)}{py})"


def _run_of(result: dict) -> tuple:
    """What tells two benchmark runs apart: the model and the host."""
    return result.get("model"), _cpu(result["machine"]), result["machine"].get("cpus")


def report() -> str:
    speed = json.loads((RESULTS / "speed.json").read_text())
    ex = json.loads((RESULTS / "policy_examples.json").read_text())
    ho = json.loads((RESULTS / "heldout.json").read_text())
    header = f"Model `{ex['model']}`, policy `{ex['policy']}`, {_measured(speed['machine'])}."
    if _run_of(speed) != _run_of(ex):
        # The accuracy tables were measured again without the speed run (a threshold refit, another host).
        header = (f"Policy `{ex['policy']}`. Accuracy tables: model `{ex['model']}`, {_measured(ex['machine'], python=False)}. "
                  f"Speed table: model `{speed.get('model', 'not recorded')}`, {_measured(speed['machine'])}.")
    lines = [
        "# Benchmark results",
        "",
        header + " Regenerate with `make bench` (or `python benchmarks/run.py`).",
        "",
        "## Speed and footprint (in process, `benchmarks/speed.py`)",
        "",
        "Two stages (the default): the n-gram model, then the encoder for what it does not clear. "
        "N-gram only: `POLICYWARDEN_ENCODER=false`.",
        "",
        "| figure | two stages | n-gram only |",
        "| --- | --- | --- |",
    ]
    alone = speed.get("ngram_only", {})
    for label, key, fmt in (
        ("short messages per second, batched (word salad)", "batched_messages_per_second", "{:,}"),
        ("benign written texts per second, batched", "benign_written_messages_per_second", "{:,}"),
        ("single message p50", "single_p50_ms", "{} ms"),
        ("single message p99", "single_p99_ms", "{} ms"),
        ("2,000-word input, scored whole", "long_2000_words_ms", "{} ms"),
        ("model load", "load_seconds", "{} s"),
        ("peak resident memory", "peak_rss_mb", "{} MB"),
        ("share of scored pieces the encoder read (word salad)", "escalated_share", "{:.1%}"),
        ("share of benign written texts the encoder read", "escalated_share_benign_written", "{:.1%}"),
    ):
        cells = [fmt.format(d[key]) if d.get(key) is not None else "" for d in (speed, alone)]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "## The policy's own examples (`benchmarks/policy_examples.py`)",
        "",
        "Never trained on. Recall: share of a category's `flag` examples flagged under that category (own) or under any category (any). "
        "FP: share of its `allow` look-alikes flagged under any category.",
        "",
        f"Overall: recall (own) {ex['summary']['recall_own']:.2f}, recall (any) {ex['summary']['recall_any']:.2f}, "
        f"false-positive rate {ex['summary']['false_positive_rate']:.2f} ({ex['summary']['flag']} flag and {ex['summary']['allow']} allow examples).",
        "",
        "| category | recall (own) | recall (any) | FP rate | flagged look-alikes went to |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for cid, r in ex["categories"].items():
        lines.append(f"| `{cid}` | {r['recall_own']:.2f} | {r['recall_any']:.2f} | {r['false_positive_rate']:.2f} | {', '.join(r['false_positive_categories'])} |")
    lines += fresh()
    o = ho["overall"]
    lines += [
        "",
        "## Held-back halves of the training data (`benchmarks/heldout.py`)",
        "",
        f"{ho['records']:,} held-out texts (the sets' own test splits, or a fixed 15% by hash; 15% of the written examples). "
        f"Violating vs not, from the verdict: precision {o['precision']:.3f}, recall {o['recall']:.3f}, F1 {o['f1']:.3f}, false-positive rate {o['fpr']:.3f}.",
        *([f"As `/v1/moderations` flags (a policy hit or any OpenAI category) against OpenAI's taxonomy, on the "
           f"{a['n']:,} texts whose OpenAI labels say (any of the 13 labelled 1, or all 13 labelled 0): precision "
           f"{a['precision']:.3f}, recall {a['recall']:.3f}, F1 {a['f1']:.3f}, false-positive rate {a['fpr']:.3f}."]
          if (a := ho.get("openai_flagged")) else []),
        "",
        "| category | positives | precision | recall | F1 | FPR | AUPRC |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cid, r in ho["categories"].items():
        lines.append(f"| `{cid}` | {r['positives']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['fpr']:.3f} | {r['auprc']:.3f} |")
    lines += ["", "Per source: share of texts flagged, recall on violating texts, false-positive rate on the rest.", "",
              "| source | texts | violating | flagged | recall | FPR |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for src, r in ho["sources"].items():
        rate = (r["tp"] + r["fp"]) / r["n"]
        rec = f"{r['recall']:.3f}" if r["positives"] else "-"
        lines.append(f"| `{src}` | {r['n']} | {r['positives']} | {rate:.3f} | {rec} | {r['fpr']:.3f} |")
    lines += robustness()
    lines += context()
    lines += tuning()
    lines += ledger_and_proxy()
    return "\n".join(lines) + "\n"


def api_share(r: dict) -> str:
    """The share `/v1/moderations` flags (a policy hit or any OpenAI category), where measured."""
    if "openai_flagged" not in r:
        return ""
    cats = ", ".join(f"`{k}` {v}" for k, v in r["openai_categories"].items()) or "none"
    alone = f"{r['openai_alone']} of them by OpenAI categories alone ({cats})" if "openai_alone" in r else f"OpenAI categories alone: {cats}"
    return (f" As `/v1/moderations` reports them (`flagged`: a policy hit or any OpenAI category, a wider taxonomy): "
            f"{r['openai_flagged']} of {r['texts']} ({r['openai_flagged_share']:.1%}); {alone}.")


def by_added(r: dict) -> str:
    """The share flagged of the rows written on each day, where the suite grew after its first."""
    days = r.get("by_added", {})
    if len(days) < 2:
        return ""
    return " By the day the rows were written: " + ", ".join(
        f"{day} {g['flagged']} of {g['texts']} ({g['flagged_share']:.1%})" for day, g in days.items()) + "."


def fresh() -> list[str]:
    if not (RESULTS / "fresh.json").exists():
        return []
    fr = json.loads((RESULTS / "fresh.json").read_text())
    lines = ["", "## The fresh suite (`benchmarks/fresh.py`)", "",
             "Texts written for measurement only (benchmarks/fresh/), never trained on: everyday requests, allowed look-alikes "
             "on sensitive topics, and fresh phrasings of violations of every category. Scored as served, as prompts. "
             "Rows marked `exposed` had their wording quoted to the writers of training examples (see benchmarks/fresh/README.md).", ""]
    for name, title in (("everyday", "Everyday requests"), ("lookalikes", "Look-alikes")):
        r = fr[name]
        u = r.get("unexposed")
        unexposed = f" Without the rows marked `exposed`: {u['flagged']} of {u['texts']} ({u['flagged_share']:.1%})." if u and u["texts"] < r["texts"] else ""
        lines += [f"{title}: {r['flagged']} of {r['texts']} flagged ({r['flagged_share']:.1%}; the issue's goal: at most {fr['goals'][name]:.0%}).{unexposed} "
                  "Flagged under: " + (", ".join(f"`{k}` {v}" for k, v in r["flagged_under"].items()) or "nothing") + "."
                  + api_share(r) + by_added(r), "",
                  "| topic | texts | flagged |", "| --- | ---: | ---: |"]
        lines += [f"| {t} | {g['texts']} | {g['flagged_share']:.3f} |" for t, g in r["by_topic"].items()]
        lines.append("")
    if "identity" in fr:
        r = fr["identity"]
        b, h = r["benign"], r["hateful"]
        lines += [f"Statements that name a group (`identity.jsonl`, functional tests in the manner of HateCheck, written fresh): "
                  f"benign ones flagged {b['flagged']} of {b['texts']} ({b['flagged_share']:.1%}; as `/v1/moderations` flags them "
                  f"{b['openai_flagged_share']:.1%}), hateful ones flagged {h['flagged']} of {h['texts']} ({h['flagged_share']:.1%}; "
                  f"as `/v1/moderations` flags them {h['openai_flagged_share']:.1%}). Benign ones flagged under: "
                  + (", ".join(f"`{k}` {v}" for k, v in r["benign_flagged_under"].items()) or "nothing") + ".", "",
                  "| kind | texts | flagged | as `/v1/moderations` flags |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {k} | {g['texts']} | {g['flagged_share']:.3f} | {g['openai_flagged_share']:.3f} |" for k, g in r["by_kind"].items()]
        lines.append("")
    if (RESULTS / "fresh_ngram.json").exists():
        ng = json.loads((RESULTS / "fresh_ngram.json").read_text())
        lines += [f"The n-gram model alone (`--no-encoder`): everyday {ng['everyday']['flagged_share']:.1%}, look-alikes "
                  f"{ng['lookalikes']['flagged_share']:.1%}, violations flagged {ng['violations']['recall_any']:.3f} "
                  f"(own category {ng['violations']['recall_own']:.3f}).", ""]
    v = fr["violations"]
    u = v.get("unexposed")
    unexposed = (f" Without the rows marked `exposed` ({u['texts']} texts): own {u['recall_own']:.3f}, any {u['recall_any']:.3f}."
                 if u and u["texts"] < v["texts"] else "")
    lines += [f"Violations: {v['texts']} texts; flagged under their own category {v['recall_own']:.3f} (macro over categories "
              f"{v['macro_recall_own']:.3f}), under any {v['recall_any']:.3f}.{unexposed}", "",
              "| category | texts | recall (own) | recall (any) | flagged instead under |", "| --- | ---: | ---: | ---: | --- |"]
    for cid, p in v["categories"].items():
        lines.append(f"| `{cid}` | {p['texts']} | {p['recall_own']:.2f} | {p['recall_any']:.2f} | {', '.join(p['missed_went_to'])} |")
    return lines


def robustness() -> list[str]:
    if not (RESULTS / "robustness.json").exists():
        return []
    rb = json.loads((RESULTS / "robustness.json").read_text())
    lines = ["", "## Disguises (`benchmarks/robustness.py`)", "",
             f"{rb['violating']} held-out violating texts the Warden flags as written, and {rb['benign']} benign ones it passes, disguised.", "",
             "| disguise | violating still flagged | benign newly flagged |", "| --- | ---: | ---: |"]
    for name, r in rb["disguises"].items():
        lines.append(f"| {name} | {r['still_flagged']:.3f} | {r['benign_newly_flagged']:.3f} |")
    return lines


def context() -> list[str]:
    if not (RESULTS / "context.json").exists():
        return []
    cx = json.loads((RESULTS / "context.json").read_text())
    lines = ["", "## Answers with their prompt (`benchmarks/context.py`)", "",
             f"Held-out prompt and answer pairs; compliance model `{cx['compliance']}` (support {cx['support']}). "
             "Share of answers flagged when judged alone and with the prompt they reply to, and of the prompts themselves.", "",
             "| pairs | n | prompt flagged | answer flagged alone | answer flagged in context |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, r in cx["groups"].items():
        lines.append(f"| {name} | {r['n']} | {r['prompt_flagged']:.3f} | {r['answer_flagged_alone']:.3f} | {r['answer_flagged_in_context']:.3f} |")
    lines += ["", "| task | alone P / R / F1 | in context P / R / F1 |", "| --- | --- | --- |"]
    for name, both in cx["summary"].items():
        a, c = both["alone"], both["in_context"]
        lines.append(f"| {name} | {a['precision']:.3f} / {a['recall']:.3f} / {a['f1']:.3f} | {c['precision']:.3f} / {c['recall']:.3f} / {c['f1']:.3f} |")
    vp = cx.get("violating_prompts")
    if vp:
        lines += ["", f"The {vp['answers']} violating answers reply to only {vp['distinct']} distinct prompts ({vp['prompts_flagged']} of "
                  f"them flagged), so one prompt's verdict moves dozens of answers. Recall by prompt (the mean over prompts of the "
                  f"share of their violating answers flagged): alone {vp['recall_by_prompt_alone']:.3f}, in context "
                  f"{vp['recall_by_prompt_in_context']:.3f}."]
    return lines


def tuning() -> list[str]:
    if not (RESULTS / "tuning.json").exists():
        return []
    tu = json.loads((RESULTS / "tuning.json").read_text())
    names = list(tu["objectives"])
    lines = ["", "## Operating points (`benchmarks/tuning.py`)", "",
             f"Thresholds fitted by `policywarden tune` on {tu['calibration_prompts']:,} calibration prompts (never trained on) "
             f"for each objective, measured on {tu['heldout_prompts']:,} held-out prompts and on the policy's examples. "
             "An FPR bound is on the verdict (flagged under any category) over the calibration prompts; held-out rates differ. "
             "The shipped thresholds are themselves the F1 fit (training/calibrate_served.py), so F1 moves nothing.", "",
             "| thresholds | moved | precision | recall | F1 | FPR | policy examples recall (any) | look-alikes flagged |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in tu["objectives"].items():
        h, p = r["heldout"], r["policy_examples"]
        lines.append(f"| {name} | {r['thresholds_changed']} | {h['precision']:.3f} | {h['recall']:.3f} | {h['f1']:.3f} | {h['fpr']:.3f} | "
                     f"{p['recall_any']:.3f} | {p['lookalikes_flagged']:.3f} |")
    lines += ["", "Benign held-out prompts flagged, by source:", "",
              "| source | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for src in tu["objectives"][names[0]]["benign_flagged_by_source"]:
        lines.append(f"| {src} | " + " | ".join(f"{tu['objectives'][n]['benign_flagged_by_source'][src]:.3f}" for n in names) + " |")
    return lines


def ledger_and_proxy() -> list[str]:
    lines: list[str] = []
    if (RESULTS / "ledger.json").exists():
        lg = json.loads((RESULTS / "ledger.json").read_text())
        lines += [
            "", "## Enforcement ledger on PostgreSQL (`benchmarks/ledger.py`)", "",
            f"Measured {lg['machine']['when']}; each event is a violation with its strike, ladder decision, audit entry and idempotency key, in one transaction.",
            "", "| figure | value |", "| --- | --- |",
            f"| events recorded per second, 1 thread / 4 threads (in process) | {lg['record_events_per_second_1_thread']} / {lg['record_events_per_second_4_threads']} |",
            f"| events per second over `POST /v1/events` (16 clients, 2 workers) | {lg['http_events_per_second_16_clients_2_workers']} |",
            f"| standing check p50 / p99, in process | {lg['standing_p50_ms']} ms / {lg['standing_p99_ms']} ms |",
            f"| standing check p50 / p99, `GET /v1/standing` | {lg['http_standing_p50_ms']} ms / {lg['http_standing_p99_ms']} ms |",
        ]
    if (RESULTS / "proxy.json").exists():
        px = json.loads((RESULTS / "proxy.json").read_text())
        lines += ["", "## Guard proxy (`benchmarks/proxy.py`)", "",
                  f"Measured {px['machine']['when']}; added latency of the proxy over calling the upstream directly.", "",
                  "| case | direct p50 | proxy p50 | added p50 | added p99 |", "| --- | ---: | ---: | ---: | ---: |"]
        for name, row in px["non_streaming"].items():
            lines.append(f"| non-streaming, {name.replace('_', ' ')} | {row['p50']['direct_ms']} ms | {row['p50']['proxy_ms']} ms | "
                         f"{row['p50']['added_ms']} ms | {row['p99']['added_ms']} ms |")
        for mode, rows in px["streaming_ttft"].items():
            for name, row in rows.items():
                if isinstance(row, dict) and "p50" in row:
                    lines.append(f"| time to first token, {mode}, {name.replace('_', ' ')} | {row['p50']['direct_ms']} ms | "
                                 f"{row['p50']['proxy_ms']} ms | {row['p50']['added_ms']} ms | {row['p99']['added_ms']} ms |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", action="store_true", help="only rewrite RESULTS.md from the JSON in benchmarks/results")
    if not ap.parse_args().report:
        run_all()
    (HERE / "RESULTS.md").write_text(report())
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
