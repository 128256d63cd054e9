"""Enrollment from the live camera: collect a few good, different frames, guiding the person."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from edge.capture.base import FrameSource
from edge.errors import BadInput, SourceUnavailable
from edge.gallery.enroll import Accepted, Enrollment

# quality reason -> what to tell the person in front of the camera
GUIDANCE = {
    "too_small": "move closer",
    "blurry": "hold still",
    "pose": "look straight at the camera",
    "too_dark": "too dark: turn towards the light",
    "too_bright": "too bright: step out of the glare",
    "occluded": "take off the mask or sunglasses",
}
NO_FACE = "no face in view: stand in front of the camera"
SEVERAL = "several faces in view: only the person to enroll, please"
# frames this similar to one already collected add nothing: ask for a little movement
SAME_AS_BEFORE = 0.97
MOVE = "good; now turn your head a little"


def guidance_for(reason: str) -> str:
    """The terminal line for a refusal from :meth:`Enrollment.examine`."""
    if reason.startswith("no face"):
        return NO_FACE
    if "faces found" in reason:
        return SEVERAL
    hints = [GUIDANCE.get(r.strip(), r.strip()) for r in reason.partition(": ")[2].split(",")]
    return "; ".join(hints) or reason


def collect_from_camera(source: FrameSource, enrollment: Enrollment, wanted: int, timeout_s: float,
                        say: Callable[[str], None]) -> list[Accepted]:
    """Up to ``wanted`` good and mutually different frames within ``timeout_s``.

    ``say`` prints guidance, only when it changes (not once per frame).
    """
    collected: list[Accepted] = []
    last_said = ""

    def tell(line: str) -> None:
        nonlocal last_said
        if line != last_said:
            say(line)
            last_said = line

    source.open()
    try:
        deadline = time.monotonic() + timeout_s
        while len(collected) < wanted and time.monotonic() < deadline:
            frame = source.read()
            if frame is None:
                break
            try:
                accepted = enrollment.examine(frame.image, f"camera frame {frame.index}")
            except BadInput as exc:
                tell(guidance_for(str(exc)))
                continue
            if any(float(np.dot(c.embedding, accepted.embedding)) >= SAME_AS_BEFORE for c in collected):
                tell(MOVE)
                continue
            collected.append(accepted)
            tell(f"captured {len(collected)}/{wanted}")
    except SourceUnavailable as exc:
        say(f"camera lost: {exc}")
    finally:
        source.close()
    return collected
