"""Speed and footprint of the embedded classifier, in process.

    python benchmarks/speed.py

Batched throughput of short messages (random word salad, and the project's written benign
texts), single-message latency (p50/p99), a 2,000-word input scored whole (the written benign
texts one after another: every window, sentence and short window distinct), model load time and
resident memory; for the two-stage default (n-gram model, then the encoder for what it does not
clear) and for the n-gram model alone (`encoder=False`).

    python benchmarks/speed.py --gate 0.8 --json F   # with another encoder gate (figures to F only)
    python benchmarks/speed.py --model DIR --json F  # a candidate model directory (figures to F only)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import time

from common import ROOT, candidate_options, emit

from policywarden import Warden

WORDS = ("the a to of and how can i my you what is for in on with make get help write tell about why when this that "
         "friend school work money code email story recipe city movie game health car phone travel music kill bomb "
         "hate steal buy sell learn").split()


def messages(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 24))) for _ in range(n)]


def benign_written() -> list[str]:
    """The project's written benign texts: everyday requests with strong words, and look-alikes on
    sensitive topics (medicine, security, history, fiction). Real sentences, unlike the word
    salad above, of the kind that makes the first stage hesitate."""
    texts = []
    for name in ("benign.everyday.jsonl", "benign.lookalikes.jsonl"):
        with open(ROOT / "training" / "written" / name, encoding="utf-8") as f:
            texts.extend(json.loads(line)["text"] for line in f if line.strip())
    return texts


def throughput(warden: Warden, texts: list[str], rounds: int = 1) -> float:
    t = time.perf_counter()
    for _ in range(rounds):
        for i in range(0, len(texts), 256):
            warden.moderate(texts[i : i + 256])
    return len(texts) * rounds / (time.perf_counter() - t)


def measure(encoder: bool, gate: float | None = None, model: str | None = None) -> dict:
    t0 = time.perf_counter()
    warden = Warden(model_dir=model, encoder=encoder, encoder_cache=0, encoder_gate=gate)  # the models, not the cache: rounds below repeat texts
    load_s = time.perf_counter() - t0
    warden.moderate(messages(50, 99))  # warm-up

    batch = messages(4000, 1)
    batched = throughput(warden, batch)
    benign = benign_written()
    benign_rate = throughput(warden, benign, rounds=3)

    singles = messages(500, 2)
    lat = []
    for m in singles:
        t = time.perf_counter()
        warden.moderate([m])
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()

    # Distinct sentences: a text that repeats itself would have its repeated windows scored once.
    long_text = " ".join(" ".join(benign).split()[:2000])
    t = time.perf_counter()
    v = warden.check(long_text)
    long_ms = (time.perf_counter() - t) * 1000

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    escalated = escalated_benign = None
    if encoder and hasattr(warden.scorer, "escalated"):
        def share(texts: list[str]) -> float:
            units = [u for m in texts for u in warden.units(m)]
            return round(float(warden.scorer.escalated(warden.model.score(units)).mean()), 4)

        escalated, escalated_benign = share(batch), share(benign)
    return {
        "model": warden.model_version,
        "load_seconds": round(load_s, 2),
        "batched_messages_per_second": round(batched),
        "benign_written_messages_per_second": round(benign_rate),
        "benign_written_texts": len(benign),
        "single_p50_ms": round(statistics.median(lat), 2),
        "single_p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2),
        "long_2000_words_ms": round(long_ms, 1),
        "long_2000_words_windows": v.windows,
        "peak_rss_mb": round(rss_mb),
        "escalated_share": escalated,
        "escalated_share_benign_written": escalated_benign,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    candidate_options(ap)
    args = ap.parse_args()
    # The n-gram model alone first: peak memory is per process and only grows.
    alone = measure(encoder=False, model=args.model)
    result = measure(encoder=True, gate=args.gate, model=args.model)
    result["ngram_only"] = alone
    result["encoder_gate"] = args.gate
    for k, val in result.items():
        if k != "ngram_only":
            print(f"{k:28} {val}   (n-gram only: {alone.get(k)})")
    emit("speed", result, args)


if __name__ == "__main__":
    main()
