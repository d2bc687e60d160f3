"""Requantise an int8 encoder's weights to 7 bits, for a model whose float32 export is gone.

    python training/requantise.py SRC_ENCODER_DIR DEST_ENCODER_DIR --version V   # needs `onnx` (train-encoder extra)

x86 CPUs without VNNI sum int8 products in int16, which saturates with 8-bit weights, so an
8-bit model scores differently on them (see build_encoder.quantise). Each `MatMulInteger`
weight w (int8, symmetric per channel) becomes round(w / 2), within [-64, 64] as onnxruntime's
own 7-bit (`reduce_range`) quantisation, and its scale doubles. Rounding twice costs more than
quantising the float32 export to 7 bits (`build_encoder.py --from-onnx ... --reduce-range`, the
better path when the export exists): pw-minilm-2026.12.9, made this way from 2026.12.5, moved
logits by 0.15 on average. The scores move, so the cascade is recalibrated afterwards:
calibrate_cascade.py --rescore, calibrate_served.py, calibrate_fine.py,
calibrate_unattributed.py (the Platt parameters are kept).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np


def requantise(src: Path, dest: Path) -> int:
    """Writes the 7-bit model; returns how many weight matrices it changed."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    # Other integer operators (QAttention from a fused graph, say) would keep 8-bit weights.
    other = sorted({n.op_type for n in model.graph.node} & {"QAttention", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
                                                            "QLinearMatMul", "ConvInteger", "QLinearConv"})
    if other:
        raise SystemExit(f"{src}: integer operators this script does not rewrite: {', '.join(other)}")
    inits = {i.name: i for i in model.graph.initializer}
    users: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    done: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or node.input[1] in done:
            continue
        wname = node.input[1]
        zname = node.input[3] if len(node.input) > 3 else ""
        sname = wname.removesuffix("_quantized") + "_scale"
        if sname not in inits:
            raise SystemExit(f"{wname}: no initializer {sname}")
        w = numpy_helper.to_array(inits[wname])
        if w.dtype != np.int8 or (zname and numpy_helper.to_array(inits[zname]).any()):
            raise SystemExit(f"{wname}: not symmetric int8 weights")
        # The halved weight and the doubled scale must meet in the same products and no others.
        if any(n.op_type != "MatMulInteger" for n in users[wname]) or len(users[sname]) != len(users[wname]):
            raise SystemExit(f"{wname} or {sname} is used outside the products it scales")
        scale = numpy_helper.to_array(inits[sname])
        w7 = np.clip(np.round(w.astype(np.float32) / 2), -64, 64).astype(np.int8)  # round half to even, as the quantiser
        inits[wname].CopyFrom(numpy_helper.from_array(w7, wname))
        inits[sname].CopyFrom(numpy_helper.from_array((scale * 2).astype(scale.dtype), sname))
        done.add(wname)
    onnx.save(model, str(dest))
    return len(done)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="encoder directory with 8-bit weights")
    ap.add_argument("dest", help="encoder directory to write")
    ap.add_argument("--version", required=True)
    args = ap.parse_args()
    src, dest = Path(args.src), Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "tokenizer.json", dest / "tokenizer.json")
    changed = requantise(src / "encoder.onnx", dest / "encoder.onnx")
    meta = json.loads((src / "model.json").read_text())
    previous = meta["version"]
    meta["version"] = args.version
    meta["onnx_sha256"] = hashlib.sha256((dest / "encoder.onnx").read_bytes()).hexdigest()[:12]
    meta["training"].pop("quantisation_max_prob_drift", None)  # measured on the 8-bit weights
    meta["training"]["quantisation"] = (f"dynamic int8 (weights per channel, 7-bit, requantised from {previous}'s 8-bit "
                                        "weights: w7 = round(w8 / 2), scale x 2), activations per call")
    (dest / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{changed} weight matrices requantised to 7 bits; wrote {dest} ({args.version}); recalibrate the cascade next")


if __name__ == "__main__":
    main()
