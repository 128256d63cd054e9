"""``edge detect``, ``edge embed``, ``edge compare``: the vision core on image files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import cv2
import numpy as np

from edge.access.zone import DoorZone
from edge.cli.main import AppContext, pass_app
from edge.config.settings import Settings
from edge.errors import BadInput, ModelError
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Face

IMAGE = click.Path(path_type=Path, dir_okay=False)


def _analyzer(settings: Settings) -> FaceAnalyzer:
    try:
        return FaceAnalyzer(settings.vision)
    except ModelError as exc:
        raise click.ClickException(f"cannot load the models: {exc}") from exc


def _face_json(face: Face) -> dict[str, Any]:
    detection = face.detection
    return {
        "box": detection.box.as_list(),
        "score": round(detection.score, 4),
        "keypoints": np.round(detection.keypoints.astype(float), 1).tolist(),
        "quality": {"ok": face.quality.ok, "reasons": list(face.quality.reasons), **face.quality.measures},
        "liveness": face.liveness.scores(),
    }


def _draw(image: np.ndarray, faces: list[Face], zone: DoorZone, out: Path) -> None:
    canvas = zone.draw(image.copy())
    for face in faces:
        box = face.detection.box
        colour = (0, 200, 0) if face.quality.ok else (0, 160, 255)
        top_left = (round(box.x), round(box.y))
        cv2.rectangle(canvas, top_left, (round(box.x + box.w), round(box.y + box.h)), colour, 2)
        for x, y in face.detection.keypoints:
            cv2.circle(canvas, (round(x), round(y)), 2, (0, 0, 255), -1)
        label = f"{face.detection.score:.2f} " + (",".join(face.quality.reasons) or "ok")
        cv2.putText(canvas, label, (top_left[0], max(12, top_left[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    colour, 1, cv2.LINE_AA)
    try:
        written = cv2.imwrite(str(out), canvas)
    except cv2.error:
        written = False
    if not written:
        raise BadInput(f"cannot write {out} (folder missing, or not a .png/.jpg name?)")


@click.command()
@click.argument("image", type=IMAGE)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--draw", type=IMAGE, default=None,
              help="Write a copy of the image with the faces and the door zone drawn.")
@pass_app
def detect(app: AppContext, image: Path, as_json: bool, draw: Path | None) -> None:
    """Find the faces in IMAGE: boxes, keypoints, scores, quality (and the retired liveness
    signals, when vision.liveness is enabled)."""
    settings = app.settings
    frame = read_image(image, max_pixels=settings.vision.max_image_pixels)
    faces = _analyzer(settings).analyze(frame, describe=False)
    if draw is not None:
        _draw(frame, faces, DoorZone(settings.access.door_zone), draw)
    if as_json:
        click.echo(json.dumps({"image": str(image), "faces": [_face_json(f) for f in faces]}))
        return
    click.echo(f"{image}: {len(faces)} face(s)")
    for k, face in enumerate(faces, 1):
        d = face.detection
        quality = ", ".join(face.quality.reasons) or "ok"
        eyes = np.round(d.keypoints[:2].astype(float), 1).tolist()
        click.echo(f"  {k}. box {d.box.as_list()} score {d.score:.2f} eyes {eyes[0]} {eyes[1]} "
                   f"quality {quality} (eye distance {face.quality.measures['interocular_px']} px)")
    if draw is not None:
        click.echo(f"wrote {draw}")


def _largest_face(analyzer: FaceAnalyzer, name: Path, image: np.ndarray) -> tuple[Face, int]:
    faces = analyzer.analyze(image)
    if not faces:
        raise BadInput(f"{name}: no face found")
    return faces[0], len(faces)


@click.command()
@click.argument("image", type=IMAGE)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_app
def embed(app: AppContext, image: Path, as_json: bool) -> None:
    """Print the embedding of the largest face in IMAGE (L2-normalized, compare by dot product)."""
    settings = app.settings
    frame = read_image(image, max_pixels=settings.vision.max_image_pixels)
    analyzer = _analyzer(settings)
    face, count = _largest_face(analyzer, image, frame)
    assert face.embedding is not None
    values = [round(float(v), 6) for v in face.embedding]
    if as_json:
        document = {"image": str(image), "descriptor": analyzer.descriptor.name, "faces_found": count,
                    "box": face.detection.box.as_list(), "embedding": values}
        click.echo(json.dumps(document))
        return
    click.echo(f"{image}: {analyzer.descriptor.name}, {len(values)}-D, largest of {count} face(s)")
    click.echo(" ".join(f"{v:.6f}" for v in values))


def _calibration_path(settings: Settings) -> Path | None:
    return settings.identify.local.calibration


@click.command()
@click.argument("a", type=IMAGE)
@click.argument("b", type=IMAGE)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_app
def compare(app: AppContext, a: Path, b: Path, as_json: bool) -> None:
    """Are the largest faces of A and B the same person, at the door's false-accept rate?"""
    from edge.identify.local.calibration import load_calibration

    settings = app.settings
    frames = [read_image(path, max_pixels=settings.vision.max_image_pixels) for path in (a, b)]
    try:
        table = load_calibration(_calibration_path(settings), settings.vision)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc
    analyzer = _analyzer(settings)
    face_a, _ = _largest_face(analyzer, a, frames[0])
    face_b, _ = _largest_face(analyzer, b, frames[1])
    assert face_a.embedding is not None and face_b.embedding is not None
    similarity = analyzer.similarity(face_a.embedding, face_b.embedding)
    policy = settings.access.max_false_accept
    threshold = table.threshold_for(policy)
    same = similarity >= threshold.score
    result = {
        "similarity": round(similarity, 4),
        "false_accept": table.far_for(similarity),
        "same_person": same,
        "threshold": round(threshold.score, 4),
        "threshold_false_accept": threshold.far,
        "max_false_accept": policy,
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    bound = ("at most " if similarity >= table.points[-1][0]
             else "at least " if similarity <= table.points[0][0] else "")
    click.echo(f"similarity {similarity:.4f} (a stranger scores this high at a rate of "
               f"{bound}{result['false_accept']:.2g})")
    verdict = "same person" if same else "not the same person"
    note = ""
    if threshold.far > policy:
        note = f"; the calibration supports no stricter rate than {threshold.far:.2g}"
    click.echo(f"{verdict} at max_false_accept {policy:g} (threshold {threshold.score:.4f}{note})")
