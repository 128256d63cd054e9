"""Keras .h5 model -> ONNX with tf2onnx (runs in the conversion venv: TensorFlow 2.15, tf2onnx 1.17).

usage: convert_keras.py MODEL.h5 OUT.onnx [--opset 13] [--input-name input]

The input keeps Keras's shape with a dynamic batch; postprocess_onnx.py names the outputs' shapes,
canonicalizes the initializer names and sets the storage precision afterwards.
"""

import argparse

import onnx
import tensorflow as tf
import tf2onnx


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("h5")
    ap.add_argument("out")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--input-name", default="input")
    a = ap.parse_args()
    model = tf.keras.models.load_model(a.h5, compile=False)
    spec = (tf.TensorSpec(model.input_shape, tf.float32, name=a.input_name),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=a.opset)
    onnx.save(proto, a.out)
    graph = proto.graph
    print(f"{a.out}: inputs {[i.name for i in graph.input]}, outputs {[o.name for o in graph.output]}")


if __name__ == "__main__":
    main()
