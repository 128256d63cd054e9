"""Build face-api-descriptor.onnx (face-api's port of dlib's ResNet face descriptor)
directly from @vladmandic/face-api's weight manifest, following its TypeScript
(src/faceRecognitionNet/*.ts). Needs only numpy + onnx.

Weights
  * uint8-quantized tensors are stored as uint8 plus a 256-entry float32 lookup table
    LUT[q] = float32(q * scale + min), computed in float64 like TF.js's decodeWeights
    (JavaScript number arithmetic, then stored in a Float32Array). In the graph:
    Gather(LUT, Cast<int32>(q)). onnxruntime constant-folds this at session start, so the
    run-time float32 weights are bit-identical to the ones TF.js uses.
  * the few float32 tensors of the manifest are stored as float32.
  * TF filters HWIO are reordered to ONNX OIHW in the uint8/float domain (a pure permutation).

Graph (input NHWC float32 RGB 0..255, [batch,150,150,3]):
  x - [122.782, 117.001, 104.298], / 255, NHWC->NCHW
  convDown(conv32_down): conv7x7/2 valid + bias, *scale.w + scale.b, relu
  maxPool 3/2 valid
  residual x3 (32), residualDown + residual x3 (64), residualDown + residual x2 (128),
  residualDown + residual x2 (256), residualDown (256_out)
  mean over H,W; matMul fc -> [batch,128]
residualDown: convDown(3x3/2 valid) -> conv(3x3 same, no relu); shortcut avgPool 2/2 valid,
  zero-padded on channels when they differ; when the conv output is spatially smaller than
  the pooled shortcut (conv256_down: 3 vs 4, conv256_down_out: 1 vs 2) face-api appends one
  zero row (H) and one zero column (W) at the end of the conv output; then add, relu.

usage: build_descriptor.py MODEL_DIR OUT.onnx   (MODEL_DIR = <face-api tarball>/package/model)
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN_RGB = [122.782, 117.001, 104.298]


def load_weights(model_dir: Path):
    manifest = json.loads((model_dir / "face_recognition_model-weights_manifest.json").read_text())
    out = {}
    for group in manifest:
        buf = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = w["shape"]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q:
                assert q["dtype"] == "uint8", q
                raw = np.frombuffer(buf, np.uint8, n, off).reshape(shape)
                off += n
                lut = (np.arange(256, dtype=np.float64) * q["scale"] + q["min"]).astype(np.float32)
                out[w["name"]] = ("q", raw, lut)
            else:
                assert w["dtype"] == "float32", w
                raw = np.frombuffer(buf, np.float32, n, off).reshape(shape)
                off += 4 * n
                out[w["name"]] = ("f", raw, None)
        assert off == len(buf), (off, len(buf))
    return out


class Builder:
    def __init__(self, weights):
        self.w = weights
        self.nodes = []
        self.inits = []
        self.used = set()
        self.k = 0

    def name(self, base):
        self.k += 1
        return f"{base}_{self.k}"

    def node(self, op, inputs, name, **attrs):
        out = name
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def const(self, arr, name):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def weight(self, key, reshape=None, perm=None):
        """float32 value of manifest tensor `key`, optionally permuted / reshaped."""
        kind, raw, lut = self.w[key]
        self.used.add(key)
        arr = raw
        if perm is not None:
            arr = np.transpose(arr, perm)
        if reshape is not None:
            arr = arr.reshape(reshape)
        if kind == "f":
            return self.const(arr.astype(np.float32), key)
        q = self.const(arr.astype(np.uint8), key + "/q")
        t = self.const(lut, key + "/lut")
        idx = self.node("Cast", [q], key + "/idx", to=TensorProto.INT32)
        return self.node("Gather", [t, idx], key, axis=0)

    def conv_layer(self, x, prefix, stride, relu, padding):
        w = self.weight(f"{prefix}/conv/filters", perm=(3, 2, 0, 1))
        b = self.weight(f"{prefix}/conv/bias")
        k = self.w[f"{prefix}/conv/filters"][1].shape[0]
        pads = [k // 2] * 4 if padding == "same" else [0, 0, 0, 0]
        assert padding == "valid" or (stride == 1 and k % 2 == 1)
        y = self.node(
            "Conv",
            [x, w, b],
            self.name(f"{prefix}/conv"),
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=pads,
        )
        c = self.w[f"{prefix}/scale/weights"][1].shape[0]
        sw = self.weight(f"{prefix}/scale/weights", reshape=(1, c, 1, 1))
        sb = self.weight(f"{prefix}/scale/biases", reshape=(1, c, 1, 1))
        y = self.node("Mul", [y, sw], self.name(f"{prefix}/scale_mul"))
        y = self.node("Add", [y, sb], self.name(f"{prefix}/scale_add"))
        if relu:
            y = self.node("Relu", [y], self.name(f"{prefix}/relu"))
        return y

    def residual(self, x, prefix):
        out = self.conv_layer(x, f"{prefix}/conv1", 1, True, "same")
        out = self.conv_layer(out, f"{prefix}/conv2", 1, False, "same")
        out = self.node("Add", [out, x], self.name(f"{prefix}/add"))
        return self.node("Relu", [out], self.name(f"{prefix}/relu"))

    def residual_down(self, x, prefix, in_hw, in_c):
        out = self.conv_layer(x, f"{prefix}/conv1", 2, True, "valid")
        out = self.conv_layer(out, f"{prefix}/conv2", 1, False, "same")
        out_c = self.w[f"{prefix}/conv2/conv/filters"][1].shape[3]
        conv_hw = (in_hw - 3) // 2 + 1
        pool_hw = in_hw // 2
        pooled = self.node(
            "AveragePool", [x], self.name(f"{prefix}/avgpool"), kernel_shape=[2, 2], strides=[2, 2]
        )
        if conv_hw != pool_hw:
            # face-api: concat a zero row (axis H) then a zero column (axis W) at the end
            assert pool_hw == conv_hw + 1
            pads = self.const(np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64), self.name(f"{prefix}/hwpads"))
            out = self.node("Pad", [out, pads], self.name(f"{prefix}/pad_hw"), mode="constant")
        if out_c != in_c:
            pads = self.const(
                np.array([0, 0, 0, 0, 0, out_c - in_c, 0, 0], np.int64), self.name(f"{prefix}/cpads")
            )
            pooled = self.node("Pad", [pooled, pads], self.name(f"{prefix}/pad_c"), mode="constant")
        out = self.node("Add", [pooled, out], self.name(f"{prefix}/add"))
        return self.node("Relu", [out], self.name(f"{prefix}/relu")), pool_hw, out_c


def build(model_dir: Path) -> onnx.ModelProto:
    b = Builder(load_weights(model_dir))
    x = "input"
    mean = b.const(np.array(MEAN_RGB, np.float32).reshape(1, 1, 1, 3), "mean_rgb")
    d255 = b.const(np.array(255, np.float32), "div255")
    y = b.node("Sub", [x, mean], "normalize/sub")
    y = b.node("Div", [y, d255], "normalize/div")
    y = b.node("Transpose", [y], "to_nchw", perm=[0, 3, 1, 2])
    y = b.conv_layer(y, "conv32_down", 2, True, "valid")  # 150 -> 72
    y = b.node("MaxPool", [y], "maxpool", kernel_shape=[3, 3], strides=[2, 2])  # 72 -> 35
    hw, c = 35, 32
    for p in ("conv32_1", "conv32_2", "conv32_3"):
        y = b.residual(y, p)
    y, hw, c = b.residual_down(y, "conv64_down", hw, c)
    for p in ("conv64_1", "conv64_2", "conv64_3"):
        y = b.residual(y, p)
    y, hw, c = b.residual_down(y, "conv128_down", hw, c)
    for p in ("conv128_1", "conv128_2"):
        y = b.residual(y, p)
    y, hw, c = b.residual_down(y, "conv256_down", hw, c)
    for p in ("conv256_1", "conv256_2"):
        y = b.residual(y, p)
    y, hw, c = b.residual_down(y, "conv256_down_out", hw, c)
    y = b.node("ReduceMean", [y], "global_avg", axes=[2, 3], keepdims=0)
    fc = b.weight("fc")
    b.nodes.append(helper.make_node("MatMul", [y, fc], ["descriptor"], name="fc/matmul"))
    unused = set(b.w) - b.used
    assert not unused, unused
    graph = helper.make_graph(
        b.nodes,
        "face_api_descriptor",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 150, 150, 3])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["batch", 128])],
        b.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="edge-models/build_descriptor.py"
    )
    model.ir_version = 8
    return model


def main() -> None:
    model_dir, out = Path(sys.argv[1]), sys.argv[2]
    model = build(model_dir)
    for kv in sys.argv[3:]:
        k, _, v = kv.partition("=")
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out)
    print(f"{out}: {len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers")


if __name__ == "__main__":
    main()
