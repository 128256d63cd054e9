"""Dev tool (not a test): derive align.py's template from dlib's own 150x150 face chips.

For each image of LFW View 1's pairsDevTrain.txt: dlib's HOG detector + 5-landmark model give
dlib's chip geometry (``get_face_chip_details(shape, 150, padding=0.25)``, the crop that
``face_recognition`` feeds to the same ResNet weights); BlazeFace full-range gives six keypoints
on the same image; the keypoints are mapped into chip pixels. The template is their mean; the
script also reports how far a similarity fitted on several keypoint subsets lands from dlib's
chip (mean corner error, chip pixels) so align.py can use the subset that reproduces it best.

needs: pip install dlib-bin face-recognition-models (the 'peer' extra) and ../shared data.
usage: python tests/vision/tools/derive_align_template.py /work/shared/data/faces/lfw-view1
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import dlib
import face_recognition_models
import numpy as np

from edge.config.settings import Settings
from edge.vision.align import similarity_transform
from edge.vision.pipeline import FaceAnalyzer

SIZE, PADDING = 150, 0.25


def chip_to_image(details: dlib.chip_details) -> np.ndarray:
    """2x3 affine from chip pixels to image pixels, as dlib's extract_image_chip builds it."""
    rect = details.rect
    cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
    c, s = np.cos(details.angle), np.sin(details.angle)

    def rotate(x: float, y: float) -> tuple[float, float]:
        return cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)

    src = np.float32([[0, 0], [SIZE - 1, 0], [SIZE - 1, SIZE - 1]])
    dst = np.float32([rotate(rect.left(), rect.top()), rotate(rect.right(), rect.top()),
                      rotate(rect.right(), rect.bottom())])
    return cv2.getAffineTransform(src, dst)


def main(lfw: Path) -> None:
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
    analyzer = FaceAnalyzer(Settings().vision)
    names: set[str] = set()
    for line in (lfw / "pairsDevTrain.txt").read_text().splitlines()[1:]:
        f = line.split("\t")
        other = f[2] if len(f) == 4 else f[0]
        names.add(f"{f[0]}/{f[0]}_{int(f[1]):04d}.jpg")
        names.add(f"{other}/{other}_{int(f[-1]):04d}.jpg")
    in_chip, to_image = [], []
    for name in sorted(names):
        bgr = cv2.imread(str(lfw / name))
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        faces = detector(rgb, 1)
        detections = analyzer.detect(bgr)
        if len(faces) != 1 or not detections:
            continue
        m = chip_to_image(dlib.get_face_chip_details(predictor(rgb, faces[0]), SIZE, PADDING))
        inverse = cv2.invertAffineTransform(m)
        centre = np.array([faces[0].center().x, faces[0].center().y])
        best = min(detections, key=lambda d: np.linalg.norm(d.keypoints[:4].mean(0) - centre))
        kp = best.keypoints.astype(np.float64)
        in_chip.append(kp @ inverse[:, :2].T + inverse[:, 2])
        to_image.append(m)
    points = np.array(in_chip)
    template = points.mean(axis=0)
    print(f"{len(points)} faces; template (chip px), mean and std per keypoint:")
    for k, (mean, std) in enumerate(zip(template, points.std(axis=0))):
        print(f"  {k}: ({mean[0]:.2f}, {mean[1]:.2f})  std ({std[0]:.2f}, {std[1]:.2f})")
    corners = np.float64([[0, 0], [SIZE - 1, 0], [SIZE - 1, SIZE - 1], [0, SIZE - 1]])
    for subset in ([0, 1], [0, 1, 2], [0, 1, 3], [0, 1, 2, 3], [0, 1, 2, 3, 4, 5]):
        errors = []
        for kp_chip, m in zip(points, to_image):
            kp_image = kp_chip @ m[:, :2].T + m[:, 2]
            fit = similarity_transform(kp_image[subset], template[subset])
            dlib_corners_in_image = corners @ m[:, :2].T + m[:, 2]
            mapped = dlib_corners_in_image @ fit[:, :2].T + fit[:, 2]
            errors.append(np.linalg.norm(mapped - corners, axis=1).mean())
        print(f"keypoints {subset}: mean corner error {np.mean(errors):.2f} px, "
              f"median {np.median(errors):.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
