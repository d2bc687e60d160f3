"""Refit some of the shipped encoder's heads on its frozen features, so that written examples it
was never trained on reach it without a two-hour retrain on two cores.

    python training/refit_heads.py --out DIR --version V [--heads H,H,...] [--new SOURCE ...] [--weight K]
    then, on a model directory holding DIR as its encoder/: calibrate_cascade.py --rescore,
    calibrate_served.py, calibrate_fine.py, calibrate_unattributed.py, self_test.py, and
    merge_cascade.py to keep the shipped cascade but for the refitted heads' thresholds

The features are the head's input, the mean-pooled last layer, read from the int8 graph as served
(one text per call). Each refitted head starts from its shipped weights and learns the examples
of the `--new` sources from their labels (weighted K times) while following, on every other
training example `make encoder` chose, the shipped head's own probabilities: self-distillation,
which keeps the head where the new examples do not speak. The other heads' weights, scales and
bias are left byte for byte, so they score exactly as before; a refitted head's column is
quantised again (7 bits, per channel, as `--reduce-range` does). Platt scaling and a threshold
are fitted again for the refitted heads on the calibration rows, as build_encoder.py does; the
cascade is then calibrated as after any new encoder.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from build_encoder import (  # noqa: E402
    calibration_split,
    label_matrix,
    load_records,
    ordinary_answers,
    select,
    texts_digest,
)

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import pad  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import best_threshold  # noqa: E402

# The heads that flag a statement for naming a group (MODEL_CARD, Limits).
IDENTITY_HEADS = ("protect.harassment", "openai:harassment", "openai:harassment/threatening", "openai:hate",
              "openai:hate/threatening", "any")
HEAD_WEIGHT = "head.weight_Transposed_quantized"  # the int8 head, (hidden, heads)
SEVEN_BIT = 63  # largest weight magnitude of a 7-bit symmetric column (reduce_range)


class Graph:
    """The encoder's ONNX graph, its head's tensors, and a session that also returns the pooled
    features the head reads."""

    def __init__(self, path: Path, threads: int):
        import onnx
        import onnxruntime as ort
        from onnx import numpy_helper

        self.model = onnx.load(str(path))
        g = self.model.graph
        self.inits = {t.name: t for t in g.initializer}
        head = next(n for n in g.node if n.op_type == "MatMulInteger" and n.input[1] == HEAD_WEIGHT)
        quant = next(n for n in g.node if head.input[0] in n.output)  # DynamicQuantizeLinear of the pooled vector
        self.pooled = quant.input[0]
        scale_name = HEAD_WEIGHT.replace("_quantized", "_scale")
        zero_name = HEAD_WEIGHT.replace("_quantized", "_zero_point")
        if np.any(numpy_helper.to_array(self.inits[zero_name])):
            raise SystemExit("the head's weights are not symmetric (non-zero zero points): cannot refit them here")
        self.names = {"weight": HEAD_WEIGHT, "scale": scale_name, "bias": "head.bias"}
        self.w_q = numpy_helper.to_array(self.inits[HEAD_WEIGHT]).copy()
        self.scale = numpy_helper.to_array(self.inits[scale_name]).copy()
        self.bias = numpy_helper.to_array(self.inits["head.bias"]).copy()
        probe = onnx.ModelProto()
        probe.CopyFrom(self.model)
        probe.graph.output.append(onnx.helper.make_tensor_value_info(self.pooled, onnx.TensorProto.FLOAT, None))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(probe.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        self.threads = threads

    def weights(self) -> np.ndarray:
        """Dequantised head weights, (hidden, heads)."""
        return self.w_q.astype(np.float32) * self.scale

    def features(self, encoded: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """(pooled features, logits) per text, one text per call as served."""

        def one(ids: list[int]):
            i, m = pad([ids])
            logits, pooled = self.session.run(["logits", self.pooled], {"input_ids": i, "attention_mask": m})
            return pooled[0], logits[0]

        with ThreadPoolExecutor(self.threads) as pool:
            rows = list(pool.map(one, encoded, chunksize=64))
        return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])

    def write(self, dest: Path, columns: dict[int, tuple[np.ndarray, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The graph with the given head columns replaced ({column: (float weights, bias)}) saved
        to `dest`; returns the head written: (int8 weights, scales, bias)."""
        import onnx
        from onnx import numpy_helper

        w_q, scale, bias = self.w_q.copy(), self.scale.copy(), self.bias.copy()
        for j, (w, b) in columns.items():
            s = float(np.abs(w).max()) / SEVEN_BIT
            if not s > 0:  # an all-zero (or NaN) column has no scale
                raise SystemExit(f"head column {j}: no weights to quantise")
            w_q[:, j] = np.clip(np.round(w / s), -SEVEN_BIT - 1, SEVEN_BIT).astype(np.int8)
            scale[j], bias[j] = s, b
        for key, arr in (("weight", w_q), ("scale", scale), ("bias", bias)):
            self.inits[self.names[key]].CopyFrom(numpy_helper.from_array(arr, self.names[key]))
        onnx.save(self.model, str(dest))
        return w_q, scale, bias


def served_logits(pooled: np.ndarray, w_q: np.ndarray, scale: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The head as the int8 graph computes it: the pooled vector quantised per call (uint8,
    DynamicQuantizeLinear's rule), an integer product, then the scales and the bias."""
    lo = np.minimum(pooled.min(axis=1, keepdims=True), 0.0)
    hi = np.maximum(pooled.max(axis=1, keepdims=True), 0.0)
    s = (hi - lo) / 255.0
    s = np.where(s == 0, 1.0, s)
    zp = np.clip(np.round(-lo / s), 0, 255)
    q = np.clip(np.round(pooled / s) + zp, 0, 255)
    acc = (q - zp) @ w_q.astype(np.float64)
    return (acc * s * scale + bias).astype(np.float32)


def head_loss(x: np.ndarray, target: np.ndarray, weight: np.ndarray, pos_weight: np.ndarray, w0: np.ndarray,
              l2: float):
    """theta (weights, then bias) -> (loss, gradient): weighted binary cross-entropy on soft
    targets (each row's positive part weighted by its `pos_weight`) plus l2/2 |w - w0|^2."""
    x64, t, wt = x.astype(np.float64), target.astype(np.float64), weight.astype(np.float64)
    pw = pos_weight.astype(np.float64)
    total = wt.sum()

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        z = x64 @ w + b
        log_p = -np.logaddexp(0.0, -z)
        log_q = -np.logaddexp(0.0, z)
        per = -(pw * t * log_p + (1 - t) * log_q)
        p = np.exp(log_p)
        grad_z = wt * (pw * t * (p - 1) + (1 - t) * p) / total
        d = w - w0
        value = float((wt * per).sum() / total + 0.5 * l2 * d @ d)
        return value, np.concatenate([x64.T @ grad_z + l2 * d, [grad_z.sum()]])

    return loss


def fit_head(x: np.ndarray, target: np.ndarray, weight: np.ndarray, pos_weight: np.ndarray, w0: np.ndarray, b0: float,
             l2: float) -> tuple[np.ndarray, float]:
    """`head_loss` minimised from (w0, b0) by L-BFGS."""
    from scipy.optimize import minimize

    res = minimize(head_loss(x, target, weight, pos_weight, w0, l2), np.concatenate([w0, [b0]]).astype(np.float64),
                   jac=True, method="L-BFGS-B", options={"maxiter": 500})
    if not res.success:  # still the best point found; said, not hidden
        print(f"  L-BFGS stopped before converging: {res.message}", flush=True)
    return res.x[:-1].astype(np.float32), float(res.x[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--encoder", default=str(default_model_dir() / "encoder"), help="the encoder to start from")
    ap.add_argument("--out", required=True, help="the new encoder directory")
    ap.add_argument("--version", required=True)
    ap.add_argument("--heads", default=",".join(IDENTITY_HEADS), help="comma-separated heads to refit")
    ap.add_argument("--new", nargs="+", default=["written:benign.identity"],
                    help="sources learnt from their labels (the rest follow the shipped head)")
    ap.add_argument("--weight", type=float, default=16.0, help="loss weight of a --new example (session 30 chose 16 of "
                                                                   "4, 16 and 64 on the calibration rows and the new files' held-out rows)")
    ap.add_argument("--l2", type=float, default=1e-3, help="pull towards the shipped weights")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="../shared/data, for the ordinary answers")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    from sklearn.linear_model import LogisticRegression
    from tokenizers import Tokenizer

    t0 = time.time()
    src, out = Path(args.encoder), Path(args.out)
    if out.resolve() == src.resolve():
        raise SystemExit("--out must be a new directory, not the encoder refitted")
    shipped = json.loads((src / "model.json").read_text())
    meta = copy.deepcopy(shipped)
    heads = list(meta["heads"])
    refit = [h.strip() for h in args.heads.split(",") if h.strip()]
    unknown = [h for h in refit if h not in heads]
    if unknown:
        raise SystemExit(f"no such head in {src}: {', '.join(unknown)}")
    cols = [heads.index(h) for h in refit]
    tr = meta["training"]

    # The examples `make encoder` chose, chosen again (same seed and caps), and the calibration rows.
    records, _ = load_records(Path(args.work))
    train = [r for r in records if r.split == "train"]
    linear_meta = json.loads((default_model_dir() / "model.json").read_text())
    fit_recs, cal_recs, _ = calibration_split(train, linear_meta, meta)
    chosen = select(fit_recs, heads, tr["neg_per_source"] + tr["extra_neg_per_source"], tr["seed"])
    # Older model.json files lack the answers' settings: `make encoder`'s (600 answers, 3 pieces).
    answers = ordinary_answers(Path(args.data), tr.get("answers_per_source", 600), tr.get("pieces_per_answer", 3), tr["seed"])
    new = set(args.new)
    missing = new - {fit_recs[i].source for i in chosen}
    if missing:
        raise SystemExit(f"no training examples from {', '.join(sorted(missing))} (is the file in training/written?)")
    texts = [normalize(fit_recs[i].text) for i in chosen] + [piece for _, piece in answers]
    y = np.concatenate([label_matrix([fit_recs[i] for i in chosen], heads),
                        np.zeros((len(answers), len(heads)), np.int8)]).astype(np.float32)
    is_new = np.array([fit_recs[i].source in new for i in chosen] + [False] * len(answers))
    cal_texts = [normalize(r.text) for r in cal_recs]
    held_recs = [r for r in records if r.split != "train" and r.source in new]
    held_new = [normalize(r.text) for r in held_recs]
    held_benign = np.array([not r.labels for r in held_recs], bool)

    graph = Graph(src / "encoder.onnx", args.threads)
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(int(meta["max_len"]))
    tok.no_padding()

    def features(batch: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # Cached by graph and texts: minutes to compute, reused when trying other weights.
        key = hashlib.sha256(f"{meta['onnx_sha256']}|{texts_digest(batch)}".encode()).hexdigest()[:16]
        path = Path(args.work) / "encoder" / f"features-{key}.npz"
        if path.exists():
            saved = np.load(path)
            return saved["x"], saved["z"]
        x_, z_ = graph.features([e.ids for e in tok.encode_batch(batch)])
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, x=x_, z=z_)
        return x_, z_

    x, z0 = features(texts)
    x_cal, z0_cal = features(cal_texts)
    x_held, z0_held = features(held_new)
    check = np.abs(served_logits(x_cal, graph.w_q, graph.scale, graph.bias) - z0_cal).max()
    print(f"{len(texts)} training texts ({int(is_new.sum())} new), {len(cal_texts)} calibration rows; "
          f"features in {time.time() - t0:.0f} s; the head recomputed from them is {check:.2e} off the graph", flush=True)
    if check > 1e-3:
        raise SystemExit("the head recomputed from the features does not match the graph: refusing to refit it")
    # The probe session runs onnxruntime's fused kernels; the served model falls back to unfused
    # ones on a CPU where those fail its self-test. The features must be the served ones.
    from policywarden.classify.encoder import EncoderModel

    served = EncoderModel(src, threads=args.threads, cache_size=0).logits(cal_texts[:200])
    if np.abs(served - z0_cal[:200]).max() > 1e-3:
        raise SystemExit("the probe graph scores otherwise than the served encoder on this CPU: refusing to refit it")

    w0, y_cal = graph.weights(), label_matrix(cal_recs, heads)
    columns, report = {}, {}
    for h, j in zip(refit, cols):
        p0 = 1 / (1 + np.exp(-z0[:, j]))
        known = y[:, j] >= 0
        # New examples follow their labels where known; every other text follows the shipped head.
        target = np.where(is_new & known, y[:, j], p0)
        weight = np.where(is_new, np.where(known, args.weight, 0.0), 1.0)
        # Labels weigh positives as training did; the shipped head's probabilities are matched as they are.
        pos_weight = np.where(is_new, float(tr["pos_weight"].get(h, 1.0)), 1.0)
        w, b = fit_head(x, target, weight, pos_weight, w0[:, j], float(graph.bias[j]), args.l2)
        columns[j] = (w, b)
        report[h] = {"weights_moved": round(float(np.linalg.norm(w - w0[:, j]) / np.linalg.norm(w0[:, j])), 4)}

    out.mkdir(parents=True, exist_ok=True)
    head = graph.write(out / "encoder.onnx", columns)
    shutil.copy(src / "tokenizer.json", out / "tokenizer.json")

    # Platt scaling and thresholds again for the refitted heads, on the calibration rows, as built.
    z_cal, held_z = served_logits(x_cal, *head), served_logits(x_held, *head)
    held0 = calibrate(z0_held, *np.array([shipped["platt"][h] for h in heads]).T)
    for h, j in zip(refit, cols):
        known = y_cal[:, j] >= 0
        yy, zz = y_cal[known, j], z_cal[known, j]
        a, b = 1.0, 0.0
        if (yy == 1).sum() >= 20 and (yy == 0).sum() >= 20:
            lr = LogisticRegression(C=100.0).fit(zz.reshape(-1, 1), yy)
            a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        meta["platt"][h] = [round(a, 5), round(b, 5)]
        p = calibrate(zz, a, b)
        meta["thresholds"][h] = round(float(best_threshold(yy == 1, p, floor=0.3)), 4) if (yy == 1).sum() >= 3 else 0.5
        a0, b0 = shipped["platt"][h]
        old = calibrate(z0_cal[known, j], a0, b0)
        report[h].update(calibration_positives=int((yy == 1).sum()),
                         calibration_f1=[round(f1(yy == 1, old >= shipped["thresholds"][h]), 4),
                                         round(f1(yy == 1, p >= meta["thresholds"][h]), 4)],
                         # held-out examples of the new sources flagged, before and after: [benign, harmful]
                         new_heldout_flagged=[[int((flags[held_benign]).sum()), int((flags[~held_benign]).sum())]
                                              for flags in (held0[:, j] >= shipped["thresholds"][h],
                                                            calibrate(held_z[:, j], a, b) >= meta["thresholds"][h])])
    digest = hashlib.sha256((out / "encoder.onnx").read_bytes()).hexdigest()[:12]
    meta.update(version=args.version, onnx_sha256=digest)
    meta.pop("self_test", None)  # written again by self_test.py for the new graph
    meta["training"]["refit"] = {
        "from": shipped["version"],
        "heads": refit, "new_sources": sorted(new), "new_weight": args.weight, "l2": args.l2,
        "new_examples": int(is_new.sum()), "examples": len(texts), "report": report,
    }
    (out / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    for h, r in report.items():
        print(f"{h:32s} moved {r['weights_moved']:.3f}  calibration F1 {r['calibration_f1'][0]:.4f} -> "
              f"{r['calibration_f1'][1]:.4f} ({r['calibration_positives']} positives); held-out new examples flagged "
              f"(benign, harmful) {r['new_heldout_flagged'][0]} -> {r['new_heldout_flagged'][1]} "
              f"of {int(held_benign.sum())}, {int((~held_benign).sum())}")
    print(f"wrote {out} ({args.version}) in {(time.time() - t0) / 60:.1f} min", flush=True)


def calibrate(z: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(a * z + b)))


def f1(truth: np.ndarray, flagged: np.ndarray) -> float:
    tp = float((truth & flagged).sum())
    return 2 * tp / max(1.0, float(truth.sum() + flagged.sum()))


if __name__ == "__main__":
    main()
