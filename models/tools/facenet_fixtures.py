"""Parity fixtures of the FaceNet descriptor for tests/models/test_parity.py.

  facenet_fixtures.py inputs FIX_DIR           (the runtime venv: edge installed)
      facenet160_input.npy [7,160,160,3] uint8 RGB: FaceNet chips of the committed photos in
      tests/fixtures/faces, cut as the appliance cuts them (its detector, FACENET_CHIP); also
      the calibration images of the int8 model (quantize.py)
  facenet_fixtures.py reference H5 FIX_DIR     (the conversion venv: TensorFlow 2.15)
      facenet_ref.npy [7,128] float32: the ORIGINAL Keras model (convert_keras.py's safe rebuild,
      the h5's weights) on the prewhitened chips, computed once so the test needs no TensorFlow
"""

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
# every committed test photo; the first four as in the face-api descriptor's fixtures
PHOTOS = ["Eileen_Collins/1.jpg", "Barack_Obama/1.jpg", "Barack_Obama/4.jpg", "Joe_Biden/1.jpg",
          "Barack_Obama/2.jpg", "Barack_Obama/3.jpg", "Joe_Biden/2.jpg"]


def inputs(fix: Path) -> None:
    from edge.vision.align import align
    from edge.vision.config import VisionSettings
    from edge.vision.descriptors import FACENET_CHIP
    from edge.vision.image_io import read_image
    from edge.vision.pipeline import FaceAnalyzer

    analyzer = FaceAnalyzer(VisionSettings())
    chips = []
    for photo in PHOTOS:
        image = read_image(REPO / "tests" / "fixtures" / "faces" / photo, max_pixels=40_000_000)
        largest = analyzer.detect(image)[0]
        chips.append(align(image, largest.keypoints, FACENET_CHIP)[:, :, ::-1])
    np.save(fix / "facenet160_input.npy", np.stack(chips).astype(np.uint8))
    print("facenet160_input", np.stack(chips).shape)


def reference(h5: Path, fix: Path) -> None:
    import tensorflow as tf

    sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]
    from convert_keras import ScaleSum, safe_config

    from edge.vision.descriptors import prewhiten  # numpy only

    model = tf.keras.Model.from_config(safe_config(str(h5))["config"], custom_objects={"ScaleSum": ScaleSum})
    model.load_weights(str(h5))
    chips = np.load(fix / "facenet160_input.npy")
    out = model.predict(prewhiten(chips), verbose=0).astype(np.float32)
    np.save(fix / "facenet_ref.npy", out)
    print("facenet_ref", out.shape)


if __name__ == "__main__":
    if sys.argv[1:2] == ["inputs"]:
        inputs(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["reference"]:
        reference(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
