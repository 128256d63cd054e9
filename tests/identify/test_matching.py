"""The one-to-one pairing of cloud rectangles with detected faces (edge.identify.matching)."""

from __future__ import annotations

from edge.identify.matching import assign_rectangles
from edge.vision.types import Box

LEFT, RIGHT = Box(0, 0, 100, 100), Box(300, 0, 100, 100)


def test_each_face_gets_the_rectangle_over_it_whatever_the_order() -> None:
    cloud = [Box(305, 5, 100, 100), Box(-5, 2, 100, 100)]  # the cloud lists them right to left
    assert assign_rectangles([LEFT, RIGHT], cloud, 0.3) == [1, 0]


def test_one_rectangle_never_answers_for_two_faces() -> None:
    # two detections on one person (the second a little off), one face found by the cloud: the
    # closer detection takes it, the other gets nothing, never the same person's answer twice
    near, off = Box(0, 0, 100, 100), Box(30, 0, 100, 100)
    assert assign_rectangles([off, near], [Box(2, 0, 100, 100)], 0.3) == [None, 0]


def test_a_face_whose_best_rectangle_is_taken_gets_its_next_one() -> None:
    a, b = Box(0, 0, 100, 100), Box(40, 0, 100, 100)
    x, y = Box(10, 0, 100, 100), Box(60, 0, 100, 100)  # a overlaps x most; b overlaps y most
    assert assign_rectangles([a, b], [x, y], 0.3) == [0, 1]
    assert assign_rectangles([a, b], [x], 0.3) == [0, None]  # x goes to a (IoU 0.82 > b's 0.54)


def test_too_little_overlap_pairs_nothing() -> None:
    assert assign_rectangles([LEFT], [Box(80, 0, 100, 100)], 0.3) == [None]  # IoU 0.11
    assert assign_rectangles([LEFT], [], 0.3) == [None]
    assert assign_rectangles([], [LEFT], 0.3) == []
