"""The audit log: retention, face images kept only when enabled, forget pseudonymizes."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.access.event import AccessEvent, Match
from edge.errors import BadInput, UserError
from edge.service.records import AuditLog
from edge.service.runner import face_crop_jpeg
from edge.vision.image_io import read_image
from edge.vision.types import Box
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def face_jpeg() -> bytes:
    """A crop as the loop makes it (tests/loop/test_emitted.py runs the loop itself)."""
    image = read_image(FIXTURES / "faces" / "Barack_Obama" / "1.jpg", max_pixels=40_000_000)
    return face_crop_jpeg(image, Box(image.shape[1] / 4, image.shape[0] / 4,
                                     image.shape[1] / 2, image.shape[0] / 2))


def event(days_ago: float, person: str | None = "p-ada", **extra: object) -> AccessEvent:
    granted = person is not None
    return AccessEvent(
        time=NOW - timedelta(days=days_ago), device="door-1", door="front",
        decision="granted" if granted else "denied", reason="recognized" if granted else "unknown",
        person_id=person, person_name="Ada" if granted else None,
        match=Match(backend="local", score=0.71, scale="cosine", threshold=0.6, false_accept=1e-4)
        if granted else None,
        frames_used=3, **extra,
    )


def open_log(tmp_path: Path, **kwargs: object) -> AuditLog:
    return AuditLog(tmp_path / "audit.sqlite", clock=NOW.timestamp, **kwargs)  # type: ignore[arg-type]


def test_records_and_lists_newest_first(tmp_path: Path) -> None:
    with open_log(tmp_path) as audit:
        old, new = event(2), event(1, person=None)
        audit.record(old)
        audit.record(new)
        entries = audit.entries()
    assert [e.event_id for e in entries] == [new.id, old.id]
    assert entries[1].person_id == "p-ada" and entries[1].backend == "local"
    assert entries[1].score == 0.71 and entries[1].false_accept == 1e-4
    assert entries[0].person_id is None and entries[0].reason == "unknown"
    assert stat.S_IMODE((tmp_path / "audit.sqlite").stat().st_mode) == 0o600


def test_retention_prunes_old_entries_on_open(tmp_path: Path) -> None:
    with open_log(tmp_path, retention_days=90) as audit:
        kept, dropped = event(89), event(91)
        audit.record(kept)
        audit.record(dropped)  # written now, pruned by the next daily pass or at the next start
    with open_log(tmp_path, retention_days=90) as audit:
        assert [e.event_id for e in audit.entries()] == [kept.id]


def test_face_images_only_when_enabled_with_short_retention(tmp_path: Path, face_jpeg: bytes) -> None:
    with open_log(tmp_path) as audit:
        audit.record(event(0), face_jpeg=face_jpeg)
        assert audit.entries()[0].face_file is None
        assert not (tmp_path / "faces").exists()
    with open_log(tmp_path, keep_face_images=True, face_retention_days=7) as audit:
        recent, stale = event(1), event(8)
        audit.record(recent, face_jpeg=face_jpeg)
        audit.record(stale, face_jpeg=face_jpeg)
        files = {e.event_id: e.face_file for e in audit.entries()}
        recent_file, stale_file = files[recent.id], files[stale.id]
        assert recent_file is not None and stale_file is not None
        assert recent_file.read_bytes() == face_jpeg
        assert stat.S_IMODE(recent_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "faces").stat().st_mode) == 0o700
        assert audit.prune() == (0, 1)
        assert not stale_file.exists() and recent_file.exists()
        assert {e.event_id: e.face_file for e in audit.entries()}[stale.id] is None


def test_forget_pseudonymizes_and_deletes_images(tmp_path: Path, face_jpeg: bytes) -> None:
    with open_log(tmp_path, keep_face_images=True) as audit:
        mine = [event(1), event(2)]
        other = event(1, person="p-bob")
        for e in [*mine, other]:
            audit.record(e, face_jpeg=face_jpeg)
        my_files = [e.face_file for e in audit.entries("p-ada")]
        report = audit.forget("p-ada")
        assert report.entries == 2 and report.face_images == 2
        assert report.pseudonym.startswith("forgotten-") and "p-ada" not in report.pseudonym
        assert audit.entries("p-ada") == []
        forgotten = audit.entries(report.pseudonym)
        assert len(forgotten) == 2
        assert all(e.person_name is None and e.face_file is None for e in forgotten)
        assert all(f is not None and not f.exists() for f in my_files)
        bob = audit.entries("p-bob")[0]
        assert bob.person_name == "Ada" and bob.face_file is not None and bob.face_file.exists()
        assert audit.forget("p-ada").entries == 0  # idempotent
        stored = b"".join(path.read_bytes() for path in tmp_path.glob("audit.sqlite*"))
        assert b"p-ada" not in stored and b"p-bob" in stored  # not left in freed pages or the WAL


def test_pseudonym_is_keyed_per_device(tmp_path: Path) -> None:
    with open_log(tmp_path / "a") as first, open_log(tmp_path / "b") as second:
        assert first.pseudonym("p-ada") == first.pseudonym("p-ada")
        assert first.pseudonym("p-ada") != second.pseudonym("p-ada")
    assert stat.S_IMODE((tmp_path / "a" / "audit.key").stat().st_mode) == 0o600


def test_unsafe_event_id_cannot_name_a_file(tmp_path: Path, face_jpeg: bytes) -> None:
    with open_log(tmp_path, keep_face_images=True) as audit, pytest.raises(BadInput):
        audit.record(event(0, id="../../etc/passwd"), face_jpeg=face_jpeg)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can open another user's state")
def test_root_may_not_open_the_service_users_state(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)
    with pytest.raises(UserError, match="run this as that user"):
        AuditLog(state / "audit.sqlite")
    assert list(state.iterdir()) == []


def test_a_damaged_audit_log_is_moved_aside_and_a_new_one_started(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue #19 item 9: a damaged audit.sqlite stopped `edge run` at start with a traceback."""
    with open_log(tmp_path) as audit:
        for _ in range(200):  # several pages
            audit.record(event(1))
    path = tmp_path / "audit.sqlite"
    data = bytearray(path.read_bytes())
    data[4096 * 2: 4096 * 2 + 512] = os.urandom(512)  # garble a b-tree page
    path.write_bytes(bytes(data))
    with open_log(tmp_path) as audit:
        audit.record(event(0))
        assert len(audit.entries()) == 1
    assert (tmp_path / "audit.sqlite.damaged").read_bytes() == bytes(data)
    assert "audit log" in caplog.text and "moved aside" in caplog.text
