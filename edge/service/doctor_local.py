"""``edge doctor``'s checks of the device itself: camera, models, disk space, gallery file."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from edge.capture import open_source
from edge.capture.config import FolderSourceConfig, Picamera2SourceConfig
from edge.config.settings import Settings
from edge.errors import EdgeError
from edge.identify.thresholds import policy_allows
from edge.service.check import CheckResult
from edge.vision.models import load_manifest, verified_model

MB = 1024 * 1024


def _camera_hint(settings: Settings) -> str:
    source = settings.camera.source
    if isinstance(source, FolderSourceConfig):
        return f"create {source.path} with images in it, or fix camera.source.path"
    if isinstance(source, Picamera2SourceConfig):
        return ("check the ribbon cable and `rpicam-hello --list-cameras`; the service user needs "
                "the video group")
    return ("check the cable and camera.source.uri (`v4l2-ctl --list-devices`); the service user "
            "needs the video group; a stream URL must be reachable from here")


def camera(settings: Settings) -> Iterator[CheckResult]:
    """Open the configured source and read one frame."""
    source = open_source(settings.camera)
    try:
        source.open()
        frame = source.read()
    except EdgeError as exc:
        yield CheckResult("camera", "fail", str(exc), _camera_hint(settings))
        return
    finally:
        source.close()
    if frame is None:
        yield CheckResult("camera", "fail", f"{source.name}: opened but gave no frame",
                          _camera_hint(settings))
        return
    height, width = frame.image.shape[:2]
    yield CheckResult("camera", "ok", f"{source.name}: {width}x{height} frame")


def models(settings: Settings) -> Iterator[CheckResult]:
    """Every model of the manifest present with its recorded sha256."""
    models_dir = settings.vision.models_dir
    hint = (f"reinstall the models into {models_dir} (deploy/install.sh copies them; "
            "models/rebuild.sh rebuilds them) or fix vision.models_dir")
    try:
        names = sorted(load_manifest(models_dir))
    except EdgeError as exc:
        yield CheckResult("models", "fail", str(exc), hint)
        return
    problems = []
    for name in names:
        try:
            verified_model(models_dir, name)
        except EdgeError as exc:
            problems.append(str(exc))
    if problems:
        yield CheckResult("models", "fail", "; ".join(problems), hint)
    else:
        yield CheckResult("models", "ok", f"{len(names)} models match their sha256 in {models_dir}")


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def disk(settings: Settings) -> Iterator[CheckResult]:
    """Free space where the state (gallery, audit log, outbox) lives, and that it is writable."""
    state_dir = settings.service.state_dir
    where = _existing_ancestor(state_dir)
    free_mb = shutil.disk_usage(where).free // MB
    minimum = settings.service.min_free_mb
    if free_mb < minimum:
        yield CheckResult(
            "disk", "fail", f"{free_mb} MB free at {where}, below service.min_free_mb = {minimum}",
            "free space (`journalctl --vacuum-size=100M`, old files), shorten "
            "service.audit_retention_days, or use a larger card",
        )
    elif state_dir.exists() and not os.access(state_dir, os.W_OK):
        yield CheckResult("disk", "fail", f"{state_dir} is not writable by this user",
                          "run the doctor as the service user (sudo -u edge edge doctor) or fix ownership")
    else:
        yield CheckResult("disk", "ok", f"{free_mb} MB free at {where}")


def gallery(settings: Settings) -> Iterator[CheckResult]:
    """The gallery's SQLite file opened read-only and checked with ``PRAGMA quick_check``."""
    path = settings.gallery_path
    if not path.exists():
        yield CheckResult("gallery", "ok", f"{path} not created yet (nobody enrolled)")
        return
    hint = "restore the gallery from a backup, or move it aside and enroll again"
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as exc:
        yield CheckResult("gallery", "fail", f"{path}: {exc}", hint)
        return
    if verdict != "ok":
        yield CheckResult("gallery", "fail", f"{path}: {verdict}", hint)
    else:
        yield CheckResult("gallery", "ok", f"{path}: integrity ok")


def policy(settings: Settings) -> Iterator[CheckResult]:
    """Whether each backend's threshold for the policy meets it over the people enrolled now."""
    from edge.identify.policy_check import HINT, backend_rates

    access = settings.access
    for name, (far, how) in backend_rates(settings).items():
        if policy_allows(far, access.max_false_accept, access.accept_false_accept_up_to):
            yield CheckResult("policy", "ok", f"{name}: {how}")
        else:
            yield CheckResult("policy", "fail", f"{name}: {how}; nobody is let in (policy_unreachable)", HINT)
