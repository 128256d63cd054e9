"""Patch a TF.js graph-model JSON so TensorFlow 2.15 accepts it (used by tf2onnx --tfjs).

TF 2.15 rejects `_FusedConv2D` / `_FusedMatMul` / `FusedDepthwiseConv2dNative` nodes
that lack the `TArgs` attribute ("NodeDef missing attr 'TArgs'"). TF.js itself never
needs it. We add `TArgs = [DT_FLOAT] * num_args` where it is missing. Nothing else
is changed; the weights file (.bin) is copied untouched next to the patched JSON.

usage: fix_tfjs_json.py SRC_DIR NAME DST_DIR
"""

import json
import shutil
import sys
from pathlib import Path

FUSED = {"_FusedConv2D", "_FusedMatMul", "FusedDepthwiseConv2dNative", "_FusedDepthwiseConv2dNative"}


def main() -> None:
    src, name, dst = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    dst.mkdir(parents=True, exist_ok=True)
    model = json.loads((src / f"{name}.json").read_text())
    patched = 0
    for node in model["modelTopology"]["node"]:
        if node["op"] in FUSED:
            attr = node.setdefault("attr", {})
            if "TArgs" not in attr:
                n = int(attr.get("num_args", {}).get("i", 0))
                attr["TArgs"] = {"list": {"type": ["DT_FLOAT"] * n}}
                patched += 1
    (dst / f"{name}.json").write_text(json.dumps(model))
    for group in model["weightsManifest"]:
        for p in group["paths"]:
            shutil.copyfile(src / p, dst / p)
    print(f"{name}: added TArgs to {patched} fused nodes")


if __name__ == "__main__":
    main()
