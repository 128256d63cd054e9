"""int8 descriptor: static quantization of a built float model (onnxruntime.quantization, QDQ).

usage: quantize.py IN.onnx OUT.onnx --chips CHIPS.npy [--meta k=v ...]

Weights int8 per output channel, activations uint8 with ranges measured (MinMax) on CHIPS, uint8
RGB chips fed through the descriptor's preprocessing (FaceNet's prewhitening) and their mirror
images. Static, not dynamic: onnxruntime's dynamically quantized convolutions (ConvInteger) ran
7x SLOWER than float32 here, the static QDQ model about 2.8x faster (models/facenet/README.md).
The float16 storage of IN (float16 initializers + Cast) is first undone -- every such Cast
becomes a float32 initializer with the same values -- as the quantizer only quantizes weights
that are initializers.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from edge.vision.descriptors import prewhiten  # noqa: E402  (numpy only)


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


class ChipReader(CalibrationDataReader):
    """One prewhitened chip at a time: each chip and its mirror image."""

    def __init__(self, input_name: str, chips: np.ndarray) -> None:
        both = np.concatenate([chips, chips[:, :, ::-1]])
        self._feeds = iter([{input_name: prewhiten(chip[None])} for chip in both])

    def get_next(self) -> dict | None:
        return next(self._feeds, None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--chips", required=True)
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    model = onnx.load(a.src)
    unfold_fp16_storage(model)
    reader = ChipReader(model.graph.input[0].name, np.load(a.chips))
    with tempfile.TemporaryDirectory() as tmp:
        float_path, quant_path = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, float_path)
        quantize_static(float_path, quant_path, reader, quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
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
