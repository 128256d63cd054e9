"""Keras .h5 model -> ONNX with tf2onnx (runs in the conversion venv: TensorFlow 2.15, tf2onnx 1.17).

usage: convert_keras.py MODEL.h5 OUT.onnx [--opset 13] [--input-name input]

FaceNet's Keras port (Inception-ResNet-v1) joins each residual branch with a ``Lambda`` layer whose
function is stored as marshalled Python 3.6 bytecode: ``lambda inputs, scale: inputs[0] +
inputs[1] * scale``. That bytecode neither loads in Python 3.11 nor should be executed from a
download, so the model is rebuilt from its JSON config with each such Lambda replaced by
:class:`ScaleSum` (the same arithmetic, no weights); any other Lambda function is refused. The
weights are then read from the h5 by layer order. postprocess_onnx.py names the outputs' shapes,
canonicalizes the initializer names and sets the storage precision afterwards.
"""

import argparse
import json

import h5py
import onnx
import tensorflow as tf
import tf2onnx

# base64 of the marshalled ``lambda inputs, scale: inputs[0] + inputs[1] * scale`` (facenet_keras_v1.py)
SCALE_SUM_BYTECODE = (
    "4wIAAAAAAAAAAgAAAAMAAABTAAAAcxQAAAB8AGQBGQB8AGQCGQB8ARQAFwBTACkDTukAAAAA6QEA\n"
    "AACpACkC2gZpbnB1dHPaBXNjYWxlcgMAAAByAwAAAPobLi4vY29kZS9mYWNlbmV0X2tlcmFzX3Yx\n"
    "LnB52gg8bGFtYmRhPloAAADzAAAAAA==\n"
)


class ScaleSum(tf.keras.layers.Layer):
    """``inputs[0] + inputs[1] * scale``: the residual join of Inception-ResNet blocks."""

    def __init__(self, scale: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


def safe_config(h5_path: str) -> dict:
    """The model's config with every (known) Lambda replaced by ScaleSum."""
    with h5py.File(h5_path, "r") as f:
        config = json.loads(f.attrs["model_config"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] != "Lambda":
            continue
        function = layer["config"]["function"][0]
        if function != SCALE_SUM_BYTECODE:
            raise SystemExit(f"{layer['name']}: unknown Lambda function; refusing to convert")
        layer["class_name"] = "ScaleSum"
        layer["config"] = {"name": layer["config"]["name"], "trainable": False,
                           "scale": layer["config"]["arguments"]["scale"]}
    return config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("h5")
    ap.add_argument("out")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--input-name", default="input")
    a = ap.parse_args()
    config = safe_config(a.h5)
    model = tf.keras.Model.from_config(config["config"], custom_objects={"ScaleSum": ScaleSum})
    model.load_weights(a.h5)
    spec = (tf.TensorSpec(model.input_shape, tf.float32, name=a.input_name),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=a.opset)
    onnx.save(proto, a.out)
    graph = proto.graph
    print(f"{a.out}: inputs {[i.name for i in graph.input]}, outputs {[o.name for o in graph.output]}")


if __name__ == "__main__":
    main()
