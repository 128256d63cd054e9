"""Every model listed in models/manifest.json is present, intact and has the declared I/O."""

import hashlib
import json
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"
MANIFEST = json.loads((MODELS / "manifest.json").read_text())
NAMES = sorted(MANIFEST["models"])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_lists_the_contract_files():
    files = {m["file"] for m in MANIFEST["models"].values()}
    assert files >= {
        "facemesh-detection-full/facemesh-detection-full.onnx",
        "blazeface-front/blazeface-front.onnx",
        "face-api-descriptor/face-api-descriptor.onnx",
        "liveness/liveness.onnx",
        "antispoof/antispoof.onnx",
        "facemesh/facemesh.onnx",
        "facenet/facenet.onnx",
        "facenet/facenet-int8.onnx",
        "pad-texture/pad-texture.onnx",
    }
    assert "faceres" not in MANIFEST["models"]


@pytest.mark.parametrize("name", NAMES)
def test_file_exists_and_sha256_matches(name):
    m = MANIFEST["models"][name]
    path = MODELS / m["file"]
    assert path.is_file(), f"missing {path}"
    assert path.stat().st_size == m["size_bytes"]
    assert _sha256(path) == m["sha256"], f"{path} differs from manifest; rebuild with models/rebuild.sh"


@pytest.mark.parametrize("name", NAMES)
def test_model_folder_has_readme_and_provenance(name):
    m = MANIFEST["models"][name]
    assert (MODELS / m["file"]).parent.joinpath("README.md").is_file()
    assert m["license"]["spdx"]
    if "trained_by" in m["source"]:  # trained by the project: its script and data are named
        assert (MODELS / m["source"]["trained_by"]).is_file() and m["source"]["data"]
        return
    if "model" in m["source"]:  # derived from another model of the manifest (int8)
        assert m["source"]["model"] in MANIFEST["models"]
        m = MANIFEST["models"][m["source"]["model"]]
    pkg = MANIFEST["packages"][m["source"]["package"]]
    assert pkg["version"] and len(pkg["sha256"]) == 64
    assert all(len(f["sha256"]) == 64 for f in m["source"]["files"])


@pytest.mark.parametrize("name", NAMES)
def test_io_names_shapes_dtypes(name):
    ort = pytest.importorskip("onnxruntime")
    m = MANIFEST["models"][name]
    sess = ort.InferenceSession(str(MODELS / m["file"]), providers=["CPUExecutionProvider"])

    def norm(shape):
        return [d if isinstance(d, int) else "batch" for d in shape]

    got_in = [(i.name, norm(i.shape), i.type) for i in sess.get_inputs()]
    want_in = [(i["name"], norm(i["shape"]), "tensor(float)") for i in m["inputs"]]
    assert got_in == want_in
    got_out = [(o.name, norm(o.shape), o.type) for o in sess.get_outputs()]
    want_out = [(o["name"], norm(o["shape"]), "tensor(float)") for o in m["outputs"]]
    assert got_out == want_out
