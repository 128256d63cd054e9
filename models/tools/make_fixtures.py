"""Parity fixtures for tests/models/test_parity.py.

  make_fixtures.py inputs OUT_DIR     uint8 NHWC input tensors from public-domain photos
                                      (needs opencv + numpy; the runtime venv has both)
  make_fixtures.py reduce RAW_DIR OUT_DIR
                                      shrink the TF.js reference outputs written by
                                      reference.mjs into small .npy fixtures

Input tensors (committed, so the test needs neither the photos nor OpenCV):
  det192_input   [2,192,192,3]  whole frame, letterboxed (image top-left, zero pad right/bottom)
  det128_input   [2,128,128,3]  close square crop around the face (short-range detector)
  desc150_input  [4,150,150,3]  square face crops (not aligned: alignment is the app's job)
  live32_input   [4,32,32,3]    same crops as desc150
  anti128_input  [2,128,128,3]  first two of those crops
  mesh192_input  [4,192,192,3]  face mesh crops: the full-range detector's box enlarged 1.4x and
                                squared, as @vladmandic/human crops for the mesh; the last one
                                holds no face (the face-presence output must say so)
Crops are fixed pixel rectangles (centre, side) chosen once from the full-range detector's
face boxes, so this script does not depend on any model.
"""

import sys
from pathlib import Path

import numpy as np

FACES = Path("/work/shared/data/faces/misc")
# (file, centre x, centre y, side) in original pixels
DESC_CROPS = [
    ("Eileen_Collins/1.jpg", 225, 122, 160),
    ("Barack_Obama/1.jpg", 498, 275, 420),
    ("Barack_Obama/4.jpg", 796, 456, 460),
    ("Joe_Biden/1.jpg", 593, 382, 490),
]
DET128_CROPS = [
    ("Eileen_Collins/1.jpg", 225, 125, 250),
    ("Joe_Biden/1.jpg", 593, 382, 760),
]
DET192_FRAMES = ["Eileen_Collins/1.jpg", "Joe_Biden/1.jpg"]
MESH_CROPS = [
    ("Eileen_Collins/1.jpg", 225, 119, 148),
    ("Barack_Obama/1.jpg", 496, 273, 396),
    ("Joe_Biden/1.jpg", 587, 380, 444),
    ("Barack_Obama/4.jpg", 700, 1900, 400),  # no face: jacket and background
]


def read_rgb(rel):
    import cv2

    im = cv2.imread(str(FACES / rel), cv2.IMREAD_COLOR)
    if im is None:
        raise SystemExit(f"cannot read {FACES / rel}")
    return np.ascontiguousarray(im[:, :, ::-1])


def crop(im, cx, cy, side):
    x0, y0 = cx - side // 2, cy - side // 2
    out = np.zeros((side, side, 3), np.uint8)
    h, w = im.shape[:2]
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = im[sy0:sy1, sx0:sx1]
    return out


def resize(im, size):
    import cv2

    return cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA)


def letterbox(im):
    h, w = im.shape[:2]
    s = max(h, w)
    out = np.zeros((s, s, 3), np.uint8)
    out[:h, :w] = im
    return out


def inputs(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    det192 = np.stack([resize(letterbox(read_rgb(f)), 192) for f in DET192_FRAMES])
    det128 = np.stack([resize(crop(read_rgb(f), cx, cy, s), 128) for f, cx, cy, s in DET128_CROPS])
    crops = [crop(read_rgb(f), cx, cy, s) for f, cx, cy, s in DESC_CROPS]
    arrays = {
        "det192_input": det192,
        "det128_input": det128,
        "desc150_input": np.stack([resize(c, 150) for c in crops]),
        "live32_input": np.stack([resize(c, 32) for c in crops]),
        "anti128_input": np.stack([resize(c, 128) for c in crops[:2]]),
        "mesh192_input": np.stack([resize(crop(read_rgb(f), cx, cy, s), 192) for f, cx, cy, s in MESH_CROPS]),
    }
    for name, arr in arrays.items():
        np.save(out / f"{name}.npy", arr.astype(np.uint8))
        print(name, arr.shape)


def pick_rows(joined: np.ndarray, top: int, stride: int):
    """joined [N,A,17] with the score logit in column 0 -> (idx [N,K] int32, rows [N,K,17])."""
    idxs, rows = [], []
    for r in joined:
        strided = np.arange(0, r.shape[0], stride)
        order = [i for i in np.argsort(-r[:, 0], kind="stable") if i % stride][:top]
        idx = np.sort(np.concatenate([strided, np.array(order, int)])).astype(np.int32)
        idxs.append(idx)
        rows.append(r[idx])
    return np.stack(idxs), np.stack(rows).astype(np.float32)


def reduce(raw: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fm = np.load(raw / "facemesh-detection-full__Identity_0.npy")  # face head
    idx, rows = pick_rows(fm, top=32, stride=16)
    np.save(out / "facemesh-detection-full_ref_idx.npy", idx)
    np.save(out / "facemesh-detection-full_ref_rows.npy", rows)
    # blazeface-front: join (score, 16 regressors): 512-row group (16x16x2, stride 8) first
    s512 = np.load(raw / "blazeface-front__Identity_0.npy")
    r512 = np.load(raw / "blazeface-front__Identity_2_0.npy")
    r384 = np.load(raw / "blazeface-front__Identity_3_0.npy")
    s384 = np.load(raw / "blazeface-front__Identity_1_0.npy")
    bf = np.concatenate([np.concatenate([s512, r512], 2), np.concatenate([s384, r384], 2)], 1)
    idx, rows = pick_rows(bf, top=32, stride=8)
    np.save(out / "blazeface-front_ref_idx.npy", idx)
    np.save(out / "blazeface-front_ref_rows.npy", rows)
    for src, dst in [
        ("face-api-descriptor__descriptor", "face-api-descriptor_ref"),
        ("liveness__activation_6", "liveness_ref"),
        ("antispoof__activation_4", "antispoof_ref"),
        ("facemesh__output_mesh", "facemesh_ref_mesh"),
        ("facemesh__output_faceflag", "facemesh_ref_faceflag"),
    ]:
        np.save(out / f"{dst}.npy", np.load(raw / f"{src}.npy").astype(np.float32))
    for p in sorted(out.glob("*_ref*.npy")):
        print(p.name, np.load(p).shape)


if __name__ == "__main__":
    if sys.argv[1] == "inputs":
        inputs(Path(sys.argv[2]))
    elif sys.argv[1] == "reduce":
        reduce(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
