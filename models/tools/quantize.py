"""int8 descriptor: dynamic quantization of a built float model (onnxruntime.quantization).

usage: quantize.py IN.onnx OUT.onnx [--meta k=v ...]

Weights of Conv and MatMul become int8 (per output channel), activations are quantized at run
time from each tensor's own range, so no calibration images are needed. The float16 storage of
IN (float16 initializers + Cast) is first undone -- every such Cast becomes a float32 initializer
with the same values -- because the quantizer only quantizes weights that are initializers.
"""

import argparse
import tempfile
from pathlib import Path

import onnx
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic


def unfold_fp16_storage(model: onnx.ModelProto) -> None:
    graph = model.graph
    halves = {i.name: i for i in graph.initializer if i.data_type == onnx.TensorProto.FLOAT16}
    keep_nodes, new_inits = [], []
    for node in graph.node:
        if node.op_type == "Cast" and len(node.input) == 1 and node.input[0] in halves:
            array = numpy_helper.to_array(halves[node.input[0]]).astype("float32")
            new_inits.append(numpy_helper.from_array(array, node.output[0]))
        else:
            keep_nodes.append(node)
    kept = [i for i in graph.initializer if i.name not in halves]
    del graph.node[:]
    graph.node.extend(keep_nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    model = onnx.load(a.src)
    unfold_fp16_storage(model)
    with tempfile.TemporaryDirectory() as tmp:
        float_path, quant_path = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, float_path)
        quantize_dynamic(float_path, quant_path, weight_type=QuantType.QInt8, per_channel=True)
        quantized = onnx.load(quant_path)
    del quantized.metadata_props[:]
    for kv in a.meta:
        key, _, value = kv.partition("=")
        quantized.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(quantized, full_check=True)
    onnx.save(quantized, a.dst)
    print(f"{a.dst}: {len(quantized.graph.node)} nodes")


if __name__ == "__main__":
    main()
