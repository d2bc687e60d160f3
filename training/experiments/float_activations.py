"""The shipped int8 encoder with float32 activations: same weights, no per-call quantisation.

    python training/experiments/float_activations.py [--n 1000] [--batch 32]

The shipped encoder quantises each matrix product's input per call (`DynamicQuantizeLinear`):
a text's scores then depend on the kernels of the CPU (VNNI or not) and, batched, on the other
texts of the batch, which is why it runs one text per call. This rewrites the graph so that
every `MatMulInteger` becomes a float32 `MatMul` on the dequantised int8 weights (the exact
values the int8 model multiplies by), and prints, on this CPU:
- how far the logits move from the shipped model's (max, mean, 99th percentile);
- whether batching changes a text's scores (largest difference batched against one per call);
- texts a second, encoder alone: shipped one per call on a pool of threads (as served) against
  the float variant one per call and batched (sorted by length, all cores per call).
The texts are the first N prompts of the calibration split (training/out). Needs `onnx`
(the `train-encoder` extra). Nothing is written to the package.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_encoder import calibration_prompts  # noqa: E402
from common import cpu  # noqa: E402
from quant_drift import session  # noqa: E402  (beside this script)

from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.classify.encoder import pad  # noqa: E402
from policywarden.text.normalize import normalize  # noqa: E402


def float_activations(src: Path, dst: Path) -> None:
    """Replace DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scales) by MatMul in float32."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    users: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)

    def unquantised(name: str) -> str:
        node = producer[name]
        if node.op_type != "DynamicQuantizeLinear":
            raise SystemExit(f"unexpected producer {node.op_type} of {name}")
        return node.input[0]

    dropped, added, weights = set(), [], []
    for n in g.node:
        if n.op_type != "MatMulInteger":
            continue
        (cast,) = users[n.output[0]]
        (mul,) = users[cast.output[0]]
        if (cast.op_type, mul.op_type) != ("Cast", "Mul"):
            raise SystemExit(f"unexpected pattern after {n.name}: {cast.op_type}, {mul.op_type}")
        b = n.input[1]
        if b in inits:  # a weight: dequantise it once, here
            zp_name = n.input[3]
            scale = numpy_helper.to_array(inits[zp_name.removesuffix("_zero_point") + "_scale"])
            w = (numpy_helper.to_array(inits[b]).astype(np.float32) - numpy_helper.to_array(inits[zp_name]).astype(np.float32)) * scale
            weights.append(numpy_helper.from_array(w.astype(np.float32), b + "_float"))
            b = b + "_float"
        else:  # two activations (attention)
            b = unquantised(b)
        added.append(helper.make_node("MatMul", [unquantised(n.input[0]), b], [mul.output[0]], name=n.name + "_float"))
        dropped.update((n.name, cast.name, mul.name))
    nodes = [n for n in g.node if n.name not in dropped] + added
    # Keep what the outputs need (the quantisers are now dead), in topological order.
    producer = {o: n for n in nodes for o in n.output}
    live, stack = set(), [o.name for o in g.output]
    while stack:
        node = producer.get(stack.pop())
        if node is not None and node.name not in live:
            live.add(node.name)
            stack.extend(i for i in node.input if i)
    ready = {i.name for i in g.input} | set(inits) | {w.name for w in weights} | {""}
    pending, ordered = [n for n in nodes if n.name in live], []
    while pending:
        rest = []
        for n in pending:
            if all(i in ready for i in n.input):
                ordered.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise SystemExit("graph has a cycle or a missing input")
        pending = rest
    used = {i for n in ordered for i in n.input}
    keep = [i for i in [*g.initializer, *weights] if i.name in used]
    del g.node[:]
    g.node.extend(ordered)
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def run(sess, ids_list) -> np.ndarray:
    ids, mask = pad(list(ids_list))
    return sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]


def one_per_call(path: Path, encoded, cores: int) -> tuple[np.ndarray, float]:
    sess = session(path, 1)
    run(sess, encoded[:1])
    with ThreadPoolExecutor(cores) as pool:
        t = time.perf_counter()
        out = np.concatenate(list(pool.map(lambda e: run(sess, [e]), encoded)))
    return out, len(encoded) / (time.perf_counter() - t)


def batched(path: Path, encoded, cores: int, size: int) -> tuple[np.ndarray, float]:
    sess = session(path, cores)
    run(sess, encoded[:1])
    order = np.argsort([len(e) for e in encoded], kind="stable")
    out = None
    t = time.perf_counter()
    for k in range(0, len(order), size):
        sel = order[k : k + size]
        rows = run(sess, [encoded[j] for j in sel])
        out = np.zeros((len(encoded), rows.shape[1]), np.float32) if out is None else out
        out[sel] = rows
    return out, len(encoded) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    from tokenizers import Tokenizer

    enc_dir = default_model_dir() / "encoder"
    meta = json.loads((enc_dir / "model.json").read_text())
    cal, _ = calibration_prompts(ROOT / "training" / "out", json.loads((default_model_dir() / "model.json").read_text()), meta)
    tok = Tokenizer.from_file(str(enc_dir / "tokenizer.json"))
    tok.enable_truncation(int(meta["max_len"]))
    tok.no_padding()
    encoded = [e.ids for e in tok.encode_batch([normalize(r.text) for r in cal[: args.n]])]
    cores = min(4, len(os.sched_getaffinity(0)))
    print(f"cpu {cpu()}; {meta['version']}; {len(encoded)} calibration prompts; {cores} cores")
    with tempfile.TemporaryDirectory() as tmp:
        variant = Path(tmp) / "float.onnx"
        float_activations(enc_dir / "encoder.onnx", variant)
        shipped, shipped_rate = one_per_call(enc_dir / "encoder.onnx", encoded, cores)
        single, single_rate = one_per_call(variant, encoded, cores)
        batch, batch_rate = batched(variant, encoded, cores, args.batch)
    drift = np.abs(single - shipped)
    print(f"logit drift from the shipped model: max {drift.max():.3f}  p99 {np.quantile(drift, 0.99):.3f}  mean {drift.mean():.4f}")
    print(f"float variant, batched against one per call: max |difference| {np.abs(batch - single).max():.2e}")
    print(f"texts a second (encoder alone): shipped one per call {shipped_rate:.0f}; float one per call {single_rate:.0f}; "
          f"float batched by {args.batch} {batch_rate:.0f}")


if __name__ == "__main__":
    main()
