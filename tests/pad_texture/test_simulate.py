"""The attack simulator: 640x480 camera frames, the face where it says, reproducible from a seed."""

from __future__ import annotations

import numpy as np
import pytest

from edge.eval.pad_simulate import FRAME_H, FRAME_W, KINDS, simulate_track, simulate_tracks
from edge.vision.pipeline import FaceAnalyzer
from tests.pad_texture.conftest import largest_face, photo

OBAMA, BIDEN = "Barack_Obama/1.jpg", "Joe_Biden/1.jpg"


def test_every_kind_gives_camera_frames_with_the_face_where_it_was_placed(analyzer: FaceAnalyzer) -> None:
    source = photo(OBAMA)
    tracks = simulate_tracks(source, largest_face(analyzer, source), photo(BIDEN), seed=1, frames=3)
    assert [t.kind for t in tracks] == list(KINDS)
    for track in tracks:
        assert len(track.jpegs) == len(track.faces) == 3
        for frame, placed in zip(track.frames, track.faces):
            assert frame.shape == (FRAME_H, FRAME_W, 3) and frame.dtype == np.uint8
            assert placed.x >= 0 and placed.x + placed.w <= FRAME_W and placed.w > 40
            found = max(analyzer.detect(frame), key=lambda d: d.box.iou(placed))
            assert found.box.iou(placed) > 0.4, track.kind  # the detector sees the presented face
        assert track.faces[0] != track.faces[-1]  # the presentation moves


def test_same_seed_same_frames_other_seed_other_frames(analyzer: FaceAnalyzer) -> None:
    source = photo(OBAMA)
    face = largest_face(analyzer, source)
    first = simulate_tracks(source, face, photo(BIDEN), seed=7, frames=2)
    again = simulate_tracks(source, face, photo(BIDEN), seed=7, frames=2)
    other = simulate_tracks(source, face, photo(BIDEN), seed=8, frames=2)
    assert [t.jpegs for t in first] == [t.jpegs for t in again]
    assert all(a.jpegs[0] != b.jpegs[0] for a, b in zip(first, other))


def test_a_print_compresses_the_dynamic_range_of_the_face(analyzer: FaceAnalyzer) -> None:
    """Paper white and ink black bound a print: its face spans fewer grey levels than the same face
    presented live through the same camera (checked over several draws, glare and all)."""
    source = photo(OBAMA)
    face = largest_face(analyzer, source)
    spans: dict[str, list[float]] = {"bona_fide": [], "print": []}
    for seed in range(6):
        for track in simulate_tracks(source, face, photo(BIDEN), seed=seed, kinds=tuple(spans), frames=1):
            box = track.faces[0]
            x, y, w, h = (int(v) for v in (box.x, box.y, box.w, box.h))
            grey = track.frames[0][y : y + h, x : x + w].mean(axis=2)
            spans[track.kind].append(float(np.percentile(grey, 99) - np.percentile(grey, 1)))
    assert np.median(spans["print"]) < np.median(spans["bona_fide"])


def test_an_unknown_kind_is_refused(analyzer: FaceAnalyzer) -> None:
    source = photo(OBAMA)
    with pytest.raises(ValueError, match="mask"):
        simulate_track(source, largest_face(analyzer, source), source, "mask", np.random.default_rng(0))
