"""One-to-one pairing of a cloud's face rectangles with the faces the appliance detected.

Every cloud backend answers with rectangles in its own detector's opinion; each detected face
must get the answer of at most one rectangle, and no rectangle may answer for two faces (else
two people at the door would both be named as the one the cloud saw). The pairing is greedy by
overlap: every (detected, cloud) pair with an IoU of at least ``min_iou`` is taken in order of
decreasing IoU, skipping pairs whose face or rectangle is already taken.

Greedy rather than the optimal assignment (Hungarian, e.g. scipy's ``linear_sum_assignment``,
which is not a dependency and would add tens of MB to a Raspberry Pi install for at most ten
faces): the two differ only when one detected face overlaps two cloud rectangles that overlap
each other heavily, which the cloud's own non-maximum suppression does not let through; a tie
goes to the face and rectangle listed first.
"""

from __future__ import annotations

from collections.abc import Sequence

from edge.vision.types import Box


def assign_rectangles(detected: Sequence[Box], cloud: Sequence[Box], min_iou: float) -> list[int | None]:
    """For each detected box, the index into ``cloud`` of the rectangle paired with it, or None.

    ``min_iou`` in (0, 1]: the least overlap at which a rectangle can belong to a face. No index
    appears twice in the result.
    """
    pairs = sorted(
        ((face.iou(rect), f, r) for f, face in enumerate(detected) for r, rect in enumerate(cloud)),
        key=lambda pair: (-pair[0], pair[1], pair[2]),
    )
    assigned: list[int | None] = [None] * len(detected)
    taken: set[int] = set()
    for iou, f, r in pairs:
        if iou < min_iou:
            break
        if assigned[f] is None and r not in taken:
            assigned[f] = r
            taken.add(r)
    return assigned
