"""Post-process a tf2onnx-converted model into the shipped form, deterministically.

* keep only the requested graph outputs (prunes nodes/initializers that become unused)
* give initializers canonical names in order of first use (tf2onnx's constant names
  carry counters that change from run to run, which would change the sha256)
* optionally store float32 initializers as float16 + Cast -- with --fp16-exact only when
  EVERY such value round-trips exactly through float16 (the TF.js weights of these models
  were already float16-quantized), so the float32 weights seen at run time are bit-identical;
  with --fp16-storage the large weight tensors (>= 1024 values: convolution and dense kernels)
  are rounded to float16 to halve the file, while biases and normalization vectors stay
  float32; onnxruntime folds the Casts at load and computes in float32
* name the dynamic batch dimension "batch" and set explicit output shapes
* with --canonical-node-names, name every node and intermediate tensor by its position
  (``node_0000``, ``node_0000:0``): tf2onnx merges duplicated nodes (facemesh has two identical
  MaxPools on one tensor) and which name survives varies from run to run
* record provenance in metadata_props

usage: postprocess_onnx.py IN OUT --keep NAME[=d0,d1,..] [...] [--fp16-exact | --fp16-storage]
                          [--canonical-node-names] [--meta k=v ...]
"""

import argparse

import numpy as np
import onnx
from onnx import helper, numpy_helper


def prune(graph: onnx.GraphProto, keep: list[str]) -> None:
    outs = [o for o in graph.output if o.name in keep]
    missing = set(keep) - {o.name for o in outs}
    if missing:
        raise SystemExit(f"outputs not found: {missing}; have {[o.name for o in graph.output]}")
    del graph.output[:]
    graph.output.extend(sorted(outs, key=lambda o: keep.index(o.name)))
    needed = set(keep)
    nodes = list(graph.node)
    alive = []
    for node in reversed(nodes):
        if any(o in needed for o in node.output):
            alive.append(node)
            needed.update(i for i in node.input if i)
    alive.reverse()
    del graph.node[:]
    graph.node.extend(alive)
    inits = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    vis = [v for v in graph.value_info if v.name in needed]
    del graph.value_info[:]
    graph.value_info.extend(vis)


def canonical_names(graph: onnx.GraphProto) -> None:
    init_names = {i.name for i in graph.initializer}
    mapping: dict[str, str] = {}
    for node in graph.node:
        for name in node.input:
            if name in init_names and name not in mapping:
                mapping[name] = f"const_{len(mapping):04d}"
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name in mapping:
                node.input[k] = mapping[name]
    inits = sorted(graph.initializer, key=lambda i: mapping[i.name])
    for i in inits:
        i.name = mapping[i.name]
    del graph.initializer[:]
    graph.initializer.extend(inits)


def canonical_node_names(graph: onnx.GraphProto) -> None:
    """Nodes and the tensors between them named by node position; graph inputs, outputs and
    initializers keep their names."""
    fixed = {i.name for i in graph.input} | {o.name for o in graph.output} | {i.name for i in graph.initializer}
    mapping: dict[str, str] = {}
    for k, node in enumerate(graph.node):
        node.name = f"node_{k:04d}"
        for j, name in enumerate(node.output):
            if name and name not in fixed:
                mapping[name] = f"node_{k:04d}:{j}"
                node.output[j] = mapping[name]
    for node in graph.node:
        for j, name in enumerate(node.input):
            if name in mapping:
                node.input[j] = mapping[name]
    for info in graph.value_info:
        info.name = mapping.get(info.name, info.name)


def to_fp16(graph: onnx.GraphProto, min_size: int = 16, exact: bool = True) -> int:
    """Store float32 initializers of at least ``min_size`` values as float16 + Cast; ``exact``
    refuses any value float16 cannot hold exactly. Returns how many were converted."""
    casts = []
    new_inits = []
    count = 0
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= min_size:
            half = arr.astype(np.float16)
            if exact and not np.array_equal(half.astype(np.float32), arr):
                raise SystemExit(f"{init.name}: not exactly representable in float16; refuse")
            if not np.isfinite(half).all():
                raise SystemExit(f"{init.name}: out of float16 range; refuse")
            new_inits.append(numpy_helper.from_array(half, init.name + "_f16"))
            casts.append(
                helper.make_node(
                    "Cast",
                    [init.name + "_f16"],
                    [init.name],
                    to=onnx.TensorProto.FLOAT,
                    name=init.name + "_cast",
                )
            )
            count += 1
        else:
            new_inits.append(init)
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return count


def set_shapes(graph: onnx.GraphProto, shapes: dict[str, list]) -> None:
    for inp in graph.input:
        dims = inp.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            dims[0].dim_param = "batch"
    for out in graph.output:
        if out.name in shapes and shapes[out.name]:
            shp = out.type.tensor_type.shape
            del shp.dim[:]
            for d in shapes[out.name]:
                dim = shp.dim.add()
                if d.isdigit():
                    dim.dim_value = int(d)
                else:
                    dim.dim_param = d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--keep", action="append", required=True)
    precision = ap.add_mutually_exclusive_group()
    precision.add_argument("--fp16-exact", action="store_true")
    precision.add_argument("--fp16-storage", action="store_true")
    ap.add_argument("--canonical-node-names", action="store_true")
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    model = onnx.load(a.src)
    g = model.graph
    keep, shapes = [], {}
    for k in a.keep:
        name, _, shp = k.partition("=")
        keep.append(name)
        shapes[name] = shp.split(",") if shp else []
    prune(g, keep)
    canonical_names(g)
    if a.canonical_node_names:
        canonical_node_names(g)
    n16 = to_fp16(g) if a.fp16_exact else to_fp16(g, min_size=1024, exact=False) if a.fp16_storage else 0
    set_shapes(g, shapes)
    g.doc_string = ""
    model.doc_string = ""
    del model.metadata_props[:]
    for kv in a.meta:
        k, _, v = kv.partition("=")
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, a.dst)
    print(f"{a.dst}: {len(g.node)} nodes, {len(g.initializer)} initializers, {n16} stored as float16")


if __name__ == "__main__":
    main()
