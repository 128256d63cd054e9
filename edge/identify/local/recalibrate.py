"""Keeping the site calibration current: at start, whenever enrollment changes, on a schedule.

The calibration runs in a background thread (a large door's fit takes seconds); until it is
done the previous calibration stays in force. Only thresholds and counts are written to disk.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from edge.capture.folder import IMAGE_SUFFIXES
from edge.errors import BadImage
from edge.gallery.cohort import CohortStore
from edge.gallery.search import GroupView
from edge.gallery.store import GalleryStore
from edge.identify.local.site import (
    SiteCalibration,
    calibrate_site,
    gallery_fingerprint,
    read_site_calibration,
)
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer

log = logging.getLogger(__name__)

def describe_site_folder(analyzer: FaceAnalyzer, folder: Path) -> np.ndarray:
    """(n, D) descriptors of the largest face of every photo under ``folder`` (photos of people
    who are not enrolled); unreadable photos and photos without a face are skipped."""
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        try:
            image = read_image(path, max_pixels=analyzer.settings.max_image_pixels)
        except BadImage as exc:
            log.warning("site folder: %s", exc)
            continue
        faces = analyzer.analyze(image)
        if faces and faces[0].embedding is not None:
            rows.append(faces[0].embedding)
    return np.stack(rows) if rows else np.zeros((0, 0), np.float32)


class SiteCalibrator:
    """The current :class:`SiteCalibration` of a door's gallery view and cohort."""

    def __init__(self, gallery: GalleryStore, path: Path, *, cohort: CohortStore | None = None,
                 site_faces: np.ndarray | None = None, groups: Sequence[str] | None = None,
                 interval_s: float = 86400.0, clock: Callable[[], float] = time.time,
                 door_cut: Callable[[SiteCalibration | None, int], float] | None = None) -> None:
        self.gallery = gallery
        self.path = path
        self.cohort = cohort
        self.site_faces = site_faces
        self.groups = tuple(groups) if groups is not None else None
        self.interval_s = interval_s
        self.door_cut = door_cut  # (calibration in force, people) -> the cut a grant needs
        self._clock = clock
        self._current = read_site_calibration(path)
        self._running = threading.Lock()
        self._checked: tuple[int, bool] | None = None  # (snapshot version, changed since calibration)

    @property
    def current(self) -> SiteCalibration | None:
        """The calibration in force; starts a recalibration in the background when it is due."""
        if self.due() and self._running.acquire(blocking=False):
            threading.Thread(target=self._refresh_and_release, name="site-calibration", daemon=True).start()
        return self._current

    def due(self) -> bool:
        current = self._current
        if current is None:
            return True
        if self._clock() - current.created > self.interval_s:
            return True
        snapshot = self.gallery.snapshot()
        if self._checked is None or self._checked[0] != snapshot.version:  # fingerprint once per change
            changed = current.gallery != gallery_fingerprint(snapshot.view(self.groups))
            self._checked = (snapshot.version, changed)
        return self._checked[1]

    def refresh(self) -> SiteCalibration:
        """Calibrate now (blocking), keep and store the result."""
        view = self.gallery.snapshot().view(self.groups)
        self._forget_earlier_sightings(view)
        calibration = calibrate_site(view, self._cohort_rows(view.matrix.shape[1] if view.n_persons else 0),
                                     now=self._clock())
        self._current = calibration
        self._checked = None
        self._write(calibration)
        log.info("%s", calibration.describe())
        return calibration

    def _refresh_and_release(self) -> None:
        try:
            self.refresh()
        except Exception:  # the previous calibration stays in force; the next frame tries again
            log.exception("site calibration failed")
        finally:
            self._running.release()

    def _forget_earlier_sightings(self, view: GroupView) -> None:
        """Cohort faces of people enrolled since they were kept are theirs, not impostors'
        (:meth:`CohortStore.forget_earlier_sightings`), judged at the door's cut in force with
        the site calibration."""
        if self.cohort is None or self.door_cut is None or self._current is None or view.n_persons == 0:
            return  # without a site calibration the shipped cut may be far too lenient to judge by
        enrolled = {person.id: person.created for person in self.gallery.people()}
        enrolled_at = np.array([enrolled.get(pid, 0.0) for pid in view.person_ids])
        forgotten = self.cohort.forget_earlier_sightings(view.templates, enrolled_at,
                                                         self.door_cut(self._current, view.n_persons))
        if forgotten:
            log.info("cohort: forgot %d faces of people enrolled after they were seen", forgotten)

    def _cohort_rows(self, dim: int) -> np.ndarray | None:
        parts = [rows for rows in (self.cohort.vectors() if self.cohort else None, self.site_faces)
                 if rows is not None and len(rows) and rows.shape[1] == dim]
        return np.concatenate(parts) if parts else None

    def _write(self, calibration: SiteCalibration) -> None:
        temporary = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(calibration.to_json(), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:  # in force in memory; written again at the next calibration
            log.warning("site calibration not saved to %s: %s", self.path, exc.strerror)
