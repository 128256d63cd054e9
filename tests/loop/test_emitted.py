"""What the running loop emits besides decisions: metrics, health, kept face images (issue #19
item 13, issue #23). Real frames through the real loop; the metrics and the audit log are read
back as the appliance left them."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from edge.config.settings import Settings
from edge.events.base import EventSink
from edge.events.memory import ListSink
from edge.gallery.store import GalleryStore
from edge.service.health import HealthState
from edge.service.main import AuditSink
from edge.service.metrics import Metrics
from edge.service.records import AuditLog
from edge.vision.pipeline import FaceAnalyzer
from tests.loop.conftest import FACES, SequenceWriter, frame_of, loop_settings, run_folder
from tests.support.mosquitto import free_port

OBAMA = FACES / "Barack_Obama" / "3.jpg"


def run_loop(settings: Settings, analyzer: FaceAnalyzer, gallery: GalleryStore, sinks: list[EventSink],
             frames: list[np.ndarray], write: SequenceWriter) -> Metrics:
    metrics = Metrics(HealthState.from_settings(settings.service))
    run_folder(settings, write(frames), analyzer, gallery, sinks, metrics)
    return metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(metrics.exposition().decode())
            for s in family.samples}


def fill_the_disk(audit: AuditLog) -> None:
    """SQLite's own "database or disk is full": the file may not grow, and its pages are full."""
    db = audit._db
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages + 4}")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for _ in range(10_000):
            db.execute("INSERT INTO decisions (event_id, time, device, door, decision, reason, "
                       "frames_used) VALUES (hex(randomblob(16)), unixepoch(), 'x', 'x', 'denied', "
                       "'unknown', 1)")


def test_a_full_audit_disk_is_a_health_problem_and_the_door_still_decides(
        tmp_path: Path, analyzer: FaceAnalyzer, gallery: GalleryStore,
        write_sequence: SequenceWriter) -> None:
    settings = loop_settings(tmp_path)
    audit = AuditLog.from_settings(settings.service)
    fill_the_disk(audit)
    decisions = ListSink()
    metrics = run_loop(settings, analyzer, gallery, [AuditSink(audit), decisions],
                       [frame_of(OBAMA, shift=2 * i) for i in range(6)], write_sequence)
    assert [(e.decision, e.person_id) for e in decisions.events] == [("granted", "obama")]
    assert decisions.events[0].id not in {e.event_id for e in audit.entries(limit=10_000)}
    report = metrics.health.report() if metrics.health else None
    assert report is not None and any(
        r.startswith("sink AuditSink: audit log") and "full" in r for r in report.reasons), report
    assert samples(metrics)[("edge_sink_errors_total", (("sink", "AuditSink"),))] == 1
    audit.close()


def test_stage_latencies_and_backend_errors_are_recorded_per_stage_and_backend(
        tmp_path: Path, analyzer: FaceAnalyzer, gallery: GalleryStore,
        write_sequence: SequenceWriter) -> None:
    settings = loop_settings(tmp_path)
    unreachable = {"type": "youtu", "base_url": f"http://127.0.0.1:{free_port()}", "appid": "1",
                   "secret_id": "id", "secret_key": "key", "retries": 0, "timeout_s": 0.5}
    settings = settings.model_copy(update={"identify": settings.identify.model_validate(
        {"backends": [unreachable, {"type": "local"}]})})
    metrics = run_loop(settings, analyzer, gallery, [ListSink()],
                       [frame_of(OBAMA, shift=2 * i) for i in range(4)], write_sequence)
    found = samples(metrics)
    for stage in ("detect", "describe", "identify", "decide"):
        assert found[("edge_stage_seconds_count", (("stage", stage),))] > 0, stage
    assert found[("edge_backend_errors_total", (("backend", "youtu"),))] >= 1
    assert ("edge_backend_errors_total", (("backend", "all"),)) not in found


def test_kept_face_images_are_the_deciding_face_private_and_only_when_enabled(
        tmp_path: Path, analyzer: FaceAnalyzer, gallery: GalleryStore,
        write_sequence: SequenceWriter) -> None:
    frames = [frame_of(OBAMA, shift=2 * i) for i in range(6)]
    for keep in (False, True):
        settings = loop_settings(tmp_path / str(keep))
        settings.service.keep_face_images = keep
        with AuditLog.from_settings(settings.service) as audit:
            run_loop(settings, analyzer, gallery, [AuditSink(audit)], frames,
                     lambda f, k=keep: write_sequence_in(tmp_path / f"frames-{k}", f))
            (entry,) = audit.entries()
        if not keep:
            assert entry.face_file is None and not (settings.service.state_dir / "faces").exists()
            continue
        assert entry.face_file is not None
        assert stat.S_IMODE(entry.face_file.stat().st_mode) == 0o600
        crop = cv2.imread(str(entry.face_file))
        assert crop is not None and 60 < crop.shape[0] < frames[0].shape[0]
        faces = analyzer.detect(crop)  # the crop shows the face that decided, whole
        assert len(faces) == 1 and faces[0].box.w > crop.shape[1] / 3


def write_sequence_in(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:04d}.png"), frame)
    return folder
