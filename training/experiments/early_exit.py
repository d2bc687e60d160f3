"""Could the encoder stop after its first (or second) layer on texts that are plainly benign?

    .venv-train/bin/python training/experiments/early_exit.py [--layer 0] [--train 15000]

The shipped encoder is extended with its layer outputs; a linear head on the mean-pooled output
of `--layer` is fitted to the full encoder's calibrated scores (train rows), and a second gate on
that head (the largest that clears no more than calibrate_cascade's loss budget of the
calibration positives the cascade catches) decides which texts read the remaining layers.
Reports, on calibration and held-out rows the n-gram model sends on, the share that would exit
early, the caught rows lost, and the whole-text verdict figures; and the share of the speed
benchmark's messages that would exit.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_encoder import label_matrix  # noqa: E402
from calibrate_cascade import MAX_RECALL_LOSS, with_assumed_negatives  # noqa: E402
from shipped_cascade import cache_path, shipped, splits  # noqa: E402
from speed import benign_written, messages  # noqa: E402

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import pad  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402
from policywarden.training.metrics import binary_metrics  # noqa: E402


def extended(src: Path, dest: Path, layers: list[int]) -> None:
    import onnx

    m = onnx.load(str(src))
    for k in layers:
        name = f"/encoder/encoder/layer.{k}/output/LayerNorm/LayerNormalization_output_0"
        m.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    onnx.save(m, str(dest))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "training" / "out"))
    ap.add_argument("--layers", default="0,1")
    ap.add_argument("--train", type=int, default=15000)
    args = ap.parse_args()
    layers = [int(x) for x in args.layers.split(",")]
    work = Path(args.work)
    c = shipped()
    warden, casc, linear, enc, heads, cols, th = c.warden, c.casc, c.linear, c.enc, c.heads, c.cols, c.th

    import onnxruntime as ort

    ext = work / "experiments" / "encoder-layers.onnx"
    ext.parent.mkdir(parents=True, exist_ok=True)
    extended(default_model_dir() / "encoder" / "encoder.onnx", ext, layers)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(ext), opts, providers=["CPUExecutionProvider"])
    outs = ["logits"] + [f"/encoder/encoder/layer.{k}/output/LayerNorm/LayerNormalization_output_0" for k in layers]
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(2)

    def run(ids: list[int]):
        i, mk = pad([ids])
        res = sess.run(outs, {"input_ids": i, "attention_mask": mk})
        return res[0][0], [r[0].mean(axis=0) for r in res[1:]]

    def features(texts: list[str]):
        # Keyed by a digest of the texts: hash() of strings changes from run to run.
        cache = cache_path(work, f"early_exit_layers{args.layers.replace(',', '-')}", texts, enc.meta.get("onnx_sha256"), ".npz")
        if cache.exists():
            z = np.load(cache)
            return z["logits"], [z[f"l{k}"] for k in layers]
        encoded = [e.ids for e in enc.tokenizer.encode_batch(texts)]
        res = list(pool.map(run, encoded))
        logits = np.stack([r[0] for r in res])
        feats = [np.stack([r[1][j] for r in res]) for j in range(len(layers))]
        np.savez(cache, logits=logits, **{f"l{k}": f for k, f in zip(layers, feats)})
        return logits, feats

    fit_rows, cal, held = splits(work, linear)
    rng = random.Random(0)
    fit_rows = rng.sample(fit_rows, min(args.train, len(fit_rows)))
    data = {}
    for name, recs in (("fit", fit_rows), ("cal", cal), ("heldout", held)):
        norm = [normalize(r.text) for r in recs]
        lin = linear.score(norm)
        esc = casc.escalated(lin)
        logits, feats = features([t for t, e in zip(norm, esc) if e])
        y = with_assumed_negatives(label_matrix(recs, heads), recs, heads)
        data[name] = dict(lin=lin, esc=esc, logits=logits, feats=feats, y=y, recs=recs)
        print(f"{name}: {len(recs)} rows, {int(esc.sum())} sent to the encoder", flush=True)

    import torch

    for j, k in enumerate(layers):
        X = torch.tensor(data["fit"]["feats"][j], dtype=torch.float32)
        mu, sd = X.mean(0), X.std(0) + 1e-6
        target = torch.tensor(enc.calibrated(data["fit"]["logits"]), dtype=torch.float32)
        torch.manual_seed(0)  # the head's initial weights: the same figures on every run
        head = torch.nn.Linear(X.shape[1], len(heads))
        opt = torch.optim.Adam(head.parameters(), lr=3e-3, weight_decay=1e-5)
        Xn = (X - mu) / sd
        for _ in range(600):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(head(Xn), target)
            loss.backward()
            opt.step()

        def exit_scores(d):
            with torch.no_grad():
                p = torch.sigmoid(head((torch.tensor(d["feats"][j]) - mu) / sd)).numpy()
            lin_e = d["lin"][d["esc"]][:, cols]
            return casc.weight * p + (1 - casc.weight) * lin_e  # the blend the exit head predicts

        # The second gate, fitted on calibration rows as the first: ratio of predicted blend to threshold.
        d = data["cal"]
        full = casc.weight * enc.calibrated(d["logits"]) + (1 - casc.weight) * d["lin"][d["esc"]][:, cols]
        caught = ((full >= th) & (d["y"][d["esc"]] == 1)).any(axis=1)
        ratio = (exit_scores(d) / th).max(axis=1)
        budget = int(MAX_RECALL_LOSS * caught.sum())
        gate = 0.0
        for g in np.arange(0.05, 1.0, 0.025):
            if (caught & (ratio < g)).sum() <= budget:
                gate = float(g)
        print(f"layer {k}: exit head loss {loss.item():.4f}; second gate {gate:.3f} (budget {budget} of {int(caught.sum())})")
        for name in ("cal", "heldout"):
            d = data[name]
            full = casc.weight * enc.calibrated(d["logits"]) + (1 - casc.weight) * d["lin"][d["esc"]][:, cols]
            yy = d["y"][d["esc"]]
            caught = ((full >= th) & (yy == 1)).any(axis=1)
            stay = (exit_scores(d) / th).max(axis=1) >= gate
            policy = [i for i, h in enumerate(heads) if not h.startswith("openai:") and h != "any"]
            y_any = label_matrix(d["recs"], ["any"])[:, 0]
            n = len(d["recs"])
            served = np.minimum(d["lin"][:, cols], th * 0.999)
            rows = np.flatnonzero(d["esc"])
            before, after = served.copy(), served.copy()
            before[rows] = full
            after[rows[stay]] = full[stay]
            known = y_any >= 0
            figs = []
            for s in (before, after):
                flagged = (s[:, policy] >= th[policy]).any(axis=1)
                figs.append(binary_metrics((y_any[known] == 1).astype(int), flagged[known].astype(float), 0.5))
            print(f"  {name:8} rows sent on {len(rows)}/{n}; exit early {1 - stay.mean():.3f} of them; caught rows lost "
                  f"{int((caught & ~stay).sum())}/{int(caught.sum())}; verdict F1 {figs[0]['f1']:.4f} -> {figs[1]['f1']:.4f}, "
                  f"recall {figs[0]['recall']:.4f} -> {figs[1]['recall']:.4f}, FPR {figs[0]['fpr']:.4f} -> {figs[1]['fpr']:.4f}")
        for name, texts in (("speed messages", messages(2000, 1)), ("benign written", benign_written())):
            units = [u for m in texts for u in warden.units(m)]
            lin = linear.score(units)
            esc = casc.escalated(lin)
            logits, feats = features([u for u, e in zip(units, esc) if e])
            d = dict(lin=lin, esc=esc, feats=feats)
            stay = (exit_scores(d) / th).max(axis=1) >= gate
            print(f"  {name}: {esc.mean():.3f} of units sent on, {1 - stay.mean():.3f} of those exit early")


if __name__ == "__main__":
    main()
