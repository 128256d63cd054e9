"""onnxruntime outputs of the shipped models vs the ORIGINAL TF.js and Keras models.

Reference outputs were computed once by models/tools/reference.mjs (Node, @tensorflow/tfjs
4.22.0 cpu backend, the untouched npm files; the descriptor through face-api's own
FaceRecognitionNet) and, for FaceNet, by the Keras model in TensorFlow 2.15
(models/tools/facenet_fixtures.py), and stored in fixtures/ (regenerate: models/rebuild.sh
--reference).
Input tensors are committed too (fixtures/*_input.npy, uint8 NHWC RGB, from public-domain
photos; see fixtures/README.md), so this test needs only onnxruntime + numpy.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from edge.vision.descriptors import prewhiten
from edge.vision.models import create_session
from tests.models._decode import FRONT_ANCHORS, FULL_ANCHORS, decode

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures"
MODELS = HERE.parents[1] / "models"
MANIFEST = json.loads((MODELS / "manifest.json").read_text())

BOX_TOL_PX = 0.5  # contract: decoded boxes / keypoints within half a pixel of TF.js
SCORE_TOL = 1e-3  # detector probabilities
COS_MIN = 0.9999  # descriptor cosine similarity
FACENET_COS_MIN = 0.99999  # float16 storage of the weights: measured 0.9999997 on these chips
INT8_COS_MIN = 0.995  # int8 activations and weights: measured 0.9984-0.9997 on these chips
MESH_TOL_PX = 0.01  # mesh coordinates (0..192 crop pixels): measured 1.5e-4, TF.js wasm vs cpu 6.1e-5


def session(name):
    """The model as the appliance runs it (edge.vision.models.create_session's options)."""
    return create_session(MODELS / MANIFEST["models"][name]["file"])


def load(name):
    return np.load(FIX / f"{name}.npy")


def minus1to1(x):
    return x.astype(np.float32) / np.float32(127.5) - np.float32(1)


def zero_to_1(x):
    return x.astype(np.float32) / np.float32(255)


def _compare_detector(rows, ref_rows, anchors_at_rows):
    got, ref = decode(rows, anchors_at_rows), decode(ref_rows, anchors_at_rows)
    box_err = np.abs(got["boxes"] - ref["boxes"]).max()
    kp_err = np.abs(got["keypoints"] - ref["keypoints"]).max()
    score_err = np.abs(got["score"] - ref["score"]).max()
    print(f"max |box| {box_err:.2e} px, max |keypoint| {kp_err:.2e} px, max |score| {score_err:.2e}")
    assert box_err < BOX_TOL_PX
    assert kp_err < BOX_TOL_PX
    assert score_err < SCORE_TOL
    # the fixtures hold real faces: the best anchor must be a confident face in both
    assert ref["score"].max() > 0.5 and got["score"].max() > 0.5
    return box_err


def test_facemesh_detection_full():
    sess = session("facemesh-detection-full")
    out = sess.run(["Identity:0"], {"input": minus1to1(load("det192_input"))})[0]
    assert out.shape == (2, 2304, 17)
    idx, ref = load("facemesh-detection-full_ref_idx"), load("facemesh-detection-full_ref_rows")
    for i in range(len(idx)):
        _compare_detector(out[i, idx[i]], ref[i], FULL_ANCHORS[idx[i]])


def test_facemesh_detection_full_dynamic_batch():
    sess = session("facemesh-detection-full")
    x = minus1to1(load("det192_input"))
    both = sess.run(None, {"input": x})[0]
    one = sess.run(None, {"input": x[1:2]})[0]
    np.testing.assert_allclose(one[0], both[1], atol=1e-4)


def test_blazeface_front():
    sess = session("blazeface-front")
    x = minus1to1(load("det128_input"))
    idx, ref = load("blazeface-front_ref_idx"), load("blazeface-front_ref_rows")
    for i in range(len(x)):
        o = dict(zip([q.name for q in sess.get_outputs()], sess.run(None, {"input:0": x[i : i + 1]})))
        joined = np.concatenate(
            [
                np.concatenate([o["Identity:0"], o["Identity_2:0"]], 2),
                np.concatenate([o["Identity_1:0"], o["Identity_3:0"]], 2),
            ],
            1,
        )[0]
        assert joined.shape == (896, 17)
        _compare_detector(joined[idx[i]], ref[i], FRONT_ANCHORS[idx[i]])


def test_face_api_descriptor():
    sess = session("face-api-descriptor")
    x = load("desc150_input").astype(np.float32)
    got = sess.run(["descriptor"], {"input": x})[0]
    ref = load("face-api-descriptor_ref")
    assert got.shape == ref.shape == (4, 128)
    cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
    print(f"cosine {cos}, max |diff| {np.abs(got - ref).max():.2e}")
    assert cos.min() >= COS_MIN
    np.testing.assert_allclose(got, ref, atol=1e-4)
    # batch of one gives the same as inside a batch
    single = sess.run(None, {"input": x[2:3]})[0]
    np.testing.assert_allclose(single[0], got[2], atol=1e-5)
    # sanity on identity: fixtures 1 and 2 are the same person, 0 and 3 are two others
    d = np.linalg.norm(got[:, None] - got[None], axis=2)
    assert d[1, 2] < 0.6 and d[0, 3] > 0.6


def test_liveness():
    sess = session("liveness")
    got = sess.run(None, {"conv2d_1_input": zero_to_1(load("live32_input"))})[0]
    ref = load("liveness_ref")
    print(f"max |diff| {np.abs(got - ref).max():.2e}")
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_antispoof():
    sess = session("antispoof")
    got = sess.run(None, {"conv2d_input": zero_to_1(load("anti128_input"))})[0]
    ref = load("antispoof_ref")
    print(f"max |diff| {np.abs(got - ref).max():.2e}")
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_facemesh():
    sess = session("facemesh")
    x = zero_to_1(load("mesh192_input"))
    mesh, flag = sess.run(["output_mesh", "output_faceflag"], {"input_1": x})
    ref_mesh, ref_flag = load("facemesh_ref_mesh"), load("facemesh_ref_faceflag")
    assert mesh.shape == ref_mesh.shape == (4, 1404)
    print(f"max |mesh| {np.abs(mesh - ref_mesh).max():.2e} px, "
          f"max |flag| {np.abs(flag - ref_flag).max():.2e}")
    np.testing.assert_allclose(mesh, ref_mesh, atol=MESH_TOL_PX)
    np.testing.assert_allclose(flag, ref_flag, atol=1e-5)
    # three face crops and one without a face: the presence output tells them apart in both
    assert (ref_flag[:3] > 0.9).all() and ref_flag[3] < 0.1
    # batch of one gives the same as inside a batch
    single = sess.run(["output_mesh"], {"input_1": x[1:2]})[0]
    np.testing.assert_allclose(single[0], mesh[1], atol=1e-3)


def cosine(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize(("name", "cos_min"), [("facenet", FACENET_COS_MIN), ("facenet-int8", INT8_COS_MIN)])
def test_facenet(name, cos_min):
    sess = session(name)
    chips = load("facenet160_input")
    got = sess.run(["Bottleneck_BatchNorm"], {"input": prewhiten(chips)})[0]
    ref = load("facenet_ref")
    assert got.shape == ref.shape == (7, 128)
    cos = cosine(got, ref)
    print(f"{name}: cosine to Keras {cos.min():.7f}..{cos.max():.7f}, max |diff| "
          f"{np.abs(got - ref).max():.2e}")
    assert cos.min() >= cos_min
    # batch of one gives the same as inside a batch
    single = sess.run(None, {"input": prewhiten(chips[2:3])})[0]
    np.testing.assert_allclose(single[0], got[2], atol=1e-3)
    # identity: chips 1, 2, 4, 5 are one person (Obama), 0 (Collins) and 3 (Biden) two others
    unit = got / np.linalg.norm(got, axis=1, keepdims=True)
    similarity = unit @ unit.T
    same = [(1, 2), (1, 4), (2, 5), (4, 5)]
    assert min(similarity[a, b] for a, b in same) > 0.6
    assert max(similarity[0, 3], similarity[0, 1], similarity[3, 1]) < 0.4
